/* SPDX-License-Identifier: MIT */
/* The convergence rule: when precopy stops and stop-and-copy starts (--downtime-limit, --max-rounds, --stall-rounds). */
#ifndef RVMIG_CONVERGE_H
#define RVMIG_CONVERGE_H

#include <stdint.h>

enum conv_decision {
	CONV_CONTINUE,
	CONV_CONVERGED, /* remaining bytes fit the downtime limit at the bandwidth */
	CONV_FORCED_MAX_ROUNDS,
	CONV_FORCED_STALLED, /* rounds stopped shrinking                              */
};

struct conv {
	uint64_t limit_ns;
	unsigned max_rounds;
	unsigned stall_rounds;
	uint64_t best; /* smallest remaining seen; UINT64_MAX at first          */
	unsigned since_best;
};

void conv_init(struct conv *c, uint64_t limit_ns, unsigned max_rounds, unsigned stall_rounds);
/*
 * Called after the harvest that starts round `round` (>= 1, i.e. `round` rounds were sent), with the
 * bytes the dirty pages will take and the bandwidth measured so far (bytes/s, 0 = unknown), both in
 * one unit (rvmig migrate: stream bytes, page data plus record overhead). *expected_ns gets the
 * downtime a switch now would cost (UINT64_MAX when the bandwidth is unknown).
 */
enum conv_decision conv_decide(struct conv *c, unsigned round, uint64_t remaining, double bw, uint64_t *expected_ns);
const char *conv_name(enum conv_decision d);

#endif
