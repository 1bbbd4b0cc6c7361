/* SPDX-License-Identifier: MIT */
/*
 * The small statistics `rvmig bench` needs (pure: no KVM, unit-tested on the host): median/min/max
 * of a set of samples, a guarded ratio, and a time-left estimate (histograms
 * are merged by lib/stats.c).
 */
#ifndef RVMIG_BENCH_STATS_H
#define RVMIG_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

struct bstat {
	size_t n;                /* finite samples used                                      */
	double median, min, max; /* NaN when n == 0                                          */
};

/* Summary of v[0..n); NaN and infinite samples are skipped. v is not modified. */
void bstat_summarize(const double *v, size_t n, struct bstat *out);
/* a / b, or NaN when either is not finite or b <= 0. */
double bstat_ratio(double a, double b);
/*
 * Seconds left, from elapsed seconds for done units of work out of total (weights, e.g. pages to
 * write). -1 when nothing is done yet (no basis for an estimate); 0 once done >= total.
 */
double bstat_eta_s(double elapsed_s, double done, double total);
/* "1m05s", "42s", "1h02m", "?" for a negative estimate. */
const char *bstat_format_eta(double s, char *buf, size_t len);

#endif
