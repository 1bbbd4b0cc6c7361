/* SPDX-License-Identifier: MIT */
#include "mig/tbucket.h"

void tbucket_init(struct tbucket *t, uint64_t rate, uint64_t now_ns)
{
	t->rate = rate;
	/* 50 ms worth (at least 64K): smooth enough to measure, big enough for a batch or two. */
	t->burst = rate / 20 > 65536 ? (double)(rate / 20) : 65536.0;
	t->tokens = t->burst;
	t->last_ns = now_ns;
}

uint64_t tbucket_take(struct tbucket *t, uint64_t n, uint64_t now_ns)
{
	if (!t->rate)
		return 0;
	if (now_ns > t->last_ns) {
		t->tokens += (double)(now_ns - t->last_ns) * (double)t->rate / 1e9;
		if (t->tokens > t->burst)
			t->tokens = t->burst;
		t->last_ns = now_ns;
	}
	t->tokens -= (double)n;
	if (t->tokens >= 0)
		return 0;
	return (uint64_t)(-t->tokens * 1e9 / (double)t->rate + 0.5);
}
