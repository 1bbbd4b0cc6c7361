/* SPDX-License-Identifier: MIT */
/* Zero-page test and block hashes: what the migration compares RAM with (host-tested). */
#include "lib/hash.h"

#include <string.h>

#include "lib/hash_aligned.h"

/* A word that may alias any other type (guest RAM is only ever read here, never typed). */
typedef uint64_t __attribute__((may_alias)) alias_u64;

bool page_is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i = 0;

	/*
	 * Aligned 64-bit loads, eight ORed per branch: one branch per 64 bytes, and a non-zero page (a
	 * stamped one: its first bytes) fails at once. Not memcpy into a word: for riscv64 without fast
	 * misaligned access GCC makes that 8 byte loads and 8 byte stores per word, and under the lab's
	 * TCG that made the zero-page scan the biggest part of a migration's round 0. Guest pages are
	 * page aligned; another start takes the byte loop.
	 */
	if (((uintptr_t)b & (sizeof(uint64_t) - 1)) == 0) {
		const alias_u64 *w = (const alias_u64 *)b;

		for (; i + 64 <= len; i += 64, w += 8)
			if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])
				return false;
	}
	for (; i < len; i++)
		if (b[i])
			return false;
	return true;
}

void hash_stream_update(XXH64_state_t *st, const void *p, size_t len)
{
	/*
	 * Where XXH64_update loads from p (xxHash 0.8's state, visible with XXH_INLINE_ALL): it first tops
	 * up the 32-byte stripe it holds (memsize bytes, read from its own aligned buffer), then loads p's
	 * stripes 8 bytes at a time from p + fill; less than that in all and it only buffers.
	 */
	size_t fill = st->memsize ? 32 - st->memsize : 0;

	if (len >= fill + 32 && (((uintptr_t)p + fill) & 7) == 0)
		hash_xxh64_update_aligned(st, p, len);
	else
		XXH64_update(st, p, len);
}

uint64_t hash_block(const void *p, size_t len)
{
	return XXH64(p, len, 0);
}

void hash_ram(const void *ram, uint64_t ram_size, uint64_t block_size, uint64_t *out)
{
	for (uint64_t off = 0, i = 0; off < ram_size; off += block_size, i++)
		out[i] = hash_block((const uint8_t *)ram + off,
				    ram_size - off < block_size ? ram_size - off : block_size);
}

size_t hashes_compare(const uint64_t *a, const uint64_t *b, size_t n, size_t *bad, size_t max_bad)
{
	size_t nbad = 0;

	for (size_t i = 0; i < n; i++) {
		if (a[i] == b[i])
			continue;
		if (nbad < max_bad)
			bad[nbad] = i;
		nbad++;
	}
	return nbad;
}
