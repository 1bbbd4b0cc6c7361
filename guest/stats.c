// SPDX-License-Identifier: MIT
/*
 * Per-vCPU statistics. The hart counts in its private copy (h->st) and publishes it to the shared
 * struct rvmig_vcpu_stats with the seqcount protocol: seq odd, fence w,w, data, fence w,w, seq even.
 * Publishing every write would dirty the stats page and cost fences on the hot path, so it happens
 * at most every millisecond while running, and always at events (epoch, slice done, verify, exit),
 * which is when the VMM needs exact numbers.
 *
 * The three first-write histograms are 24 KiB of a 25 KiB struct, and a pass touches a few dozen of
 * their buckets: a publish copies only the bucket ranges that changed since the last one (pub_lo..
 * pub_hi per class), and a new epoch zeroes only the buckets used in the last one (used_lo..used_hi),
 * so that neither costs the guest more than the old 40-bucket histogram did.
 */
#include "arch.h"
#include "guest.h"

/* Grows the bucket range [*lo, *hi) to include [a, b); an empty range has lo >= hi. */
static void range_add(uint16_t *lo, uint16_t *hi, unsigned a, unsigned b)
{
	if (a >= b)
		return;
	if (*lo >= *hi) {
		*lo = (uint16_t)a;
		*hi = (uint16_t)b;
		return;
	}
	if (a < *lo)
		*lo = (uint16_t)a;
	if (b > *hi)
		*hi = (uint16_t)b;
}

void stats_init(struct hart *h)
{
	h->st = (struct rvmig_vcpu_stats){
		.hartid = h->hartid,
		.slice_first_page = h->first_page,
		.slice_pages = h->data_pages,
		.slice_table_pages = g.layout.table_pages,
	};
	/* The shared copy holds whatever RAM held: publish every bucket once. */
	for (unsigned c = 0; c < RVMIG_FW_CLASSES; c++) {
		h->used_lo[c] = h->used_hi[c] = 0;
		h->pub_lo[c] = 0;
		h->pub_hi[c] = RVMIG_HIST_BUCKETS;
	}
	WRITE_ONCE(h->shared->seq, 0);
	stats_publish(h);
}

void stats_new_epoch(struct hart *h, uint64_t epoch, uint64_t now)
{
	struct rvmig_vcpu_stats *st = &h->st;

	st->epoch = epoch;
	st->epoch_start = now;
	st->epoch_writes = 0;
	st->first_writes = 0;
	st->slice_done_ticks = 0;
	for (unsigned c = 0; c < RVMIG_FW_CLASSES; c++) {
		struct rvmig_hist *x = &st->fw[c];

		x->count = x->sum_ticks = x->max_ticks = 0;
		for (unsigned i = h->used_lo[c]; i < h->used_hi[c]; i++)
			x->bucket[i] = 0;
		range_add(&h->pub_lo[c], &h->pub_hi[c], h->used_lo[c], h->used_hi[c]);
		h->used_lo[c] = h->used_hi[c] = 0;
	}
}

static void stats_hist_add(struct hart *h, enum rvmig_fw_class c, uint64_t ticks)
{
	struct rvmig_hist *x = &h->st.fw[c];
	unsigned i = rvmig_hist_bucket(ticks);

	x->count++;
	x->sum_ticks += ticks;
	if (ticks > x->max_ticks)
		x->max_ticks = ticks;
	x->bucket[i]++;
	range_add(&h->used_lo[c], &h->used_hi[c], i, i + 1);
	range_add(&h->pub_lo[c], &h->pub_hi[c], i, i + 1);
}

void stats_add_first_write(struct hart *h, unsigned regions, uint64_t ticks)
{
	h->st.first_writes++;
	if (!(regions & REGION_FIRST_IN_2M)) {
		stats_hist_add(h, RVMIG_FW_OTHER, ticks);
		return;
	}
	stats_hist_add(h, RVMIG_FW_FIRST_IN_2M, ticks);
	if (regions & REGION_FIRST_IN_1G)
		stats_hist_add(h, RVMIG_FW_FIRST_IN_1G, ticks);
}

void stats_publish(struct hart *h)
{
	volatile uint64_t *dst = (volatile uint64_t *)h->shared;
	const uint64_t *src = (const uint64_t *)&h->st;
	const unsigned fw_word = __builtin_offsetof(struct rvmig_vcpu_stats, fw) / sizeof(uint64_t);
	const unsigned bucket_word = __builtin_offsetof(struct rvmig_hist, bucket) / sizeof(uint64_t);
	uint64_t seq = h->st.seq; /* only this hart writes the shared seq */

	_Static_assert(sizeof(struct rvmig_vcpu_stats) % sizeof(uint64_t) == 0, "stats are u64 words");
	_Static_assert(sizeof(struct rvmig_hist) % sizeof(uint64_t) == 0, "histograms are u64 words");
	_Static_assert(__builtin_offsetof(struct rvmig_vcpu_stats, seq) == 0, "seq comes first");

	WRITE_ONCE(h->shared->seq, seq + 1);
	fence_w_w();
	for (unsigned i = 1; i < fw_word; i++)
		dst[i] = src[i];
	for (unsigned c = 0; c < RVMIG_FW_CLASSES; c++) {
		unsigned base = fw_word + c * (unsigned)(sizeof(struct rvmig_hist) / sizeof(uint64_t));

		for (unsigned i = 0; i < bucket_word; i++)
			dst[base + i] = src[base + i];
		for (unsigned i = h->pub_lo[c]; i < h->pub_hi[c]; i++)
			dst[base + bucket_word + i] = src[base + bucket_word + i];
		h->pub_lo[c] = h->pub_hi[c] = 0;
	}
	fence_w_w();
	WRITE_ONCE(h->shared->seq, seq + 2);
	h->st.seq = seq + 2;
}

void stats_maybe_publish(struct hart *h, uint64_t now)
{
	if (now - h->last_publish >= g.dt.timebase / 1000) {
		stats_publish(h);
		h->last_publish = now;
	}
}
