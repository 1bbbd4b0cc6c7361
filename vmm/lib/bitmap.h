/* SPDX-License-Identifier: MIT */
/*
 * Dirty bitmap helpers over KVM's layout: an array of 64-bit words, bit i = page i, bit i living in
 * word i / 64 at position i % 64. KVM_GET_DIRTY_LOG fills an array of unsigned long; on riscv64 (and
 * x86-64) that is exactly this uint64_t layout, so a harvested bitmap can be used here as is.
 *
 * Every scan walks whole words and skips zero (or, looking for clear bits, all-ones) words, so a clean
 * bitmap costs O(nbits / 64) and a dirty one O(dirty bits) on top of that. Bits at or past nbits in
 * the last word are ignored by every reader and never set by any writer, so a caller never has to
 * care whether the tail of the last word is clean.
 *
 * Pure C, no KVM: built into the host unit tests and into the riscv64 VMM. Nothing here exits.
 */
#ifndef RVMIG_BITMAP_H
#define RVMIG_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Number of 64-bit words needed for nbits bits (what to allocate, and what KVM expects). */
static inline size_t bitmap_words(size_t nbits)
{
	return nbits / 64 + (nbits % 64 != 0);
}

static inline bool bitmap_test(const uint64_t *bm, size_t i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

static inline void bitmap_set(uint64_t *bm, size_t i)
{
	bm[i / 64] |= 1ULL << (i % 64);
}

static inline void bitmap_clear(uint64_t *bm, size_t i)
{
	bm[i / 64] &= ~(1ULL << (i % 64));
}

/* First set bit at or after `from`, or nbits when there is none (also when from >= nbits). */
size_t bitmap_next_set(const uint64_t *bm, size_t nbits, size_t from);

/* First clear bit at or after `from`, or nbits when there is none. */
size_t bitmap_next_clear(const uint64_t *bm, size_t nbits, size_t from);

/* Number of set bits among the first nbits. */
size_t bitmap_count(const uint64_t *bm, size_t nbits);

/*
 * dst |= src over the first nbits (folding a harvested KVM bitmap into the VMM's own). Returns how many
 * bits were newly set in dst, i.e. pages that were not already queued.
 */
size_t bitmap_or(uint64_t *dst, const uint64_t *src, size_t nbits);

/* Clear / set bits [start, start + n), clamped to nbits. */
void bitmap_clear_range(uint64_t *bm, size_t nbits, size_t start, size_t n);
void bitmap_set_range(uint64_t *bm, size_t nbits, size_t start, size_t n);

/*
 * Callbacks for the iterators: return 0 to go on, anything else stops the walk and is returned by the
 * iterator (so a callback can propagate a -errno from, say, a failed stream write).
 */
typedef int (*bitmap_bit_fn)(size_t bit, void *arg);
typedef int (*bitmap_range_fn)(size_t first, size_t n, void *arg);

/* Calls fn for every set bit, in increasing order. */
int bitmap_for_each_set(const uint64_t *bm, size_t nbits, bitmap_bit_fn fn, void *arg);

/*
 * Calls fn for every run of consecutive set bits [first, first + n), in increasing order. A run longer
 * than max_run (when max_run > 0) is split into pieces of at most max_run bits, so a caller batching
 * pages gets ranges that fit its batch size.
 */
int bitmap_for_each_range(const uint64_t *bm, size_t nbits, size_t max_run, bitmap_range_fn fn, void *arg);

#endif /* RVMIG_BITMAP_H */
