/* SPDX-License-Identifier: MIT */
/*
 * XXH64_update built to read its input with plain 64-bit loads (lib/hash_aligned.c), for
 * hash_stream_update (lib/hash.h) to call when every one of those loads is 8-byte aligned. The state is
 * an XXH64_state_t; void here because this header must not include xxhash.h (each file that does fixes
 * its own read method).
 */
#ifndef RVMIG_HASH_ALIGNED_H
#define RVMIG_HASH_ALIGNED_H

#include <stddef.h>

void hash_xxh64_update_aligned(void *state, const void *p, size_t len);

#endif
