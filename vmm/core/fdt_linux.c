/* SPDX-License-Identifier: MIT */
/*
 * The device tree of a Linux guest: the harts and memory as the bare-metal guest gets them (fdt.c),
 * and a /chosen for Linux. Nothing else: no interrupt controller beyond each hart's riscv,cpu-intc
 * (the timer and IPIs reach a hart through SBI and its local interrupts, both in KVM), no devices
 * (the console is SBI's debug console, polled by hvc_riscv_sbi).
 */
#include <libfdt.h>

#include "core/fdt_build.h"
#include "core/fdt_nodes.h"

/*
 * No stdout-path: it names a node, and the SBI console has none (no binding describes it). Linux
 * finds its console in bootargs ("console=hvc0 earlycon=sbi"); a stdout-path pointing nowhere would
 * only make a bare "earlycon" warn.
 */
static int fdt_add_linux_chosen(void *fdt, const struct fdt_linux_chosen *c)
{
	int err = 0;

	FDT_TRY(fdt_begin_node(fdt, "chosen"));
	FDT_TRY(fdt_property_string(fdt, "bootargs", c->bootargs ? c->bootargs : FDT_LINUX_DEFAULT_BOOTARGS));
	if (c->initrd_end > c->initrd_start) {
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-start", c->initrd_start));
		FDT_TRY(fdt_property_u64(fdt, "linux,initrd-end", c->initrd_end));
	}
	FDT_TRY(fdt_end_node(fdt));
	return err;
}

int fdt_build_linux(const struct fdt_desc *d, const struct fdt_linux_chosen *c, void *buf, size_t buflen)
{
	int err = fdt_begin_machine(buf, buflen, d);

	if (!err)
		err = fdt_add_linux_chosen(buf, c);
	return fdt_end_root(buf, err);
}
