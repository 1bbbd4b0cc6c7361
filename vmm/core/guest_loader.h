/* SPDX-License-Identifier: MIT */
/* Loads the flat guest binary at the start of guest RAM. */
#ifndef RVMIG_GUEST_LOADER_H
#define RVMIG_GUEST_LOADER_H

#include <stddef.h>

#include "core/memory.h"

/* Copies the image at path to RAM offset RVMIG_IMAGE_OFFSET; returns its size. Exits on failure. */
size_t guest_load(const char *path, struct mem *m);

#endif
