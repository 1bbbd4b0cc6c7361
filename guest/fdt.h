/* SPDX-License-Identifier: MIT */
/*
 * A tiny read-only flattened-device-tree walker (no libfdt): the memory range holding the guest
 * image, the harts under /cpus and the timebase frequency.
 */
#ifndef GUEST_FDT_H
#define GUEST_FDT_H

#include <stdint.h>

#include "rvmig_abi.h"

struct fdt_info {
	uint64_t mem_base; /* the /memory reg range that contains the guest image */
	uint64_t mem_size;
	uint64_t timebase;        /* /cpus timebase-frequency (or a cpu node's), Hz */
	uint32_t nr_cpus;         /* enabled /cpus/cpu@N nodes */
	uint32_t nr_cpus_ignored; /* enabled cpus beyond RVMIG_MAX_VCPUS */
	uint64_t hartids[RVMIG_MAX_VCPUS];
};

/* Returns NULL on success, else a message saying what is wrong with the tree. */
const char *fdt_parse(const void *fdt, uint64_t image_addr, struct fdt_info *info);

#endif /* GUEST_FDT_H */
