/* SPDX-License-Identifier: MIT */
/* rvmig bench's results: the few summary lines on stdout and the JSON file with every sample. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "cmd/bench.h"
#include "lib/json.h"
#include "lib/stats_json.h"
#include "session.h"

void bench_summary(const struct bench *b)
{
	const struct bench_pass *p1 = b->npasses ? &b->passes[0] : NULL;

	/* The summary stays under --quiet; only --json-only drops it (errors go to stderr regardless). */
	if (b->o.json_only || !p1)
		return;
	printf("\nrvmig bench %s: %s, %u vCPUs, %s backing (%s), eager_page_split=%s\n", b->o.label ? b->o.label : "",
	       dirty_mode_name(b->o.mode), b->o.run.vcpus, mem_backing_name(b->o.run.backing), b->r->m.mem.report,
	       b->r->eager_split[0] ? b->r->eager_split : "n/a");
	printf("enable %.3f ms; first CLEAR %s; pass 1 %.0f ms (%.0f pages/s, p99.9 %.1f us, max %.1f us)\n",
	       b->on.enable_ms, b->on.have_first_clear ? "see JSON" : "n/a", p1->wall_ms, p1->pages_per_s,
	       p1->lat.p999_us, p1->lat.max_us);
	printf("result: %s\n", b->r->all_verified ? "OK: every hart verified its slice" : "FAILED");
}

static void bench_json_bstat(struct json *j, const char *key, const struct bstat *s)
{
	json_obj_begin(j, key);
	json_u64(j, "n", s->n);
	json_double(j, "median", s->median);
	json_double(j, "min", s->min);
	json_double(j, "max", s->max);
	json_obj_end(j);
}

static void bench_json_harvest(struct json *j, const char *key, const struct bench_harvest *h)
{
	json_obj_begin(j, key);
	json_double(j, "total_ms", h->total_ms);
	json_double(j, "get_ms", h->get_ms);
	json_u64(j, "gets", h->gets);
	json_double(j, "clear_ms", h->clear_ms);
	json_u64(j, "clears", h->clears);
	json_double(j, "ring_ms", h->ring_ms);
	json_u64(j, "ring_entries", h->ring_entries);
	json_u64(j, "ring_resets", h->ring_resets);
	json_u64(j, "pages", h->pages);
	bench_json_bstat(j, "clear_chunk_ms", &h->chunk);
	json_arr_begin(j, "clear_chunk_ms_samples");
	for (size_t i = 0; i < h->nchunk_ms; i++)
		json_double(j, NULL, h->chunk_ms[i]);
	json_arr_end(j);
	json_obj_end(j);
}

/* "enable_ms" and "first_clear" (null unless manual-init-set) of one switch-on. */
static void bench_json_enable(struct json *j, const struct bench_enable *on)
{
	json_double(j, "enable_ms", on->enable_ms);
	if (on->have_first_clear)
		bench_json_harvest(j, "first_clear", &on->first_clear);
	else
		json_str(j, "first_clear", NULL);
}

