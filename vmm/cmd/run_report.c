/* SPDX-License-Identifier: MIT */
/* What `rvmig run` tells: a human summary on stdout and the same (plus raw histograms) as JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/run.h"
#include "lib/err.h"
#include "lib/json.h"
#include "lib/stats_json.h"

static const char *report_verify_name(uint64_t v)
{
	switch (v) {
	case RVMIG_VERIFY_OK:
		return "ok";
	case RVMIG_VERIFY_FAILED:
		return "FAILED";
	default:
		return "not-run";
	}
}

static double report_ticks_ms(const struct session *r, uint64_t ticks)
{
	return stats_ticks_to_us((double)ticks, r->m.timebase_hz) / 1000.0;
}

/* The first write of each 2M region (the split faults without eager splitting) against the others. */
static void report_print_regions(const struct session *r)
{
	struct rvmig_hist fw[RVMIG_FW_CLASSES]; /* 24 KiB, on the main thread's stack */
	static const char *const names[RVMIG_FW_CLASSES] = { "other first writes", "first in a 2M region",
							     "first in a 1G region" };

	memset(fw, 0, sizeof(fw));
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		for (unsigned c = 0; c < RVMIG_FW_CLASSES; c++)
			stats_hist_merge(&fw[c], &r->res[i].stats.fw[c]);
	for (unsigned c = 0; c < RVMIG_FW_CLASSES; c++) {
		struct stats_latency l;

		stats_latency(&fw[c], r->m.timebase_hz, &l);
		printf("%-21s n=%-9" PRIu64 " p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f us\n", names[c],
		       l.count, l.p50_us, l.p90_us, l.p99_us, l.p999_us, l.max_us);
	}
}

void report_print(const struct session *r)
{
	const struct run_opts *o = &r->opts;
	char mem[32];

	printf("\nrvmig run: %u vCPUs, %s guest RAM, pattern %s, writes %u%%%s, %.3f s window, timebase %" PRIu64
	       " Hz\n",
	       o->vcpus, format_size(o->mem, mem, sizeof(mem)), cli_pattern_name(o->pattern), o->write_pct,
	       o->rate ? ", rate-limited" : "", (double)(r->window_end_ns - r->window_start_ns) / 1e9,
	       r->m.timebase_hz);
	printf("backing:   %s\n", r->m.mem.report);
	if (r->dirty_enabled)
		printf("dirty log: enabled in %.3f ms (eager_page_split=%s), %" PRId64 " pages logged dirty\n",
		       r->dirty_enable_ms, r->eager_split[0] ? r->eager_split : "n/a", r->dirty_pages);
	else
		printf("dirty log: off (latencies are of epoch 1: first touch since boot)\n");
	printf("%-5s %12s %12s %9s %9s %9s %9s %9s %11s %s\n", "vcpu", "writes/s", "first-wr", "p50 us", "p90 us",
	       "p99 us", "p99.9 us", "max us", "slice ms", "verify");
	for (unsigned i = 0; i < o->vcpus; i++) {
		const struct session_vcpu_result *v = &r->res[i];
		char done[24];

		if (v->stats.slice_done_ticks)
			snprintf(done, sizeof(done), "%.1f", report_ticks_ms(r, v->stats.slice_done_ticks));
		else
			snprintf(done, sizeof(done), "-");
		printf("%-5u %12.0f %12" PRIu64 " %9.1f %9.1f %9.1f %9.1f %9.1f %11s %s", i, v->writes_per_s,
		       v->lat.count, v->lat.p50_us, v->lat.p90_us, v->lat.p99_us, v->lat.p999_us, v->lat.max_us, done,
		       report_verify_name(v->stats.verify_status));
		if (v->stats.verify_status == RVMIG_VERIFY_FAILED)
			printf(" (%" PRIu64 " bad of %" PRIu64 ", first at page %" PRIu64 ")", v->stats.verify_errors,
			       v->stats.verify_pages, v->stats.verify_first_bad);
		else
			printf(" (%" PRIu64 " pages)", v->stats.verify_pages);
		putchar('\n');
	}
	report_print_regions(r);
	printf("privileges: CapEff %s CapBnd %s CapAmb %s NoNewPrivs %d%s\n", r->privs.cap_eff, r->privs.cap_bnd,
	       r->privs.cap_amb, r->privs.no_new_privs,
	       r->privs.bounding_dropped ? "" : " (bounding set kept: no CAP_SETPCAP)");
	printf("result:    %s\n",
	       r->all_verified && !r->m.shutdown_reason ? "OK: every hart verified its slice" : "FAILED");
	fflush(stdout);
}

