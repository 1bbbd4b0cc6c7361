/* Unit tests of vmm/lib/bitmap.c against a naive per-bit reference, on many random bitmaps. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/bitmap.h"

static uint64_t rng_state = 0x1234567887654321ULL;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* ---- naive reference ---- */
static size_t ref_next(const uint64_t *bm, size_t nbits, size_t from, int want)
{
	for (size_t i = from; i < nbits; i++)
		if (bitmap_test(bm, i) == want)
			return i;
	return nbits;
}

static size_t ref_count(const uint64_t *bm, size_t nbits)
{
	size_t n = 0;

	for (size_t i = 0; i < nbits; i++)
		n += bitmap_test(bm, i);
	return n;
}

/* Random bitmap of nbits with one of several densities; the tail past nbits gets garbage. */
static void fill_random(uint64_t *bm, size_t nbits, int kind)
{
	size_t nw = bitmap_words(nbits);

	for (size_t w = 0; w < nw; w++) {
		switch (kind) {
		case 0:
			bm[w] = 0;
			break; /* all zero  */
		case 1:
			bm[w] = ~0ULL;
			break; /* all ones  */
		case 2:
			bm[w] = rnd();
			break; /* 50 %      */
		case 3:
			bm[w] = (rnd() % 16 == 0) ? 1ULL << (rnd() % 64) : 0;
			break; /* sparse */
		case 4:
			bm[w] = ~((rnd() % 8 == 0) ? 1ULL << (rnd() % 64) : 0);
			break; /* dense */
		default:
			bm[w] = (rnd() % 3 == 0) ? rnd() & rnd() : 0;
			break; /* clustered */
		}
	}
	/* Bits at or past nbits must be ignored by every reader: make them dirty. */
	if (nbits % 64)
		bm[nw - 1] |= ~0ULL << (nbits % 64);
}

struct collect {
	size_t *v;
	size_t n;
	size_t stop_after; /* 0 = never */
};