static void bench_json_pass(struct json *j, const struct bench *b, unsigned idx)
{
	const struct bench_pass *p = &b->passes[idx];

	json_obj_begin(j, NULL);
	json_u64(j, "pass", idx + 1);
	json_u64(j, "epoch", p->epoch);
	json_double(j, "wall_ms", p->wall_ms);
	json_double(j, "slice_ms_max", p->slice_ms_max);
	json_u64(j, "first_writes", p->first_writes_total);
	json_u64(j, "slice_pages", p->slice_pages_total);
	json_double(j, "pages_per_s", p->pages_per_s);
	stats_json_first_writes(j, p->fw, b->r->m.timebase_hz);
	json_arr_begin(j, "vcpus");
	for (unsigned i = 0; i < b->o.run.vcpus; i++) {
		json_obj_begin(j, NULL);
		json_u64(j, "vcpu", i);
		json_double(j, "slice_ms", p->slice_ms[i]);
		json_u64(j, "first_writes", p->first_writes[i]);
		json_u64(j, "slice_pages", p->slice_pages[i]);
		json_u64(j, "slice_first_page", p->slice_first_page[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_u64(j, "ring_full_harvests", p->ring_full_harvests);
	json_double(j, "ring_during_ms", p->ring_during_ms);
	/* Slower than 30 s + 5 ms a page (bench.h), finished because it kept moving. */
	json_bool(j, "over_allowance", p->over_allowance);
	bench_json_harvest(j, "harvest", &p->h);
	json_obj_end(j);
}

static void bench_json_kstats_one(struct json *j, const char *key, const struct kstats *k, bool have,
				  uint64_t *const *vals, const bool *taken)
{
	static const char *const points[BENCH_KSTAT_POINTS] = { "before_enable", "after_pass1", "after_passes" };

	if (!have) {
		json_str(j, key, NULL);
		return;
	}
	json_obj_begin(j, key);
	for (size_t s = 0; s < k->n; s++) {
		json_obj_begin(j, k->desc[s].name);
		json_str(j, "type", kstats_type_name(k->desc[s].type));
		for (unsigned p = 0; p < BENCH_KSTAT_POINTS; p++)
			if (taken[p])
				json_u64(j, points[p], vals[p][s]);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void bench_json_host(struct json *j, const struct bench *b)
{
	const struct session *r = b->r;

	json_obj_begin(j, "host");
	json_str(j, "kernel", b->kernel);
	json_u64(j, "kvm_api", (uint64_t)r->m.vm.api_version);
	json_u64(j, "timebase_hz", r->m.timebase_hz);
	json_str(j, "guest_isa", r->isa);
	json_str(j, "eager_page_split", r->eager_split[0] ? r->eager_split : NULL);
	json_obj_end(j);
	json_obj_begin(j, "backing");
	json_str(j, "kind", mem_backing_name(r->m.mem.backing));
	json_u64(j, "page_size", r->m.mem.page_size);
	json_u64(j, "huge_bytes", r->m.mem.huge_bytes);
	json_u64(j, "kernel_page_kb", r->m.mem.kernel_page_kb);
	json_str(j, "report", r->m.mem.report);
	json_obj_end(j);
}

static void bench_json_body(struct json *j, const struct bench *b)
{
	const struct bench_opts *o = &b->o;
	struct bstat copy;
	double cp[BENCH_COPY_REPS];

	/* The params object was opened by session_json_begin (vcpus, mem_bytes, backing). */
	json_str(j, "label", o->label);
	json_str(j, "dirty", dirty_mode_name(o->mode));
	json_u64(j, "passes", o->passes);
	json_u64(j, "clear_chunk_bytes", b->d.chunk_pages * RVMIG_PAGE_SIZE);
	json_u64(j, "clear_chunks", b->d.nchunks);
	json_u64(j, "ring_size", o->mode == DIRTY_RING ? o->ring_size : 0);
	json_u64(j, "slot_pages", b->d.npages);
	json_bool(j, "park_done_vcpus", !o->no_park);
	/* bench_hold_still: every vCPU outside KVM_RUN across each enable and first CLEAR */
	json_bool(j, "vcpus_parked_at_enable", !o->no_park && !o->enable_running);
	json_bool(j, "vcpus_running_at_enable", o->enable_running);
	json_bool(j, "trace_marks", o->trace_marks);
	json_bool(j, "cancel", o->cancel);
	json_obj_end(j);
	bench_json_host(j, b);
	bench_json_enable(j, &b->on);
	if (b->cancel.done) {
		json_obj_begin(j, "cancelled_migration");
		json_double(j, "disable_ms", b->cancel.disable_ms);
		json_double(j, "off_pass_ms", b->cancel.off_pass_ms);
		bench_json_enable(j, &b->cancel.again);
		json_obj_end(j);
	}
	json_arr_begin(j, "passes");
	for (unsigned i = 0; i < b->npasses; i++)
		bench_json_pass(j, b, i);
	json_arr_end(j);
	json_arr_begin(j, "clean_harvests");
	for (unsigned i = 0; i < b->nclean; i++)
		bench_json_harvest(j, NULL, &b->clean[i]);
	json_arr_end(j);
	for (unsigned i = 0; i < b->ncopy; i++)
		cp[i] = b->copy_ms[i];
	bstat_summarize(cp, b->ncopy, &copy);
	json_obj_begin(j, "memcpy");
	json_u64(j, "bytes", o->run.mem);
	json_u64(j, "buffer_bytes", o->run.mem < BENCH_COPY_BUF ? o->run.mem : BENCH_COPY_BUF);
	bench_json_bstat(j, "ms", &copy);
	json_double(j, "gib_per_s", copy.n ? gib_per_s(o->run.mem, copy.median / 1000) : NAN);
	json_arr_begin(j, "ms_samples");
	for (unsigned i = 0; i < b->ncopy; i++)
		json_double(j, NULL, b->copy_ms[i]);
	json_arr_end(j);
	json_double(j, "calib_gib_per_s", b->calib_gib_s);
	json_double(j, "crc32_gib_per_s", b->crc_gib_s);
	json_double(j, "xxh64_gib_per_s", b->xxh64_gib_s);
	json_double(j, "xxh3_gib_per_s", b->xxh3_gib_s);
	json_double(j, "stream_gib_per_s", b->stream_gib_s);
	json_bool(j, "stream_probe_hugetlb", b->stream_hugetlb);
	json_double(j, "probe_memcpy_gib_per_s", b->probe_memcpy_gib_s);
	json_double(j, "probe_xxh64_gib_per_s", b->probe_xxh64_gib_s);
	json_double(j, "probe_socket_gib_per_s", b->probe_socket_gib_s);
	json_double(j, "probe_ring_gib_per_s", b->probe_ring_gib_s);
	json_double(j, "stream_pipe_gib_per_s", b->stream_pipe_gib_s);
	json_double(j, "probe_shm_stream_gib_per_s", b->probe_shm_stream_gib_s);
	json_obj_end(j);
	json_obj_begin(j, "kvm_stats");
	bench_json_kstats_one(j, "vm", &b->ks.vm, b->ks.have_vm, b->ks.vm_vals, b->ks.taken);
	bench_json_kstats_one(j, "vcpu_sum", &b->ks.vcpu[0], b->ks.have_vcpu, b->ks.vcpu_vals, b->ks.taken);
	json_obj_end(j);
}

int bench_json(const struct bench *b, const char *path)
{
	FILE *f;
	struct json j;

	if (json_file_open(path, &f))
		return -1;
	session_json_begin(&j, f, "rvmig bench", &b->o.run);
	bench_json_body(&j, b);
	session_json_privileges(&j, b->r);
	json_bool(&j, "all_verified", b->r->all_verified);
	json_str(&j, "error", b->fail[0] ? b->fail : b->r->m.fail_msg[0] ? b->r->m.fail_msg : NULL);
	json_obj_end(&j);
	json_finish(&j);
	return json_file_close(f, path);
}
