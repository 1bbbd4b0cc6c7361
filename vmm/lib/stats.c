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

uint64_t stats_hist_total(const uint64_t *hist, size_t nbuckets)
{
	uint64_t n = 0;

	for (size_t i = 0; i < nbuckets; i++)
		n += hist[i];
	return n;
}

double stats_hist_quantile(const uint64_t *hist, size_t nbuckets, uint64_t max_ticks, double q)
{
	uint64_t total = stats_hist_total(hist, nbuckets), cum = 0, rank;

	if (!total)
		return 0;
	if (q >= 1.0 && max_ticks)
		return (double)max_ticks;
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
	for (size_t i = 0; i < nbuckets; i++) {
		if (!hist[i])
			continue;
		if (cum + hist[i] >= rank) {
			double lo = i ? (double)(1ULL << i) : 0, hi = (double)(2ULL << i);
			double v = lo + (hi - lo) * (double)(rank - cum) / (double)hist[i];

			if (max_ticks && v > (double)max_ticks)
				v = (double)max_ticks;
			return v;
		}
		cum += hist[i];
	}
	return max_ticks ? (double)max_ticks : 0;
}

double stats_ticks_to_us(double ticks, uint64_t timebase_hz)
{
	return timebase_hz ? ticks * 1e6 / (double)timebase_hz : 0;
}

double stats_rate(uint64_t count, uint64_t interval_ns)
{
	return interval_ns ? (double)count * 1e9 / (double)interval_ns : 0;
}

void stats_latency(const struct rvmig_vcpu_stats *s, uint64_t timebase_hz, struct stats_latency *out)
{
	const uint64_t *h = s->hist;
	const size_t n = RVMIG_HIST_BUCKETS;
	uint64_t max = s->first_write_max;

	out->count = stats_hist_total(h, n);
	out->mean_us = out->count ? stats_ticks_to_us((double)s->first_write_ticks / (double)out->count, timebase_hz)
				  : 0;
	out->p50_us = stats_ticks_to_us(stats_hist_quantile(h, n, max, 0.50), timebase_hz);
	out->p90_us = stats_ticks_to_us(stats_hist_quantile(h, n, max, 0.90), timebase_hz);
	out->p99_us = stats_ticks_to_us(stats_hist_quantile(h, n, max, 0.99), timebase_hz);
	out->p999_us = stats_ticks_to_us(stats_hist_quantile(h, n, max, 0.999), timebase_hz);
	out->max_us = out->count ? stats_ticks_to_us((double)max, timebase_hz) : 0;
}