static int collect_bit(size_t bit, void *arg)
{
	struct collect *c = arg;

	c->v[c->n++] = bit;
	return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

static int collect_range(size_t first, size_t n, void *arg)
{
	struct collect *c = arg;

	c->v[c->n++] = first;
	c->v[c->n++] = n;
	return 0;
}

/* Naive runs of set bits split at max_run, as pairs (first, n). */
static size_t ref_ranges(const uint64_t *bm, size_t nbits, size_t max_run, size_t *out)
{
	size_t k = 0, i = 0;

	while (i < nbits) {
		size_t j;

		if (!bitmap_test(bm, i)) {
			i++;
			continue;
		}
		for (j = i; j < nbits && bitmap_test(bm, j) && (!max_run || j - i < max_run); j++)
			;
		out[k++] = i;
		out[k++] = j - i;
		i = j;
	}
	return k;
}

static size_t pick_size(int iter)
{
	static const size_t edge[] = { 0, 1, 2, 63, 64, 65, 127, 128, 129, 191, 192, 193, 4096, 4097 };

	if ((size_t)iter < sizeof(edge) / sizeof(edge[0]))
		return edge[iter];
	return rnd() % 5000;
}

int main(void)
{
	enum { ITERS = 3000, MAXBITS = 5000 };
	uint64_t *a = calloc(bitmap_words(MAXBITS) + 1, 8), *b = calloc(bitmap_words(MAXBITS) + 1, 8);
	uint64_t *r = calloc(bitmap_words(MAXBITS) + 1, 8);
	size_t *v1 = calloc(2 * MAXBITS + 2, sizeof(size_t)), *v2 = calloc(2 * MAXBITS + 2, sizeof(size_t));
	int bad_next = 0, bad_clear = 0, bad_count = 0, bad_each = 0, bad_range = 0, bad_or = 0;
	int bad_clr = 0, bad_set = 0, kinds_seen = 0;

	CHECK(bitmap_words(0) == 0 && bitmap_words(1) == 1 && bitmap_words(64) == 1 && bitmap_words(65) == 2,
	      "bitmap_words rounds up to whole 64-bit words");

	for (int it = 0; it < ITERS; it++) {
		size_t nbits = pick_size(it), n, k;
		int kind = it % 6;
		struct collect c = { v1, 0, 0 };

		kinds_seen |= 1 << kind;
		fill_random(a, nbits, kind);
		/* next_set / next_clear from every position (and past the end). */
		for (size_t from = 0; from <= nbits + 1; from += 1 + (nbits > 600 ? rnd() % 7 : 0)) {
			bad_next += bitmap_next_set(a, nbits, from) != ref_next(a, nbits, from, 1);
			bad_clear += bitmap_next_clear(a, nbits, from) != ref_next(a, nbits, from, 0);
		}
		bad_count += bitmap_count(a, nbits) != ref_count(a, nbits);
		/* for_each_set against the reference list. */
		bitmap_for_each_set(a, nbits, collect_bit, &c);
		n = 0;
		for (size_t i = 0; i < nbits; i++)
			if (bitmap_test(a, i))
				v2[n++] = i;
		bad_each += c.n != n || memcmp(v1, v2, n * sizeof(size_t));
		/* for_each_range, unlimited and with a random cap. */
		for (int cap = 0; cap < 2; cap++) {
			size_t max_run = cap ? 1 + rnd() % 100 : 0;

			c.n = 0;
			bitmap_for_each_range(a, nbits, max_run, collect_range, &c);
			k = ref_ranges(a, nbits, max_run, v2);
			bad_range += c.n != k || memcmp(v1, v2, k * sizeof(size_t));
		}
		/* OR: result and newly-set count against per-bit. */
		fill_random(b, nbits, (int)(rnd() % 6));
		memcpy(r, a, bitmap_words(nbits) * 8);
		n = bitmap_or(r, b, nbits);
		k = 0;
		for (size_t i = 0; i < nbits; i++) {
			int want = bitmap_test(a, i) || bitmap_test(b, i);

			k += !bitmap_test(a, i) && bitmap_test(b, i);
			bad_or += bitmap_test(r, i) != want;
		}
		bad_or += n != k;
		if (nbits % 64) /* tail bits past nbits of dst must not gain bits from src's garbage */
			bad_or += (r[bitmap_words(nbits) - 1] & (~0ULL << (nbits % 64))) !=
				  (a[bitmap_words(nbits) - 1] & (~0ULL << (nbits % 64)));
		/* clear_range / set_range of a random range (possibly past the end). */
		if (nbits) {
			size_t start = rnd() % (nbits + 10), len = rnd() % (nbits + 10);

			memcpy(r, a, bitmap_words(nbits) * 8);
			bitmap_clear_range(r, nbits, start, len);
			for (size_t i = 0; i < nbits; i++)
				bad_clr += bitmap_test(r, i) !=
					   ((i >= start && i - start < len) ? 0 : bitmap_test(a, i));
			memcpy(r, a, bitmap_words(nbits) * 8);
			bitmap_set_range(r, nbits, start, len);
			for (size_t i = 0; i < nbits; i++)
				bad_set += bitmap_test(r, i) !=
					   ((i >= start && i - start < len) ? 1 : bitmap_test(a, i));
		}
	}
	CHECK(kinds_seen == 0x3f, "random bitmaps covered all-zero, all-ones, 50%%, sparse, dense, clustered");
	CHECK(bad_next == 0, "bitmap_next_set matches the per-bit reference on %d random bitmaps (%d wrong)", ITERS,
	      bad_next);
	CHECK(bad_clear == 0, "bitmap_next_clear matches the per-bit reference (%d wrong)", bad_clear);
	CHECK(bad_count == 0, "bitmap_count matches the per-bit popcount, tail garbage ignored (%d wrong)", bad_count);
	CHECK(bad_each == 0, "bitmap_for_each_set yields exactly the set bits in order (%d wrong)", bad_each);
	CHECK(bad_range == 0, "bitmap_for_each_range yields the runs, split at max_run (%d wrong)", bad_range);
	CHECK(bad_or == 0, "bitmap_or folds src into dst and counts newly set bits (%d wrong)", bad_or);
	CHECK(bad_clr == 0, "bitmap_clear_range clears exactly [start, start+n) clamped (%d wrong)", bad_clr);
	CHECK(bad_set == 0, "bitmap_set_range sets exactly [start, start+n) clamped (%d wrong)", bad_set);

	/* Edge cases by hand. */
	memset(a, 0, 16);
	CHECK(bitmap_next_set(a, 0, 0) == 0 && bitmap_next_clear(a, 0, 0) == 0,
	      "empty bitmap: next_set/next_clear return nbits (0)");
	bitmap_set(a, 70);
	CHECK(bitmap_next_set(a, 128, 0) == 70 && bitmap_next_set(a, 128, 70) == 70 &&
		      bitmap_next_set(a, 128, 71) == 128 && bitmap_next_set(a, 70, 0) == 70,
	      "next_set finds bit 70 in word 1, returns nbits past it and when nbits excludes it");
	bitmap_clear(a, 70);
	CHECK(a[1] == 0, "bitmap_clear clears the bit");
	{
		struct collect c = { v1, 0, 3 };
		int rc;

		memset(a, 0xff, 16);
		rc = bitmap_for_each_set(a, 128, collect_bit, &c); /* CHECK evaluates its condition twice */
		CHECK(rc == 42 && c.n == 3, "a non-zero callback return stops for_each_set and is returned");
	}
	{
		struct collect c = { v1, 0, 0 };

		memset(a, 0xff, 16);
		bitmap_for_each_range(a, 128, 0, collect_range, &c);
		CHECK(c.n == 2 && v1[0] == 0 && v1[1] == 128, "all-ones 128 bits are one run of 128");
		c.n = 0;
		bitmap_for_each_range(a, 128, 50, collect_range, &c);
		CHECK(c.n == 6 && v1[1] == 50 && v1[3] == 50 && v1[4] == 100 && v1[5] == 28,
		      "max_run 50 splits the run into 50 + 50 + 28");
	}
	{
		/* A big clean bitmap (1 TiB of 4K pages' worth of words would be too much: 2^28 bits). */
		size_t nbits = (size_t)1 << 28;
		uint64_t *big = calloc(bitmap_words(nbits), 8);

		CHECK(big && bitmap_next_set(big, nbits, 0) == nbits && bitmap_count(big, nbits) == 0,
		      "clean 2^28-bit bitmap scans to nbits with nothing found");
		if (big) {
			bitmap_set(big, nbits - 1);
			CHECK(bitmap_next_set(big, nbits, 0) == nbits - 1, "finds the only set bit, the last one");
		}
		free(big);
	}
	free(a);
	free(b);
	free(r);
	free(v1);
	free(v2);
	CHECK_DONE();
}
