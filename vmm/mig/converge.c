/* SPDX-License-Identifier: MIT */
#include "mig/converge.h"

void conv_init(struct conv *c, uint64_t limit_ns, unsigned max_rounds, unsigned stall_rounds)
{
	*c = (struct conv){
		.limit_ns = limit_ns, .max_rounds = max_rounds, .stall_rounds = stall_rounds, .best = UINT64_MAX
	};
}

enum conv_decision conv_decide(struct conv *c, unsigned round, uint64_t remaining, double bw, uint64_t *expected_ns)
{
	*expected_ns = bw > 0 ? (uint64_t)((double)remaining / bw * 1e9) : UINT64_MAX;
	if (bw > 0 && *expected_ns <= c->limit_ns)
		return CONV_CONVERGED;
	/* "Shrinking" means by more than 10 %: noise around a plateau is not progress. */
	if (c->best == UINT64_MAX || (double)remaining < 0.9 * (double)c->best) {
		c->best = remaining;
		c->since_best = 0;
	} else {
		c->since_best++;
	}
	if (round >= c->max_rounds)
		return CONV_FORCED_MAX_ROUNDS;
	if (c->since_best >= c->stall_rounds)
		return CONV_FORCED_STALLED;
	return CONV_CONTINUE;
}

const char *conv_name(enum conv_decision d)
{
	switch (d) {
	case CONV_CONTINUE:
		return "continue";
	case CONV_CONVERGED:
		return "converged";
	case CONV_FORCED_MAX_ROUNDS:
		return "forced (max rounds)";
	case CONV_FORCED_STALLED:
		return "forced (not shrinking)";
	}
	return "?";
}
