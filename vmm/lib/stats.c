/* SPDX-License-Identifier: MIT */
#include "lib/stats.h"

#include <errno.h>
#include <math.h>
#include <string.h>

int stats_snapshot(const volatile struct rvmig_vcpu_stats *src, struct rvmig_vcpu_stats *dst)
{
	/* The guest bumps seq to odd, writes, bumps to even; retry while it is mid-update. */
	for (int tries = 0; tries < 10000; tries++) {
		uint64_t s1 = __atomic_load_n(&src->seq, __ATOMIC_ACQUIRE);

		if (s1 & 1)
			continue;
		memcpy(dst, (const void *)src, sizeof(*dst));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&src->seq, __ATOMIC_RELAXED) == s1) {
			dst->seq = s1;
			return 0;
		}
	}
	return -EAGAIN;
}

void stats_hist_merge(struct rvmig_hist *dst, const struct rvmig_hist *src)
{
	dst->count += src->count;
	dst->sum_ticks += src->sum_ticks;
	if (src->max_ticks > dst->max_ticks)
		dst->max_ticks = src->max_ticks;
	for (unsigned i = 0; i < RVMIG_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

void stats_first_writes_all(const struct rvmig_vcpu_stats *s, struct rvmig_hist *out)
{
	memset(out, 0, sizeof(*out));
	stats_hist_merge(out, &s->fw[RVMIG_FW_OTHER]);
	stats_hist_merge(out, &s->fw[RVMIG_FW_FIRST_IN_2M]);
}

double stats_hist_quantile(const struct rvmig_hist *h, double q)
{
	uint64_t total = 0, cum = 0, rank;

	for (unsigned i = 0; i < RVMIG_HIST_BUCKETS; i++)
		total += h->bucket[i];
	if (!total)
		return 0;
	if (q >= 1.0)
		return (double)h->max_ticks;
	/* Rank of the sample the quantile names, 1-based (nearest rank, ceil(q * n)); the slack keeps
	 * 0.99 * 1000 = 990.0000000000001 from becoming rank 991. */
	double want = q * (double)total - 1e-9 * (double)total;

	rank = (uint64_t)want;
	if ((double)rank < want)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > total)
		rank = total;
	for (unsigned i = 0; i < RVMIG_HIST_BUCKETS; i++) {
		cum += h->bucket[i];
		if (cum >= rank) {
			/* Values lo .. lo + width - 1 land in bucket i: their midpoint. */
			double v = (double)rvmig_hist_bucket_lo(i) + (double)(rvmig_hist_bucket_width(i) - 1) / 2;

			return h->max_ticks && v > (double)h->max_ticks ? (double)h->max_ticks : v;
		}
	}
	return (double)h->max_ticks;
}

double stats_ticks_to_us(double ticks, uint64_t timebase_hz)
{
	return timebase_hz ? ticks * 1e6 / (double)timebase_hz : 0;
}

double stats_rate(uint64_t count, uint64_t interval_ns)
{
	return interval_ns ? (double)count * 1e9 / (double)interval_ns : 0;
}

void stats_latency(const struct rvmig_hist *h, uint64_t timebase_hz, struct stats_latency *out)
{
	out->count = h->count;
	out->mean_us = h->count ? stats_ticks_to_us((double)h->sum_ticks / (double)h->count, timebase_hz) : 0;
	out->p50_us = stats_ticks_to_us(stats_hist_quantile(h, 0.50), timebase_hz);
	out->p90_us = stats_ticks_to_us(stats_hist_quantile(h, 0.90), timebase_hz);
	out->p99_us = stats_ticks_to_us(stats_hist_quantile(h, 0.99), timebase_hz);
	out->p999_us = stats_ticks_to_us(stats_hist_quantile(h, 0.999), timebase_hz);
	out->max_us = h->count ? stats_ticks_to_us((double)h->max_ticks, timebase_hz) : 0;
}
