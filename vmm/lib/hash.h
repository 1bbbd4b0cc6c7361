/* SPDX-License-Identifier: MIT */
/* Zero pages and block hashes, as the migration stream sends and compares them (no KVM). */
#ifndef RVMIG_HASH_H
#define RVMIG_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool page_is_zero(const void *p, size_t len);
/*
 * 64-bit hash of a block: XXH64 with seed 0 (the public xxHash algorithm, bit-exact with the
 * reference implementation), chosen because it is fast in portable C and collisions are ~2^-64.
 */
uint64_t hash_block(const void *p, size_t len);
/* Hashes of consecutive block_size blocks of ram[0..ram_size) (the last block may be shorter). */
void hash_ram(const void *ram, uint64_t ram_size, uint64_t block_size, uint64_t *out);
/*
 * Compares two hash arrays of n blocks. Returns the number of differing blocks and stores the first
 * max_bad of their indices in bad[] (bad may be NULL when max_bad is 0).
 */
size_t hashes_compare(const uint64_t *a, const uint64_t *b, size_t n, size_t *bad, size_t max_bad);

#endif
