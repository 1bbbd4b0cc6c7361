/* SPDX-License-Identifier: MIT */
/* Log-linear histogram buckets and percentiles, tick conversion, rates and the seqcount snapshot. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/stats.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9 * (1 + fabs(b)))

/* floor(log2(v)) the slow way, to check the header's halving steps. */
static unsigned log2_by_shifts(uint64_t v)
{
	unsigned e = 0;

	while (v >>= 1)
		e++;
	return e;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

/* The bucket formula of include/rvmig_abi.h: contiguous, exact below 64, 32 per power of two, <= 1/32 wide. */
static void test_buckets(void)
{
	bool contiguous = true, own = true, narrow = true, log2_ok = true;
	unsigned per_power[40] = { 0 };
	uint64_t x = 42;

	for (uint64_t v = 0; v < 64; v++)
		own &= rvmig_hist_bucket(v) == v && rvmig_hist_bucket_lo((unsigned)v) == v &&
		       rvmig_hist_bucket_width((unsigned)v) == 1;
	CHECK(own, "values below 64 ticks have a bucket each");
	CHECK(rvmig_hist_bucket_lo(0) == 0, "bucket 0 starts at 0");
	own = true;
	for (unsigned i = 0; i < RVMIG_HIST_BUCKETS; i++) {
		uint64_t lo = rvmig_hist_bucket_lo(i), w = rvmig_hist_bucket_width(i);

		if (i + 1 < RVMIG_HIST_BUCKETS)
			contiguous &= rvmig_hist_bucket_lo(i + 1) == lo + w;
		own &= rvmig_hist_bucket(lo) == i && rvmig_hist_bucket(lo + w - 1) == i;
		if (lo >= 32)
			narrow &= w * 32 <= lo;
		if (lo >= 32)
			per_power[log2_by_shifts(lo)]++;
	}
	CHECK(contiguous, "each bucket starts where the one before ends");
	CHECK(own, "a bucket's first and last value land in it");
	CHECK(narrow, "from 32 ticks on no bucket is wider than 1/32 of its lower edge");
	CHECK(per_power[5] == 32 && per_power[6] == 32 && per_power[20] == 32 && per_power[35] == 32,
	      "32 buckets per power of two (2^5: %u, 2^6: %u, 2^20: %u, 2^35: %u)", per_power[5], per_power[6],
	      per_power[20], per_power[35]);
	CHECK(rvmig_hist_bucket_lo(RVMIG_HIST_BUCKETS - 1) + rvmig_hist_bucket_width(RVMIG_HIST_BUCKETS - 1) ==
		      1ULL << 36,
	      "the buckets reach 2^36 ticks");
	CHECK(rvmig_hist_bucket((1ULL << 36) - 1) == RVMIG_HIST_BUCKETS - 1 &&
		      rvmig_hist_bucket(1ULL << 36) == RVMIG_HIST_BUCKETS - 1 &&
		      rvmig_hist_bucket(UINT64_MAX) == RVMIG_HIST_BUCKETS - 1,
	      "longer latencies land in the last bucket");
	CHECK(rvmig_hist_bucket(1000) != rvmig_hist_bucket(1800) && rvmig_hist_bucket(1000) != rvmig_hist_bucket(1040),
	      "100 us, 104 us and 180 us (10 MHz) are told apart");
	for (int k = 0; k < 100000; k++) {
		uint64_t v = xorshift(&x) >> (xorshift(&x) % 64);

		if (v)
			log2_ok &= rvmig_log2(v) == log2_by_shifts(v);
	}
	CHECK(log2_ok && rvmig_log2(1) == 0 && rvmig_log2(UINT64_MAX) == 63,
	      "rvmig_log2 = floor(log2) on 100000 values");
}

static void hist_add(struct rvmig_hist *h, uint64_t v)
{
	h->count++;
	h->sum_ticks += v;
	if (v > h->max_ticks)
		h->max_ticks = v;
	h->bucket[rvmig_hist_bucket(v)]++;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank (ceil(q * n)) of sorted v[0..n). */
static uint64_t exact_quantile(const uint64_t *v, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n - 1e-9 * (double)n);

	return v[(rank < 1 ? 1 : rank > n ? n : rank) - 1];
}

/*
 * Known inputs: log-uniform samples over 1 tick .. 2^30 ticks, and the split-fault shape (most first
 * writes near 100 us, one in 512 near 180 us). Every percentile within 1/64 of the exact one.
 */
static void test_quantiles(void)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	enum { N = 200000 };
	static uint64_t v[N];
	static struct rvmig_hist h;
	double worst = 0;
	uint64_t x = 7;

	memset(&h, 0, sizeof(h));
	CHECK(stats_hist_quantile(&h, 0.5) == 0, "empty histogram gives 0");
	for (size_t i = 0; i < N; i++) {
		v[i] = 1 + (xorshift(&x) >> (34 + xorshift(&x) % 30));
		hist_add(&h, v[i]);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		double want = (double)exact_quantile(v, N, qs[k]), got = stats_hist_quantile(&h, qs[k]);

		if (fabs(got - want) / want > worst)
			worst = fabs(got - want) / want;
	}
	for (double q = 0.001; q < 1; q += 0.001) {
		double want = (double)exact_quantile(v, N, q), got = stats_hist_quantile(&h, q);

		if (fabs(got - want) / want > worst)
			worst = fabs(got - want) / want;
	}
	CHECK(worst <= 1.0 / 64,
	      "log-uniform 1..2^30 ticks, 200000 samples: p50/p90/p99/p99.9 and every 0.1 %% "
	      "quantile within 1/64 of the exact value (worst %.4f %%)",
	      worst * 100);
	CHECK(stats_hist_quantile(&h, 1.0) == (double)v[N - 1], "q = 1 is the exact max");

	/* 511 faults near 100 us, 1 split fault near 180 us per 2M region (10 MHz timebase), 64 regions. */
	memset(&h, 0, sizeof(h));
	x = 9;
	for (int r = 0; r < 64; r++) {
		for (int k = 0; k < 511; k++)
			hist_add(&h, 950 + xorshift(&x) % 100);
		hist_add(&h, 1750 + xorshift(&x) % 100);
	}
	double p50 = stats_hist_quantile(&h, 0.5), p999 = stats_hist_quantile(&h, 0.999);
	CHECK(p50 >= 950 * (1 - 1.0 / 64) && p50 <= 1049 * (1 + 1.0 / 64),
	      "split shape: p50 %.0f ticks is a fast fault", p50);
	CHECK(p999 >= 1750 * (1 - 1.0 / 64) && p999 <= 1849 * (1 + 1.0 / 64),
	      "split shape: p99.9 %.0f ticks is a split fault (a log2 bucket would hold 1024..2047)", p999);
	CHECK(stats_hist_quantile(&h, 0.998) < 1100, "rank 0.998 (below the 64 split faults of 32768) is still fast");

	/* The midpoint never exceeds the recorded max. */
	memset(&h, 0, sizeof(h));
	hist_add(&h, 1 << 20);
	CHECK(stats_hist_quantile(&h, 0.5) == (double)(1 << 20), "one sample: every quantile is that sample");
}

