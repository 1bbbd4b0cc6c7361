/* SPDX-License-Identifier: MIT */
/*
 * The guest's first-write latencies in the JSON of `rvmig run` and `rvmig bench`, written the same
 * way by both: percentiles in microseconds, and the non-empty buckets of each log-linear histogram.
 */
#ifndef RVMIG_STATS_JSON_H
#define RVMIG_STATS_JSON_H

#include "lib/json.h"
#include "lib/stats.h"

#define STATS_JSON_SCHEME                                                                                     \
	"log-linear: 32 sub-buckets per power of two, exact below 64 ticks; buckets are [lo_ticks, hi_ticks " \
	"(exclusive), count]"

/*
 * Into the open object: "first_write_latency_us" (every first write: fw[OTHER] + fw[FIRST_IN_2M]),
 * "first_write_ticks" (their sum), "first_write_max_ticks", "first_write_hist" {scheme, buckets},
 * and "first_write_classes" {other, first_in_2m, first_in_1g}, each with its percentiles and buckets.
 */
void stats_json_first_writes(struct json *j, const struct rvmig_hist fw[RVMIG_FW_CLASSES], uint64_t timebase_hz);

#endif
