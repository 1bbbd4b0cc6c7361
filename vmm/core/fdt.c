/* SPDX-License-Identifier: MIT */
/*
 * Device tree for the rvmig guest. Only the long-standing sequential-write libfdt API is used: the
 * host tests link libfdt 1.6, the riscv64 binary 1.8.
 */
#include "core/fdt_build.h"

#include <libfdt.h>

#include "core/fdt_nodes.h"
#include <stdio.h>
#include <string.h>

/* Canonical order of single-letter extensions in an ISA string (RISC-V unprivileged spec 27.11). */
static const char fdt_isa_order[] = "imafdqlcbkjtpvh";

int fdt_isa_string(const char *const *exts, unsigned nr, char *out, size_t len)
{
	size_t pos;
	int n = snprintf(out, len, "rv64");

	if (n < 0 || (size_t)n >= len)
		return -1;
	pos = (size_t)n;
	for (const char *c = fdt_isa_order; *c; c++)
		for (unsigned i = 0; i < nr; i++)
			if (exts[i][0] == *c && !exts[i][1]) {
				if (pos + 1 >= len)
					return -1;
				out[pos++] = *c;
				out[pos] = 0;
			}
	for (unsigned i = 0; i < nr; i++) {
		if (strlen(exts[i]) < 2)
			continue;
		n = snprintf(out + pos, len - pos, "_%s", exts[i]);
		if (n < 0 || (size_t)n >= len - pos)
			return -1;
		pos += (size_t)n;
	}
	return 0;
}

static int fdt_prop_u64_pair(void *fdt, const char *name, uint64_t a, uint64_t b)
{
	fdt64_t v[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };

	return fdt_property(fdt, name, v, sizeof(v));
}

static int fdt_prop_strlist(void *fdt, const char *name, const char *const *s, unsigned n)
{
	char buf[2048];
	size_t pos = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(s[i]) + 1;

		if (pos + l > sizeof(buf))
			return -FDT_ERR_NOSPACE;
		memcpy(buf + pos, s[i], l);
		pos += l;
	}
	return fdt_property(fdt, name, buf, (int)pos);
}

static int fdt_add_cpu(void *fdt, const struct fdt_desc *d, unsigned id)
{
	char name[32];
	int err = 0;

	snprintf(name, sizeof(name), "cpu@%x", id);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property_string(fdt, "device_type", "cpu"));
	FDT_TRY(fdt_property_u32(fdt, "reg", id));
	FDT_TRY(fdt_property_string(fdt, "status", "okay"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "riscv"));
	FDT_TRY(fdt_property_string(fdt, "riscv,isa", d->isa));
	FDT_TRY(fdt_property_string(fdt, "riscv,isa-base", d->isa_base));
	FDT_TRY(fdt_prop_strlist(fdt, "riscv,isa-extensions", d->isa_exts, d->nr_isa_exts));
	if (d->mmu_type)
		FDT_TRY(fdt_property_string(fdt, "mmu-type", d->mmu_type));
	/* The local interrupt controller every RISC-V hart node carries; phandle = id + 1. */
	FDT_TRY(fdt_begin_node(fdt, "interrupt-controller"));
	FDT_TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
	FDT_TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	FDT_TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT_TRY(fdt_property_u32(fdt, "phandle", id + 1));
	FDT_TRY(fdt_end_node(fdt));
	FDT_TRY(fdt_end_node(fdt));
	return err;
}

static int fdt_add_cpus(void *fdt, const struct fdt_desc *d)
{
	int err = 0;

	FDT_TRY(fdt_begin_node(fdt, "cpus"));
	FDT_TRY(fdt_property_u32(fdt, "#address-cells", 1));
	FDT_TRY(fdt_property_u32(fdt, "#size-cells", 0));
	FDT_TRY(fdt_property_u32(fdt, "timebase-frequency", (uint32_t)d->timebase_hz));
	for (unsigned i = 0; i < d->nr_cpus && !err; i++)
		err = fdt_add_cpu(fdt, d, i);
	FDT_TRY(fdt_end_node(fdt));
	return err;
}

static int fdt_add_memory(void *fdt, const struct fdt_desc *d)
{
	char name[40];
	int err = 0;

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)d->mem_base);
	FDT_TRY(fdt_begin_node(fdt, name));
	FDT_TRY(fdt_property_string(fdt, "device_type", "memory"));
	FDT_TRY(fdt_prop_u64_pair(fdt, "reg", d->mem_base, d->mem_size));
	FDT_TRY(fdt_end_node(fdt));
	return err;
}

static int fdt_add_chosen(void *fdt, const struct fdt_desc *d)
{
	int err = 0;

	FDT_TRY(fdt_begin_node(fdt, "chosen"));
	FDT_TRY(fdt_property_u64(fdt, "rvmig,ctl", d->ctl_gpa));
	FDT_TRY(fdt_property_u64(fdt, "rvmig,stats", d->stats_gpa));
	FDT_TRY(fdt_prop_u64_pair(fdt, "rvmig,work", d->work_gpa, d->work_size));
	FDT_TRY(fdt_property_u32(fdt, "rvmig,abi-version", d->abi_version));
	FDT_TRY(fdt_end_node(fdt));
	return err;
}

int fdt_begin_machine(void *buf, size_t buflen, const struct fdt_desc *d)
{
	int err = 0;

	if (buflen > 0x7fffffff)
		buflen = 0x7fffffff;
	FDT_TRY(fdt_create(buf, (int)buflen));
	FDT_TRY(fdt_finish_reservemap(buf));
	FDT_TRY(fdt_begin_node(buf, ""));
	FDT_TRY(fdt_property_u32(buf, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(buf, "#size-cells", 2));
	FDT_TRY(fdt_property_string(buf, "compatible", "rvmig,virt"));
	FDT_TRY(fdt_property_string(buf, "model", "rvmig"));
	if (!err)
		err = fdt_add_cpus(buf, d);
	if (!err)
		err = fdt_add_memory(buf, d);
	return err;
}

int fdt_end_root(void *buf, int err)
{
	FDT_TRY(fdt_end_node(buf));
	FDT_TRY(fdt_finish(buf));
	if (err)
		return err;
	return (int)fdt_totalsize(buf);
}

int fdt_build(const struct fdt_desc *d, void *buf, size_t buflen)
{
	int err = fdt_begin_machine(buf, buflen, d);

	if (!err)
		err = fdt_add_chosen(buf, d);
	return fdt_end_root(buf, err);
}
