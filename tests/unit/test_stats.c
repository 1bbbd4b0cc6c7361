/* SPDX-License-Identifier: MIT */
/* Histogram percentiles, tick conversion, rates and the seqcount snapshot. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "lib/stats.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9 * (1 + fabs(b)))

static void test_quantiles(void)
{
	uint64_t h[RVMIG_HIST_BUCKETS] = { 0 };

	CHECK(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.5) == 0, "empty histogram gives 0");
	/* 100 samples in [16, 32): nearest rank 50 sits halfway through the bucket. */
	h[4] = 100;
	CHECK(NEAR(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.5), 24.0), "p50 inside one bucket interpolates: %g",
	      stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.5));
	CHECK(NEAR(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.99), 16 + 16 * 0.99), "p99 in the same bucket");
	CHECK(NEAR(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 20, 0.99), 20.0), "capped at the recorded max");
	CHECK(NEAR(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 31, 1.0), 31.0), "q = 1 is the max");

	/* 990 fast ([2,4)), 9 slow ([1024,2048)), 1 outlier ([2^20, 2^21)): the split-on-fault shape. */
	memset(h, 0, sizeof(h));
	h[1] = 990;
	h[10] = 9;
	h[20] = 1;
	CHECK(stats_hist_total(h, RVMIG_HIST_BUCKETS) == 1000, "total");
	CHECK(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.5) < 4, "p50 in the fast bucket");
	CHECK(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.99) <= 4, "p99 = rank 990 still fast (top edge)");
	CHECK(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.991) >= 1024, "rank 991 is slow");
	CHECK(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.999) >= 1024 &&
		      stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.999) <= 2048,
	      "p99.9 = rank 999 in the slow bucket");
	CHECK(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 1500000, 1.0) == 1500000, "max is exact");

	/* Bucket 0 holds 0..1 ticks. */
	memset(h, 0, sizeof(h));
	h[0] = 2;
	CHECK(NEAR(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.5), 1.0), "bucket 0 spans [0, 2)");
	/* Top bucket must not overflow the shift. */
	memset(h, 0, sizeof(h));
	h[RVMIG_HIST_BUCKETS - 1] = 1;
	CHECK(stats_hist_quantile(h, RVMIG_HIST_BUCKETS, 0, 0.5) >= (double)(1ULL << 39), "top bucket");
}

static void test_conversions(void)
{
	CHECK(NEAR(stats_ticks_to_us(10, 10000000), 1.0), "10 ticks at 10 MHz = 1 us");
	CHECK(NEAR(stats_ticks_to_us(1, 1000000), 1.0), "1 tick at 1 MHz = 1 us");
	CHECK(stats_ticks_to_us(5, 0) == 0, "unknown timebase gives 0");
	CHECK(NEAR(stats_rate(1000, 2000000000ULL), 500.0), "1000 in 2 s = 500/s");
	CHECK(stats_rate(1000, 0) == 0, "empty interval gives 0");
}

static void test_latency(void)
{
	struct rvmig_vcpu_stats s;
	struct stats_latency l;

	memset(&s, 0, sizeof(s));
	s.hist[3] = 10; /* [8, 16) ticks */
	s.first_write_ticks = 100;
	s.first_write_max = 15;
	stats_latency(&s, 10000000, &l);
	CHECK(l.count == 10, "latency count");
	CHECK(NEAR(l.mean_us, 1.0), "mean 10 ticks = 1 us at 10 MHz: %g", l.mean_us);
	CHECK(NEAR(l.max_us, 1.5), "max 15 ticks = 1.5 us");
	CHECK(l.p50_us <= l.p90_us && l.p90_us <= l.p99_us && l.p99_us <= l.p999_us && l.p999_us <= l.max_us,
	      "percentiles are ordered");
}

static void test_snapshot(void)
{
	struct rvmig_vcpu_stats src, dst;

	memset(&src, 0, sizeof(src));
	src.seq = 4;
	src.writes = 77;
	CHECK(stats_snapshot(&src, &dst) == 0 && dst.writes == 77 && dst.seq == 4, "consistent snapshot");
	src.seq = 5;
	CHECK(stats_snapshot(&src, &dst) == -EAGAIN, "odd seq (writer inside) gives -EAGAIN");
}

int main(void)
{
	test_quantiles();
	test_conversions();
	test_latency();
	test_snapshot();
	CHECK_DONE();
}
