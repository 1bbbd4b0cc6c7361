/* SPDX-License-Identifier: MIT */
/* rvmig bench maths: median/min/max, ratios, time-left estimates. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "lib/bench_stats.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-9 * (1 + fabs((double)(b))))

static void test_summary(void)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };
	double holes[] = { NAN, 2, INFINITY, 4, -INFINITY };
	struct bstat s;

	bstat_summarize(odd, 3, &s);
	CHECK(s.n == 3 && s.median == 3 && s.min == 1 && s.max == 5, "odd count: middle sample");
	CHECK(odd[0] == 5 && odd[1] == 1, "input left unsorted");
	bstat_summarize(even, 4, &s);
	CHECK(s.n == 4 && NEAR(s.median, 2.5) && s.min == 1 && s.max == 4, "even count: mean of the middle two");
	bstat_summarize(one, 1, &s);
	CHECK(s.n == 1 && s.median == 7 && s.min == 7 && s.max == 7, "one sample");
	bstat_summarize(holes, 5, &s);
	CHECK(s.n == 2 && s.median == 3 && s.min == 2 && s.max == 4, "NaN and infinities skipped");
	bstat_summarize(NULL, 0, &s);
	CHECK(s.n == 0 && isnan(s.median) && isnan(s.min) && isnan(s.max), "no samples: NaN, n = 0");
}

static void test_ratio(void)
{
	CHECK(NEAR(bstat_ratio(0.0123, 0.0051), 0.0123 / 0.0051), "plain ratio");
	CHECK(isnan(bstat_ratio(1, 0)), "division by zero is NaN");
	CHECK(isnan(bstat_ratio(1, -2)), "negative denominator (a 'not measured' marker) is NaN");
	CHECK(isnan(bstat_ratio(NAN, 1)) && isnan(bstat_ratio(1, NAN)), "NaN in, NaN out");
	CHECK(bstat_ratio(0, 3) == 0, "zero numerator is 0");
}

static void test_eta(void)
{
	char buf[16];

	CHECK(bstat_eta_s(10, 0, 100) == -1, "nothing done: no estimate");
	CHECK(NEAR(bstat_eta_s(10, 25, 100), 30), "a quarter in 10 s: 30 s left");
	CHECK(bstat_eta_s(10, 100, 100) == 0 && bstat_eta_s(10, 120, 100) == 0, "done: 0 left");
	CHECK(bstat_eta_s(NAN, 1, 2) == -1, "bad elapsed time: no estimate");
	CHECK(!strcmp(bstat_format_eta(42.4, buf, sizeof(buf)), "42s"), "seconds: %s", buf);
	CHECK(!strcmp(bstat_format_eta(65, buf, sizeof(buf)), "1m05s"), "minutes: %s", buf);
	CHECK(!strcmp(bstat_format_eta(3720, buf, sizeof(buf)), "1h02m"), "hours: %s", buf);
	CHECK(!strcmp(bstat_format_eta(-1, buf, sizeof(buf)), "?"), "unknown: %s", buf);
}

int main(void)
{
	test_summary();
	test_ratio();
	test_eta();
	CHECK_DONE();
}
