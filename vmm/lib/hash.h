/* SPDX-License-Identifier: MIT */
/*
 * Zero pages and 64-bit hashes, as the migration stream sends and compares them (no KVM). The hashes
 * are Debian's xxHash (libxxhash-dev), header-only: XXH_INLINE_ALL makes every XXH* function a static
 * inline of the including file, so nothing is linked (the static riscv64 VMM needs no libxxhash.a).
 * The stream's record checksum uses the XXH64_* streaming calls directly.
 */
#ifndef RVMIG_HASH_H
#define RVMIG_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

bool page_is_zero(const void *p, size_t len);
/*
 * XXH64_update(st, p, len), the same result, faster where it can be: when every 8-byte load the update
 * makes from p is aligned it runs the direct-load build (lib/hash_aligned.c: on riscv64 xxHash's default
 * reads are byte loads), otherwise xxHash's default. Stop-and-copy's pages and landed pages are page
 * aligned; precopy's page copies sit in the send buffer after 12-byte entries, often only 4-aligned.
 */
void hash_stream_update(XXH64_state_t *st, const void *p, size_t len);
/*
 * 64-bit hash of a block: XXH64 with seed 0. XXH64 rather than XXH3: in the lab (QEMU TCG riscv64)
 * XXH64 ran at 92-179 % of memcpy, XXH3-64 at 33-69 % (rvmig bench reports both probes).
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
