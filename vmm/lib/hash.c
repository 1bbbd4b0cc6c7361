/* SPDX-License-Identifier: MIT */
/* Zero-page test and XXH64 block hashes: what the migration compares RAM with (host-tested). */
#include "lib/hash.h"

#include <string.h>

/* Native 64-bit load of little-endian bytes: memcpy keeps it alignment-safe on any host. */
static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint32_t load_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
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
			acc |= load_le64(b + i + 8 * k);
		if (acc)
			return false;
	}
	for (; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* XXH64 (https://github.com/Cyan4973/xxHash, BSD-2): the reference algorithm with seed 0. */
#define XP1 0x9E3779B185EBCA87ULL
#define XP2 0xC2B2AE3D27D4EB4FULL
#define XP3 0x165667B19E3779F9ULL
#define XP4 0x85EBCA77C2B2AE63ULL
#define XP5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t xround(uint64_t acc, uint64_t in)
{
	return rotl64(acc + in * XP2, 31) * XP1;
}

static inline uint64_t xmerge(uint64_t h, uint64_t v)
{
	return (h ^ xround(0, v)) * XP1 + XP4;
}

uint64_t hash_block(const void *p, size_t len)
{
	const uint8_t *b = p, *end = b + len;
	uint64_t h;

	if (len >= 32) {
		uint64_t v1 = XP1 + XP2, v2 = XP2, v3 = 0, v4 = -XP1;

		for (; end - b >= 32; b += 32) {
			v1 = xround(v1, load_le64(b));
			v2 = xround(v2, load_le64(b + 8));
			v3 = xround(v3, load_le64(b + 16));
			v4 = xround(v4, load_le64(b + 24));
		}
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xmerge(xmerge(xmerge(xmerge(h, v1), v2), v3), v4);
	} else {
		h = XP5;
	}
	h += len;
	for (; end - b >= 8; b += 8)
		h = rotl64(h ^ xround(0, load_le64(b)), 27) * XP1 + XP4;
	if (end - b >= 4) {
		h = rotl64(h ^ (uint64_t)load_le32(b) * XP1, 23) * XP2 + XP3;
		b += 4;
	}
	for (; b < end; b++)
		h = rotl64(h ^ *b * XP5, 11) * XP1;
	h ^= h >> 33;
	h *= XP2;
	h ^= h >> 29;
	h *= XP3;
	return h ^ (h >> 32);
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
