/* SPDX-License-Identifier: MIT */
/*
 * What the bare-metal guest's tree (fdt.c) and Linux's (fdt_linux.c) share: everything but /chosen.
 * Sequential-write libfdt; 0 or a libfdt error.
 */
#ifndef RVMIG_FDT_NODES_H
#define RVMIG_FDT_NODES_H

#include <stddef.h>
#include <stdint.h>

#include "core/fdt_build.h"

/* Stops at the first libfdt error; every step is "if (!err) err = ...". */
#define FDT_TRY(expr)                 \
	do {                          \
		if (!err)             \
			err = (expr); \
	} while (0)

/*
 * fdt_create in buf, empty reserve map, the root node (2 address and size cells) with d's /cpus and
 * /memory; the root is left open for the guest's /chosen.
 */
int fdt_begin_machine(void *buf, size_t buflen, const struct fdt_desc *d);
/* Closes the root and the tree: its total size, or err (the first error of the steps before). */
int fdt_end_root(void *buf, int err);

#endif
