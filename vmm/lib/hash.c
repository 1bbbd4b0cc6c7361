/* SPDX-License-Identifier: MIT */
/* Zero-page test and block hashes: what the migration compares RAM with (host-tested). */
#include "lib/hash.h"

#include <string.h>

/* Native 64-bit load: memcpy keeps it alignment-safe on any host (only compared with 0 here). */
static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

bool page_is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i = 0;

	/* OR eight words at a time: one branch per 64 bytes, and most non-zero pages fail at once. */
	for (; i + 64 <= len; i += 64) {
		uint64_t acc = 0;

		for (int k = 0; k < 8; k++)
			acc |= load64(b + i + 8 * k);
		if (acc)
			return false;
	}
	for (; i < len; i++)
		if (b[i])
			return false;
	return true;
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
