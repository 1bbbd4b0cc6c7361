/* SPDX-License-Identifier: MIT */
/* Reading the guest's per-vCPU statistics and turning them into numbers (pure, host-tested). */
#ifndef RVMIG_STATS_H
#define RVMIG_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "rvmig_abi.h"

/* Consistent copy of a stats block the guest may be writing (seqcount). 0, or -EAGAIN. */
int stats_snapshot(const volatile struct rvmig_vcpu_stats *src, struct rvmig_vcpu_stats *dst);

/* dst += src: counts, sums and buckets added, the larger max kept. */
void stats_hist_merge(struct rvmig_hist *dst, const struct rvmig_hist *src);
/* Every first write of the epoch: fw[OTHER] + fw[FIRST_IN_2M] (FIRST_IN_1G is inside the second). */
void stats_first_writes_all(const struct rvmig_vcpu_stats *s, struct rvmig_hist *out);
/*
 * q-quantile (0 < q <= 1) in ticks of a log-linear histogram (include/rvmig_abi.h): the nearest-rank
 * sample's bucket, read as its midpoint, so within 1/64 of that sample; never above max_ticks, and
 * exactly max_ticks for q = 1. 0 for an empty histogram.
 */
double stats_hist_quantile(const struct rvmig_hist *h, double q);

double stats_ticks_to_us(double ticks, uint64_t timebase_hz);
/* Events per second; 0 when the interval is empty. */
double stats_rate(uint64_t count, uint64_t interval_ns);

struct stats_latency {
	uint64_t count;
	double mean_us, p50_us, p90_us, p99_us, p999_us, max_us;
};

void stats_latency(const struct rvmig_hist *h, uint64_t timebase_hz, struct stats_latency *out);

#endif
