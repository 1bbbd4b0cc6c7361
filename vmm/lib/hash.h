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
/*
 * How xxHash reads its input, on riscv64 only: a plain 64-bit load (method 2) instead of memcpy (method 0,
 * its default there). GCC's riscv64 target assumes misaligned access is slow, so the memcpy becomes eight
 * byte loads and shifts; the one-shot XXH64 escapes that for aligned input (XXH_FORCE_ALIGN_CHECK), but the
 * streaming XXH64_update the record checksum uses does not: in the lab it ran at ~520 MiB/s against the
 * one-shot's ~4 GB/s, a third of the stream probe's time. Most of what the stream hashes is page data
 * (page-aligned); where a read is misaligned, Linux on RISC-V still serves it (hardware, or the kernel's
 * emulation: slow, not wrong). Other hosts keep xxHash's choice (and UBSan its alignment check).
 */
#if defined(__riscv) && __riscv_xlen == 64 && !defined(XXH_FORCE_MEMORY_ACCESS)
#define XXH_FORCE_MEMORY_ACCESS 2
#endif
#include <xxhash.h>

bool page_is_zero(const void *p, size_t len);
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
