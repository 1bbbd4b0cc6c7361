/* SPDX-License-Identifier: MIT */
/* The guest's device tree, built with libfdt from a plain description (pure, host-tested). */
#ifndef RVMIG_FDT_BUILD_H
#define RVMIG_FDT_BUILD_H

#include <stddef.h>
#include <stdint.h>

#define FDT_MAX_ISA_EXTS 96

struct fdt_desc {
	unsigned nr_cpus;                       /* cpu@0 .. cpu@N-1, reg = hart id = vCPU id             */
	uint64_t timebase_hz;                   /* /cpus timebase-frequency                              */
	uint64_t mem_base, mem_size;            /* /memory@...                                           */
	const char *isa;                        /* riscv,isa, e.g. "rv64imac_zicsr_zifencei"            */
	const char *isa_base;                   /* riscv,isa-base, "rv64i"                               */
	const char *isa_exts[FDT_MAX_ISA_EXTS]; /* riscv,isa-extensions, lower case             */
	unsigned nr_isa_exts;
	const char *mmu_type; /* "riscv,sv39".. or NULL to leave it out                */
	/* /chosen rvmig,* properties, so a guest can find its contract without hard-coding it. */
	uint64_t ctl_gpa, stats_gpa, work_gpa, work_size;
	uint32_t abi_version;
};

/*
 * Writes the tree into buf (buflen bytes, e.g. RVMIG_FDT_MAX). Returns its total size, or a negative
 * libfdt error (-FDT_ERR_NOSPACE when it does not fit); fdt_strerror() names it.
 */
int fdt_build(const struct fdt_desc *d, void *buf, size_t buflen);

/* Linux's /chosen (fdt_linux.c). */
#define FDT_LINUX_DEFAULT_BOOTARGS "console=hvc0 earlycon=sbi"
struct fdt_linux_chosen {
	const char *bootargs;              /* bootargs as given                                    */
	uint64_t initrd_start, initrd_end; /* linux,initrd-start/-end; start == end: no initrd     */
};

/*
 * The tree a Linux guest boots with: d's /cpus and /memory (its rvmig,* fields are not used) and c's
 * /chosen. No devices: the console is SBI's, timer and IPIs come through SBI. As fdt_build returns.
 */
int fdt_build_linux(const struct fdt_desc *d, const struct fdt_linux_chosen *c, void *buf, size_t buflen);

/*
 * riscv,isa string from the base and the extension list: single letters in canonical order after
 * "rv64", multi-letter ones after, '_'-separated. Returns 0, or -1 when out is too small.
 */
int fdt_isa_string(const char *const *exts, unsigned nr, char *out, size_t len);

#endif
