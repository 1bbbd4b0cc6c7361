/* SPDX-License-Identifier: MIT */
/* Dirty bitmap helpers: see bitmap.h for the layout and the cost guarantees. */
#include "lib/bitmap.h"

/* Mask of the bits of word w that are below nbits (all ones except possibly for the last word). */
static inline uint64_t word_mask(size_t nbits, size_t w)
{
	size_t tail = nbits % 64;

	if (w + 1 < bitmap_words(nbits) || tail == 0)
		return ~0ULL;
	return (1ULL << tail) - 1;
}

/*
 * Shared scan: `invert` = 0 looks for set bits, ~0 for clear bits (a clear bit is a set bit of ~word).
 * Word by word, so a run of uninteresting words costs one compare each.
 */
static size_t next_bit(const uint64_t *bm, size_t nbits, size_t from, uint64_t invert)
{
	size_t nwords = bitmap_words(nbits);
	size_t w = from / 64;
	uint64_t word;

	if (from >= nbits)
		return nbits;
	/* First word: drop the bits below `from`. */
	word = ((bm[w] ^ invert) & word_mask(nbits, w)) & (~0ULL << (from % 64));
	while (word == 0) {
		if (++w >= nwords)
			return nbits;
		word = (bm[w] ^ invert) & word_mask(nbits, w);
	}
	return w * 64 + (size_t)__builtin_ctzll(word);
}

size_t bitmap_next_set(const uint64_t *bm, size_t nbits, size_t from)
{
	return next_bit(bm, nbits, from, 0);
}

size_t bitmap_next_clear(const uint64_t *bm, size_t nbits, size_t from)
{
	return next_bit(bm, nbits, from, ~0ULL);
}

size_t bitmap_count(const uint64_t *bm, size_t nbits)
{
	size_t n = 0;

	for (size_t w = 0; w < bitmap_words(nbits); w++)
		n += (size_t)__builtin_popcountll(bm[w] & word_mask(nbits, w));
	return n;
}

size_t bitmap_or(uint64_t *dst, const uint64_t *src, size_t nbits)
{
	size_t fresh = 0;

	for (size_t w = 0; w < bitmap_words(nbits); w++) {
		uint64_t add = src[w] & word_mask(nbits, w);

		fresh += (size_t)__builtin_popcountll(add & ~dst[w]);
		dst[w] |= add;
	}
	return fresh;
}

/*
 * Apply `set` (1 = set, 0 = clear) to [start, start + n) clamped to nbits: partial first and last
 * words bit-masked, whole words in between stored directly.
 */
static void change_range(uint64_t *bm, size_t nbits, size_t start, size_t n, int set)
{
	size_t end;

	if (start >= nbits || n == 0)
		return;
	end = (n > nbits - start) ? nbits : start + n;
	while (start < end) {
		size_t w = start / 64, lo = start % 64;
		size_t hi = (end - w * 64 >= 64) ? 64 : end - w * 64; /* exclusive, within word */
		uint64_t mask = (hi == 64 ? ~0ULL : (1ULL << hi) - 1) & (~0ULL << lo);

		if (set)
			bm[w] |= mask;
		else
			bm[w] &= ~mask;
		start = w * 64 + hi;
	}
}

void bitmap_clear_range(uint64_t *bm, size_t nbits, size_t start, size_t n)
{
	change_range(bm, nbits, start, n, 0);
}

void bitmap_set_range(uint64_t *bm, size_t nbits, size_t start, size_t n)
{
	change_range(bm, nbits, start, n, 1);
}

int bitmap_for_each_set(const uint64_t *bm, size_t nbits, bitmap_bit_fn fn, void *arg)
{
	size_t nwords = bitmap_words(nbits);

	for (size_t w = 0; w < nwords; w++) {
		uint64_t word = bm[w] & word_mask(nbits, w);

		/* Peel the lowest set bit each time: O(set bits) work per non-zero word. */
		while (word) {
			int rc = fn(w * 64 + (size_t)__builtin_ctzll(word), arg);

			if (rc)
				return rc;
			word &= word - 1;
		}
	}
	return 0;
}

int bitmap_for_each_range(const uint64_t *bm, size_t nbits, size_t max_run, bitmap_range_fn fn, void *arg)
{
	size_t i = bitmap_next_set(bm, nbits, 0);

	while (i < nbits) {
		/* next_clear skips all-ones words, so a long run costs O(run / 64). */
		size_t end = bitmap_next_clear(bm, nbits, i);

		while (i < end) {
			size_t n = end - i;
			int rc;

			if (max_run && n > max_run)
				n = max_run;
			rc = fn(i, n, arg);
			if (rc)
				return rc;
			i += n;
		}
		i = bitmap_next_set(bm, nbits, end);
	}
	return 0;
}
