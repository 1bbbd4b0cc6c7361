/* SPDX-License-Identifier: MIT */
#include "lib/bench_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int bstat_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bstat_summarize(const double *v, size_t n, struct bstat *out)
{
	double *s = n ? malloc(n * sizeof(*s)) : NULL;
	size_t k = 0;

	for (size_t i = 0; s && i < n; i++)
		if (isfinite(v[i]))
			s[k++] = v[i];
	out->n = k;
	if (!k) {
		out->median = out->min = out->max = NAN;
		free(s);
		return;
	}
	qsort(s, k, sizeof(*s), bstat_cmp);
	out->min = s[0];
	out->max = s[k - 1];
	out->median = k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
	free(s);
}

double bstat_ratio(double a, double b)
{
	if (!isfinite(a) || !isfinite(b) || b <= 0)
		return NAN;
	return a / b;
}

double bstat_eta_s(double elapsed_s, double done, double total)
{
	if (!(done > 0) || !isfinite(elapsed_s) || elapsed_s < 0)
		return -1;
	if (done >= total)
		return 0;
	return elapsed_s * (total - done) / done;
}

const char *bstat_format_eta(double s, char *buf, size_t len)
{
	unsigned long t;

	if (!(s >= 0) || !isfinite(s)) {
		snprintf(buf, len, "?");
		return buf;
	}
	t = (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%luh%02lum", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, len, "%lum%02lus", t / 60, t % 60);
	else
		snprintf(buf, len, "%lus", t);
	return buf;
}
