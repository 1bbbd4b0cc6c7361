/* SPDX-License-Identifier: MIT */
/* The guest device tree, built and read back with libfdt. */
#include <libfdt.h>
#include <string.h>

#include "check.h"
#include "core/fdt_build.h"
#include "core/linux_image.h"
#include "rvmig_abi.h"

static uint64_t get_u64(const void *fdt, int node, const char *name, int idx)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, node, name, &len);
	fdt64_t v;

	/* Properties are only 4-byte aligned in the blob: copy before converting. */
	if (!p || len < (int)((idx + 1) * sizeof(v)))
		return ~0ULL;
	memcpy(&v, p + idx * sizeof(v), sizeof(v));
	return fdt64_to_cpu(v);
}

static uint32_t get_u32(const void *fdt, int node, const char *name)
{
	int len;
	const void *p = fdt_getprop(fdt, node, name, &len);
	fdt32_t v;

	if (!p || len != 4)
		return ~0U;
	memcpy(&v, p, sizeof(v));
	return fdt32_to_cpu(v);
}

static const char *get_str(const void *fdt, int node, const char *name)
{
	const char *s = fdt_getprop(fdt, node, name, NULL);

	return s ? s : "";
}

static void fill(struct fdt_desc *d, char *isa, size_t isalen)
{
	static const char *const exts[] = { "i", "m", "a", "c", "zicsr", "zifencei", "sstc", "zicntr" };

	memset(d, 0, sizeof(*d));
	d->nr_cpus = 3;
	d->timebase_hz = 10000000;
	d->mem_base = RVMIG_RAM_BASE;
	d->mem_size = 256ULL << 20;
	d->isa_base = "rv64i";
	for (unsigned i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		d->isa_exts[d->nr_isa_exts++] = exts[i];
	fdt_isa_string(d->isa_exts, d->nr_isa_exts, isa, isalen);
	d->isa = isa;
	d->mmu_type = "riscv,sv57";
	d->ctl_gpa = RVMIG_RAM_BASE + RVMIG_CTL_OFFSET;
	d->stats_gpa = RVMIG_RAM_BASE + RVMIG_STATS_OFFSET;
	d->work_gpa = RVMIG_RAM_BASE + RVMIG_WORK_OFFSET;
	d->work_size = d->mem_size - RVMIG_WORK_OFFSET;
	d->abi_version = RVMIG_ABI_VERSION;
}

static void test_isa_string(void)
{
	const char *exts[] = { "c", "zicsr", "a", "i", "m", "sstc" };
	char s[64];

	CHECK(fdt_isa_string(exts, 6, s, sizeof(s)) == 0 && !strcmp(s, "rv64imac_zicsr_sstc"),
	      "single letters in canonical order, then multi-letter: %s", s);
	CHECK(fdt_isa_string(exts, 6, s, 8) == -1, "too small a buffer is an error");
}

static void test_tree(void)
{
	static uint8_t buf[RVMIG_FDT_MAX];
	struct fdt_desc d;
	char isa[256];
	int size, node, cpus, n, len;

	fill(&d, isa, sizeof(isa));
	size = fdt_build(&d, buf, sizeof(buf));
	CHECK(size > 0 && size <= (int)sizeof(buf), "built, %d bytes", size);
	CHECK(fdt_check_header(buf) == 0 && (int)fdt_totalsize(buf) == size, "valid header");

	node = fdt_path_offset(buf, "/");
	CHECK(get_u32(buf, node, "#address-cells") == 2 && get_u32(buf, node, "#size-cells") == 2, "root cells");

	cpus = fdt_path_offset(buf, "/cpus");
	CHECK(cpus >= 0, "/cpus exists");
	CHECK(get_u32(buf, cpus, "timebase-frequency") == 10000000, "timebase-frequency");
	n = 0;
	fdt_for_each_subnode(node, buf, cpus)
	{
		char name[16];

		snprintf(name, sizeof(name), "cpu@%x", n);
		CHECK(!strcmp(fdt_get_name(buf, node, NULL), name), "%s in order", name);
		CHECK(get_u32(buf, node, "reg") == (uint32_t)n, "%s reg = hart id", name);
		n++;
	}
	CHECK(n == 3, "3 cpu nodes");

	node = fdt_path_offset(buf, "/cpus/cpu@1");
	CHECK(!strcmp(get_str(buf, node, "device_type"), "cpu"), "device_type cpu");
	CHECK(!strcmp(get_str(buf, node, "riscv,isa"), "rv64imac_zicsr_zifencei_sstc_zicntr"), "riscv,isa: %s",
	      get_str(buf, node, "riscv,isa"));
	CHECK(!strcmp(get_str(buf, node, "riscv,isa-base"), "rv64i"), "riscv,isa-base");
	CHECK(fdt_stringlist_count(buf, node, "riscv,isa-extensions") == 8, "8 isa-extensions");
	CHECK(fdt_stringlist_search(buf, node, "riscv,isa-extensions", "zicsr") >= 0, "zicsr listed");
	CHECK(!strcmp(get_str(buf, node, "mmu-type"), "riscv,sv57"), "mmu-type");
	CHECK(fdt_subnode_offset(buf, node, "interrupt-controller") >= 0, "cpu-intc child");

	node = fdt_path_offset(buf, "/memory@80000000");
	CHECK(node >= 0, "/memory@80000000 exists");
	CHECK(!strcmp(get_str(buf, node, "device_type"), "memory"), "memory device_type");
	CHECK(get_u64(buf, node, "reg", 0) == RVMIG_RAM_BASE && get_u64(buf, node, "reg", 1) == 256ULL << 20,
	      "memory reg = base, size");

	node = fdt_path_offset(buf, "/chosen");
	CHECK(node >= 0, "/chosen exists");
	CHECK(get_u64(buf, node, "rvmig,ctl", 0) == RVMIG_RAM_BASE + RVMIG_CTL_OFFSET, "rvmig,ctl");
	CHECK(get_u64(buf, node, "rvmig,stats", 0) == RVMIG_RAM_BASE + RVMIG_STATS_OFFSET, "rvmig,stats");
	CHECK(get_u64(buf, node, "rvmig,work", 1) == (256ULL << 20) - RVMIG_WORK_OFFSET, "rvmig,work size");
	CHECK(get_u32(buf, node, "rvmig,abi-version") == RVMIG_ABI_VERSION, "rvmig,abi-version");
	CHECK(fdt_getprop(buf, node, "stdout-path", &len) == NULL, "no stdout-path");
}

static void test_limits(void)
{
	static uint8_t buf[RVMIG_FDT_MAX];
	struct fdt_desc d;
	char isa[256];

	fill(&d, isa, sizeof(isa));
	CHECK(fdt_build(&d, buf, 256) == -FDT_ERR_NOSPACE, "too small a buffer gives -FDT_ERR_NOSPACE");
	d.nr_cpus = RVMIG_MAX_VCPUS;
	CHECK(fdt_build(&d, buf, sizeof(buf)) > 0, "RVMIG_MAX_VCPUS harts fit in RVMIG_FDT_MAX");
	d.mmu_type = NULL;
	CHECK(fdt_build(&d, buf, sizeof(buf)) > 0 &&
		      fdt_getprop(buf, fdt_path_offset(buf, "/cpus/cpu@0"), "mmu-type", NULL) == NULL,
	      "mmu-type optional");
}

/* A Linux guest's tree: the same harts and memory, a /chosen for Linux, nothing of rvmig's. */
static void test_linux_tree(void)
{
	static uint8_t buf[LINUX_FDT_MAX];
	struct fdt_desc d;
	struct fdt_linux_chosen c = { .bootargs = "console=hvc0 rdinit=/init quiet",
				      .initrd_start = RVMIG_RAM_BASE + 0x7c72000,
				      .initrd_end = RVMIG_RAM_BASE + 0x7e00000 };
	char isa[256];
	int size, node, n = 0, len;

	fill(&d, isa, sizeof(isa));
	d.nr_cpus = 2;
	d.timebase_hz = 1000000;
	size = fdt_build_linux(&d, &c, buf, sizeof(buf));
	CHECK(size > 0 && fdt_check_header(buf) == 0 && (int)fdt_totalsize(buf) == size, "Linux tree built, %d bytes",
	      size);
	node = fdt_path_offset(buf, "/cpus");
	CHECK(get_u32(buf, node, "timebase-frequency") == 1000000, "timebase-frequency from the desc (KVM's timer)");
	fdt_for_each_subnode(node, buf, fdt_path_offset(buf, "/cpus")) n++;
	CHECK(n == 2, "one cpu node per vCPU: %d", n);
	node = fdt_path_offset(buf, "/cpus/cpu@1");
	CHECK(!strcmp(get_str(buf, node, "riscv,isa"), "rv64imac_zicsr_zifencei_sstc_zicntr") &&
		      fdt_stringlist_count(buf, node, "riscv,isa-extensions") == 8,
	      "cpu@1 riscv,isa and its 8 extensions as KVM lists them");
	node = fdt_path_offset(buf, "/cpus/cpu@1/interrupt-controller");
	CHECK(node >= 0 && !strcmp(get_str(buf, node, "compatible"), "riscv,cpu-intc") &&
		      fdt_getprop(buf, node, "interrupt-controller", NULL) != NULL,
	      "cpu@1 has its riscv,cpu-intc");
	node = fdt_path_offset(buf, "/memory@80000000");
	CHECK(get_u64(buf, node, "reg", 0) == RVMIG_RAM_BASE && get_u64(buf, node, "reg", 1) == 256ULL << 20,
	      "memory reg = base, size");
	node = fdt_path_offset(buf, "/chosen");
	CHECK(!strcmp(get_str(buf, node, "bootargs"), c.bootargs), "bootargs as given: %s",
	      get_str(buf, node, "bootargs"));
	CHECK(get_u64(buf, node, "linux,initrd-start", 0) == c.initrd_start &&
		      get_u64(buf, node, "linux,initrd-end", 0) == c.initrd_end,
	      "linux,initrd-start/-end: the initrd's range");
	CHECK(fdt_getprop(buf, node, "rvmig,ctl", &len) == NULL && fdt_getprop(buf, node, "rvmig,work", &len) == NULL,
	      "none of the bare-metal guest's rvmig,* properties");
	CHECK(fdt_getprop(buf, node, "stdout-path", &len) == NULL, "no stdout-path (the SBI console has no node)");
	CHECK(fdt_path_offset(buf, "/soc") < 0 && fdt_path_offset(buf, "/cpus/cpu@2") < 0, "no devices, no third hart");

	c = (struct fdt_linux_chosen){ 0 };
	size = fdt_build_linux(&d, &c, buf, sizeof(buf));
	node = fdt_path_offset(buf, "/chosen");
	CHECK(size > 0 && !strcmp(get_str(buf, node, "bootargs"), FDT_LINUX_DEFAULT_BOOTARGS),
	      "no --append: bootargs \"%s\"", get_str(buf, node, "bootargs"));
	CHECK(fdt_getprop(buf, node, "linux,initrd-start", &len) == NULL, "no --initrd: no initrd range");
	d.nr_cpus = RVMIG_MAX_VCPUS;
	CHECK(fdt_build_linux(&d, &c, buf, sizeof(buf)) > 0, "RVMIG_MAX_VCPUS harts fit in LINUX_FDT_MAX");
	CHECK(fdt_build_linux(&d, &c, buf, 512) == -FDT_ERR_NOSPACE, "too small a buffer gives -FDT_ERR_NOSPACE");
}

int main(void)
{
	test_isa_string();
	test_tree();
	test_limits();
	test_linux_tree();
	CHECK_DONE();
}
