/* SPDX-License-Identifier: MIT */
/*
 * XXH64_update with xxHash's direct-load read method (XXH_FORCE_MEMORY_ACCESS 2), in a file of its own
 * because XXH_INLINE_ALL fixes the read method per translation unit. Why: xxHash's default method reads
 * through memcpy, which GCC for riscv64 (assuming misaligned access is slow) turns into eight byte loads
 * and shifts per word; the one-shot XXH64 escapes that for aligned input with its alignment check, the
 * streaming update the record checksum needs does not, and in the lab it ran at ~520 MiB/s against the
 * one-shot's ~4 GB/s. Direct loads are only safe and fast at aligned addresses (some riscv64 cores trap
 * a misaligned load and have it emulated), so hash_stream_update calls this only when every load falls
 * on one (the direct cast is otherwise undefined behaviour, and UBSan in make check would say so).
 */
#include "lib/hash_aligned.h"

#define XXH_FORCE_MEMORY_ACCESS 2
#define XXH_INLINE_ALL
#include <xxhash.h>

void hash_xxh64_update_aligned(void *state, const void *p, size_t len)
{
	XXH64_update(state, p, len);
}
