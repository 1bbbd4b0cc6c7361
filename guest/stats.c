// SPDX-License-Identifier: MIT
/*
 * Per-vCPU statistics. The hart counts in its private copy (h->st) and publishes it to the shared
 * struct rvmig_vcpu_stats with the seqcount protocol: seq odd, fence w,w, data, fence w,w, seq even.
 * Publishing every write would dirty the stats page and cost fences on the hot path, so it happens
 * at most every millisecond while running, and always at events (epoch, slice done, verify, exit),
 * which is when the VMM needs exact numbers.
 */
#include "arch.h"
#include "guest.h"

void stats_init(struct hart *h)
{
	h->st = (struct rvmig_vcpu_stats){
		.hartid = h->hartid,
		.slice_first_page = h->first_page,
		.slice_pages = h->data_pages,
		.slice_table_pages = g.layout.table_pages,
	};
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
	st->first_write_ticks = 0;
	st->first_write_max = 0;
	st->slice_done_ticks = 0;
	for (unsigned i = 0; i < RVMIG_HIST_BUCKETS; i++)
		st->hist[i] = 0;
}

/* floor(log2(ticks)); 0 and 1 both land in bucket 0; clamped to the last bucket. */
unsigned stats_hist_bucket(uint64_t ticks)
{
	/* A shift loop, not __builtin_clzll: without Zbb that calls libgcc, which Debian builds only
	 * for lp64d and so cannot be linked into this lp64 image. */
	unsigned b = 0;
	while (ticks >>= 1)
		b++;
	return b < RVMIG_HIST_BUCKETS ? b : RVMIG_HIST_BUCKETS - 1;
}

void stats_add_first_write(struct hart *h, uint64_t ticks)
{
	struct rvmig_vcpu_stats *st = &h->st;

	st->first_writes++;
	st->first_write_ticks += ticks;
	if (ticks > st->first_write_max)
		st->first_write_max = ticks;
	st->hist[stats_hist_bucket(ticks)]++;
}

void stats_publish(struct hart *h)
{
	volatile uint64_t *dst = (volatile uint64_t *)h->shared;
	const uint64_t *src = (const uint64_t *)&h->st;
	uint64_t seq = h->st.seq; /* only this hart writes the shared seq */

	_Static_assert(sizeof(struct rvmig_vcpu_stats) % sizeof(uint64_t) == 0, "stats are u64 words");
	_Static_assert(__builtin_offsetof(struct rvmig_vcpu_stats, seq) == 0, "seq comes first");

	WRITE_ONCE(h->shared->seq, seq + 1);
	fence_w_w();
	for (unsigned i = 1; i < sizeof(struct rvmig_vcpu_stats) / sizeof(uint64_t); i++)
		dst[i] = src[i];
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
