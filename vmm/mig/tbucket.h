/* SPDX-License-Identifier: MIT */
/* The token bucket behind --max-bandwidth: how long the sender waits to keep to a byte rate. */
#ifndef RVMIG_TBUCKET_H
#define RVMIG_TBUCKET_H

#include <stdint.h>

struct tbucket {
	uint64_t rate; /* bytes per second, 0 = unlimited                       */
	double burst;  /* bucket size in bytes                                  */
	double tokens; /* may go negative: the debt the sender waits off        */
	uint64_t last_ns;
};

void tbucket_init(struct tbucket *t, uint64_t rate, uint64_t now_ns);
/* Takes n bytes that were just sent; returns how long to wait (ns) before sending more. */
uint64_t tbucket_take(struct tbucket *t, uint64_t n, uint64_t now_ns);

#endif