static void report_json_vcpu(struct json *j, const struct session *r, unsigned i)
{
	const struct session_vcpu_result *v = &r->res[i];
	const struct rvmig_vcpu_stats *s = &v->stats;

	json_obj_begin(j, NULL);
	json_u64(j, "vcpu", i);
	json_u64(j, "hartid", s->hartid);
	json_u64(j, "slice_first_page", s->slice_first_page);
	json_u64(j, "slice_pages", s->slice_pages);
	json_u64(j, "accesses", s->accesses);
	json_u64(j, "writes", s->writes);
	json_u64(j, "window_writes", v->window_writes);
	json_double(j, "writes_per_s", v->writes_per_s);
	json_u64(j, "epoch", s->epoch);
	json_u64(j, "epoch_writes", s->epoch_writes);
	stats_json_first_writes(j, s->fw, r->m.timebase_hz);
	json_u64(j, "slice_done_ticks", s->slice_done_ticks);
	json_double(j, "slice_done_ms", s->slice_done_ticks ? report_ticks_ms(r, s->slice_done_ticks) : -1);
	json_str(j, "verify", report_verify_name(s->verify_status));
	json_u64(j, "verify_pages", s->verify_pages);
	json_u64(j, "verify_errors", s->verify_errors);
	json_u64(j, "verify_first_bad", s->verify_first_bad);
	json_obj_end(j);
}

int report_json(const struct session *r, const char *path)
{
	const struct run_opts *o = &r->opts;
	FILE *f;
	struct json j;

	if (json_file_open(path, &f))
		return -1;
	session_json_begin(&j, f, "rvmig run", o);
	json_str(&j, "pattern", cli_pattern_name(o->pattern));
	json_u64(&j, "write_pct", o->write_pct);
	json_u64(&j, "hot_pct", o->hot_pct);
	json_u64(&j, "rate", o->rate);
	json_u64(&j, "duration_ms", o->duration_ms);
	json_u64(&j, "seed", o->seed);
	json_bool(&j, "dirty_log", o->dirty_log);
	json_str(&j, "guest", o->guest);
	json_obj_end(&j);
	json_obj_begin(&j, "host");
	json_u64(&j, "kvm_api", (uint64_t)r->m.vm.api_version);
	json_u64(&j, "timebase_hz", r->m.timebase_hz);
	json_str(&j, "isa", r->isa);
	json_str(&j, "eager_page_split", r->eager_split[0] ? r->eager_split : NULL);
	json_bool(&j, "dbcn", r->dbcn);
	json_obj_end(&j);
	json_obj_begin(&j, "backing");
	json_str(&j, "kind", mem_backing_name(r->m.mem.backing));
	json_u64(&j, "page_size", r->m.mem.page_size);
	json_u64(&j, "huge_bytes", r->m.mem.huge_bytes);
	json_u64(&j, "kernel_page_kb", r->m.mem.kernel_page_kb);
	json_i64(&j, "hugetlb_free_before", r->m.mem.hugetlb_free_before);
	json_i64(&j, "hugetlb_free_after", r->m.mem.hugetlb_free_after);
	json_str(&j, "report", r->m.mem.report);
	json_obj_end(&j);
	json_obj_begin(&j, "dirty_log");
	json_bool(&j, "enabled", r->dirty_enabled);
	json_double(&j, "enable_ms", r->dirty_enabled ? r->dirty_enable_ms : -1);
	json_i64(&j, "pages_logged", r->dirty_pages);
	json_obj_end(&j);
	json_double(&j, "window_s", (double)(r->window_end_ns - r->window_start_ns) / 1e9);
	json_arr_begin(&j, "vcpus");
	for (unsigned i = 0; i < o->vcpus; i++)
		report_json_vcpu(&j, r, i);
	json_arr_end(&j);
	session_json_privileges(&j, r);
	json_u64(&j, "shutdown_reason", r->m.shutdown_reason);
	json_bool(&j, "all_verified", r->all_verified);
	json_str(&j, "error", r->m.fail_msg[0] ? r->m.fail_msg : NULL);
	json_obj_end(&j);
	json_finish(&j);
	return json_file_close(f, path);
}
