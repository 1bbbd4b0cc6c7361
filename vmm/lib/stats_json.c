/* SPDX-License-Identifier: MIT */
#include "lib/stats_json.h"

static void stats_json_percentiles(struct json *j, const struct stats_latency *l)
{
	json_u64(j, "count", l->count);
	json_double(j, "mean", l->mean_us);
	json_double(j, "p50", l->p50_us);
	json_double(j, "p90", l->p90_us);
	json_double(j, "p99", l->p99_us);
	json_double(j, "p99_9", l->p999_us);
	json_double(j, "max", l->max_us);
}

/* Only the non-empty buckets: a pass fills a few dozen of the 1024. */
static void stats_json_buckets(struct json *j, const struct rvmig_hist *h)
{
	json_arr_begin(j, "buckets");
	for (unsigned i = 0; i < RVMIG_HIST_BUCKETS; i++) {
		if (!h->bucket[i])
			continue;
		json_arr_begin(j, NULL);
		json_u64(j, NULL, rvmig_hist_bucket_lo(i));
		json_u64(j, NULL, rvmig_hist_bucket_lo(i) + rvmig_hist_bucket_width(i));
		json_u64(j, NULL, h->bucket[i]);
		json_arr_end(j);
	}
	json_arr_end(j);
}

void stats_json_first_writes(struct json *j, const struct rvmig_hist fw[RVMIG_FW_CLASSES], uint64_t timebase_hz)
{
	static const char *const names[RVMIG_FW_CLASSES] = { "other", "first_in_2m", "first_in_1g" };
	struct rvmig_hist all = { 0 };
	struct stats_latency l;

	stats_hist_merge(&all, &fw[RVMIG_FW_OTHER]);
	stats_hist_merge(&all, &fw[RVMIG_FW_FIRST_IN_2M]);
	stats_latency(&all, timebase_hz, &l);
	json_obj_begin(j, "first_write_latency_us");
	stats_json_percentiles(j, &l);
	json_obj_end(j);
	json_u64(j, "first_write_ticks", all.sum_ticks);
	json_u64(j, "first_write_max_ticks", all.max_ticks);
	json_obj_begin(j, "first_write_hist");
	json_str(j, "scheme", STATS_JSON_SCHEME);
	stats_json_buckets(j, &all);
	json_obj_end(j);
	json_obj_begin(j, "first_write_classes");
	for (unsigned c = 0; c < RVMIG_FW_CLASSES; c++) {
		stats_latency(&fw[c], timebase_hz, &l);
		json_obj_begin(j, names[c]);
		stats_json_percentiles(j, &l);
		json_u64(j, "max_ticks", fw[c].max_ticks);
		stats_json_buckets(j, &fw[c]);
		json_obj_end(j);
	}
	json_obj_end(j);
}