static void test_merge(void)
{
	static struct rvmig_vcpu_stats s;
	struct rvmig_hist all;

	memset(&s, 0, sizeof(s));
	hist_add(&s.fw[RVMIG_FW_OTHER], 10);
	hist_add(&s.fw[RVMIG_FW_OTHER], 20);
	hist_add(&s.fw[RVMIG_FW_FIRST_IN_2M], 5000);
	hist_add(&s.fw[RVMIG_FW_FIRST_IN_1G], 5000);
	stats_first_writes_all(&s, &all);
	CHECK(all.count == 3 && all.sum_ticks == 5030 && all.max_ticks == 5000,
	      "all first writes = other + first in 2M");
	CHECK(all.bucket[10] == 1 && all.bucket[20] == 1 && all.bucket[rvmig_hist_bucket(5000)] == 1,
	      "buckets added, the 1G class not counted twice");
	stats_hist_merge(&all, &s.fw[RVMIG_FW_OTHER]);
	CHECK(all.count == 5 && all.bucket[10] == 2 && all.max_ticks == 5000,
	      "merge adds counts, keeps the larger max");
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
	struct rvmig_hist h;
	struct stats_latency l;

	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 10; i++)
		hist_add(&h, 6 + (uint64_t)i); /* 6..15 ticks, sum 105 */
	stats_latency(&h, 10000000, &l);
	CHECK(l.count == 10, "latency count");
	CHECK(NEAR(l.mean_us, 1.05), "mean 10.5 ticks = 1.05 us at 10 MHz: %g", l.mean_us);
	CHECK(NEAR(l.max_us, 1.5), "max 15 ticks = 1.5 us");
	CHECK(NEAR(l.p50_us, 1.0), "p50 = rank 5 = 10 ticks (exact below 64): %g", l.p50_us);
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
	test_buckets();
	test_quantiles();
	test_merge();
	test_conversions();
	test_latency();
	test_snapshot();
	CHECK_DONE();
}
