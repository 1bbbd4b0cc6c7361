/* SPDX-License-Identifier: MIT */
/* Small shared definitions: time units and a power-of-two test. */
#ifndef RVMIG_UTIL_H
#define RVMIG_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#define NS_PER_S  ((uint64_t)1000000000)
#define NS_PER_MS ((uint64_t)1000000)

static inline bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

#endif
