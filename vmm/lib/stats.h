/* SPDX-License-Identifier: MIT */
/* Reading the guest's per-vCPU statistics and turning them into numbers (pure, host-tested). */
#ifndef RVMIG_STATS_H
#define RVMIG_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "rvmig_abi.h"

/* Consistent copy of a stats block the guest may be writing (seqcount). 0, or -EAGAIN. */
int stats_snapshot(const volatile struct rvmig_vcpu_stats *src, struct rvmig_vcpu_stats *dst);

uint64_t stats_hist_total(const uint64_t *hist, size_t nbuckets);
/*
 * q-quantile (0 < q <= 1) in ticks from a log2 histogram (bucket i = [2^i, 2^(i+1)), bucket 0 =
 * [0, 2)), linearly interpolated inside the bucket and capped at max_ticks when that is non-zero.
 * 0 for an empty histogram.
 */
double stats_hist_quantile(const uint64_t *hist, size_t nbuckets, uint64_t max_ticks, double q);

double stats_ticks_to_us(double ticks, uint64_t timebase_hz);
/* Events per second; 0 when the interval is empty. */
double stats_rate(uint64_t count, uint64_t interval_ns);

struct stats_latency {
	uint64_t count;
	double mean_us, p50_us, p90_us, p99_us, p999_us, max_us;
};

void stats_latency(const struct rvmig_vcpu_stats *s, uint64_t timebase_hz, struct stats_latency *out);

#endif
