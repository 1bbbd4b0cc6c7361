/* SPDX-License-Identifier: MIT */
/*
 * rvmig bench: one case of the eager page split A/B (see bench.h for the sequence). Built on the
 * pieces `rvmig run` exports (setup, the monitor loop, collect) and on dirty.c's modes.
 */
#include "cmd/bench.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/bitmap.h"
#include "lib/err.h"
#include "lib/json.h"
#include "session.h"
#include "mig/stream.h"

#define BENCH_STALL_S 60ULL

struct bench {
	struct bench_opts o;
	struct session *r;
	struct dirty d;
	bool dirty_ready;
	uint64_t target_epoch;       /* what the wait predicates look for                          */
	bool parked[RVMIG_MAX_VCPUS];/* finished its slice this pass, waiting outside KVM_RUN      */
	uint64_t epoch;              /* last epoch the VMM set                                     */
	double enable_ms;
	bool have_first_clear;       /* manual-init-set: the CLEAR sweep before pass 1             */
	struct bench_harvest first_clear;
	struct bench_pass passes[BENCH_MAX_PASSES];
	unsigned npasses;
	struct bench_harvest clean[BENCH_MAX_CLEAN];
	unsigned nclean;
	double copy_ms[BENCH_COPY_REPS];
	unsigned ncopy;
	double calib_gib_s;          /* memcpy of up to 64 MiB just before logging starts           */
	double crc_gib_s;            /* the stream's crc32 over the same bytes, right after          */
	struct bench_kstat_set ks;
	uint64_t start_ns;
	char kernel[256];
	char fail[256];
};

static double bench_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* The [bench] progress lines: off under --quiet (as for rvmig run) and --json-only. */
static bool bench_say(const struct bench *b)
{
	return !b->o.json_only && !b->o.run.quiet;
}

/* ---- KVM's own counters --------------------------------------------------------------------- */

static void bench_kstats_open(struct bench *b)
{
	struct bench_kstat_set *k = &b->ks;
	struct machine *m = &b->r->m;

	k->have_vm = kstats_open(&k->vm, m->vm.vm_fd, "VM") == 0;
	k->have_vcpu = true;
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		if (kstats_open(&k->vcpu[i], m->vcpus[i].fd, "vCPU"))
			k->have_vcpu = false;
	for (unsigned p = 0; p < BENCH_KSTAT_POINTS; p++) {
		k->vm_vals[p] = calloc(k->vm.n + 1, sizeof(uint64_t));
		k->vcpu_vals[p] = calloc(k->vcpu[0].n + 1, sizeof(uint64_t));
		if (!k->vm_vals[p] || !k->vcpu_vals[p])
			die_errno(ENOMEM, "allocating KVM stats snapshots");
	}
}

/* Snapshot point p: VM values, and vCPU values summed over the vCPUs. */
static void bench_kstats_take(struct bench *b, unsigned p)
{
	struct bench_kstat_set *k = &b->ks;
	uint64_t *tmp;

	if (k->have_vm && kstats_read(&k->vm, k->vm_vals[p]))
		k->have_vm = false;
	if (!k->have_vcpu)
		return;
	tmp = calloc(k->vcpu[0].n + 1, sizeof(uint64_t));
	if (!tmp)
		die_errno(ENOMEM, "allocating KVM stats snapshot");
	memset(k->vcpu_vals[p], 0, k->vcpu[0].n * sizeof(uint64_t));
	for (unsigned i = 0; i < b->r->m.nr_vcpus && k->have_vcpu; i++) {
		if (k->vcpu[i].n != k->vcpu[0].n || kstats_read(&k->vcpu[i], tmp)) {
			k->have_vcpu = false;
			break;
		}
		for (size_t s = 0; s < k->vcpu[0].n; s++)
			k->vcpu_vals[p][s] += tmp[s];
	}
	free(tmp);
	k->taken[p] = true;
}

static void bench_kstats_close(struct bench *b)
{
	if (b->ks.vm.desc)
		kstats_close(&b->ks.vm);
	for (unsigned i = 0; i < RVMIG_MAX_VCPUS; i++)
		if (b->ks.vcpu[i].desc)
			kstats_close(&b->ks.vcpu[i]);
	for (unsigned p = 0; p < BENCH_KSTAT_POINTS; p++) {
		free(b->ks.vm_vals[p]);
		free(b->ks.vcpu_vals[p]);
	}
}

/* ---- hooks and wait predicates -------------------------------------------------------------- */

static struct bench *bench_of(struct session *r)
{
	return r->hook_arg;
}

static int bench_hook_vm(struct session *r)
{
	return dirty_setup_vm(&bench_of(r)->d);
}

static int bench_hook_vcpu(struct session *r, struct vcpu *v)
{
	return dirty_setup_vcpu(&bench_of(r)->d, v);
}

static bool bench_all_slice_done(struct session *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (r->m.vcpus[i].slice_done_epoch < bench_of(r)->target_epoch)
			return false;
	return true;
}

static bool bench_all_epoch_seen(struct session *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (r->m.vcpus[i].epoch_seen < bench_of(r)->target_epoch)
			return false;
	return true;
}

/* A vCPU finished its slice and is still running (to be parked). */
static bool bench_park_due(struct session *r)
{
	struct bench *b = bench_of(r);

	if (b->o.no_park)
		return false;
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (!b->parked[i] && r->m.vcpus[i].slice_done_epoch >= b->target_epoch)
			return true;
	return false;
}

/* Done, a vCPU waits on a full dirty ring, or one is to be parked. */
static bool bench_wait_event(struct session *r)
{
	return bench_all_slice_done(r) || dirty_ring_wanted(&bench_of(r)->d) || bench_park_due(r);
}

/* Parks the vCPUs that finished the pass: they wait outside KVM_RUN (vcpu.c's pause protocol). */
static void bench_park_done(struct bench *b)
{
	struct machine *m = &b->r->m;

	for (unsigned i = 0; i < b->o.run.vcpus && !b->o.no_park; i++) {
		struct vcpu *v = &m->vcpus[i];
		bool done;

		pthread_mutex_lock(&m->lock);
		done = v->slice_done_epoch >= b->target_epoch;
		pthread_mutex_unlock(&m->lock);
		if (!done || b->parked[i])
			continue;
		__atomic_store_n(&v->pause_req, true, __ATOMIC_SEQ_CST);
		vcpu_kick(v);
		b->parked[i] = true;
	}
}

/* Every parked vCPU runs again, with a fresh stall allowance. */
static void bench_resume(struct bench *b)
{
	machine_resume(&b->r->m);
	for (unsigned i = 0; i < b->o.run.vcpus; i++) {
		b->parked[i] = false;
		session_stall_restart(b->r, i);
	}
}

/* ---- harvests ------------------------------------------------------------------------------- */

static void bench_harvest_begin(struct bench_harvest *h, size_t max_chunks)
{
	memset(h, 0, sizeof(*h));
	h->chunk_ms = calloc(max_chunks ? max_chunks : 1, sizeof(double));
	if (!h->chunk_ms)
		die_errno(ENOMEM, "allocating %zu CLEAR samples", max_chunks);
}

/* Counters' deltas since st0 into h. */
static void bench_harvest_end(struct bench *b, struct bench_harvest *h, const struct dirty_stats *st0, uint64_t t0)
{
	const struct dirty_stats *s = &b->d.st;

	h->total_ms = bench_ms(machine_now_ns() - t0);
	h->get_ms = bench_ms(s->get_ns - st0->get_ns);
	h->gets = s->gets - st0->gets;
	h->clear_ms = bench_ms(s->clear_ns - st0->clear_ns);
	h->clears = s->clears - st0->clears;
	h->ring_ms = bench_ms(s->ring_ns - st0->ring_ns);
	h->ring_entries = s->ring_entries - st0->ring_entries;
	h->ring_resets = s->ring_resets - st0->ring_resets;
	bstat_summarize(h->chunk_ms, h->nchunk_ms, &h->chunk);
}

/* CLEAR every chunk KVM holds bits for (each timed), then "send": the to-send bitmap empties. */
static int bench_clear_chunks(struct bench *b, struct bench_harvest *h)
{
	struct dirty *d = &b->d;

	for (uint64_t c = 0; c < d->nchunks; c++) {
		uint64_t ns0 = d->st.clear_ns, n0 = d->st.clears;
		int e = dirty_prepare_chunk(d, c);

		if (e < 0) {
			snprintf(b->fail, sizeof(b->fail), "KVM_CLEAR_DIRTY_LOG chunk %" PRIu64 " of %" PRIu64 " (%" PRIu64
				 " pages): %s", c, d->nchunks, d->chunk_pages, strerror(-e));
			return e;
		}
		if (d->st.clears > n0 && h->nchunk_ms < d->nchunks)
			h->chunk_ms[h->nchunk_ms++] = bench_ms(d->st.clear_ns - ns0);
	}
	h->pages = bitmap_count(d->bitmap, d->npages);
	bitmap_clear_range(d->bitmap, d->npages, 0, d->npages);
	return 0;
}

/* One harvest as a migration round opens it: collect, then CLEAR what is about to be sent. */
static int bench_harvest(struct bench *b, struct bench_harvest *h)
{
	struct dirty_stats st0 = b->d.st;
	uint64_t t0 = machine_now_ns();
	int e;

	bench_harvest_begin(h, b->d.nchunks);
	e = dirty_harvest(&b->d);
	if (e < 0) {
		snprintf(b->fail, sizeof(b->fail), "%s harvest: %s", dirty_mode_name(b->o.mode), strerror(-e));
		return e;
	}
	e = bench_clear_chunks(b, h);
	bench_harvest_end(b, h, &st0, t0);
	return e;
}

/* ---- the sequence --------------------------------------------------------------------------- */

static void bench_set_epoch(struct bench *b, uint64_t epoch)
{
	b->epoch = b->target_epoch = epoch;
	__atomic_store_n(&b->r->m.ctl->epoch, epoch, __ATOMIC_RELEASE);
}

static uint64_t bench_pass_deadline(const struct bench *b)
{
	uint64_t pages = (b->o.run.mem - RVMIG_WORK_OFFSET) / RVMIG_PAGE_SIZE / b->o.run.vcpus;

	/* ~110 us per write fault under TCG: 30 s + 0.5 ms per page is a 4x margin over that, and cuts
	 * short the passes that crawl at ~10 ms per fault when the emulator is starved. */
	return machine_now_ns() + 30 * NS_PER_S + pages * NS_PER_MS / 2;
}

/* After a pass timed out: how far each vCPU got, into b->fail. */
static void bench_blame_pass(struct bench *b)
{
	size_t pos = (size_t)snprintf(b->fail, sizeof(b->fail), "dirty pass (epoch %" PRIu64 ") not done within 30 s + 0.5 ms "
				      "per page:", b->target_epoch);

	for (unsigned i = 0; i < b->o.run.vcpus && pos < sizeof(b->fail); i++) {
		struct rvmig_vcpu_stats s = { 0 };

		stats_snapshot(&b->r->m.stats[i], &s);
		pos += (size_t)snprintf(b->fail + pos, sizeof(b->fail) - pos, " vCPU %u epoch %" PRIu64 " %" PRIu64 "/%" PRIu64
					" pages, %" PRIu64 " writes;", i, s.epoch, s.first_writes, s.slice_pages, s.writes);
	}
}

/* Waits for every vCPU's SLICE_DONE of b->target_epoch, harvesting full rings meanwhile. */
static int bench_wait_pass(struct bench *b, struct bench_pass *p)
{
	uint64_t deadline = bench_pass_deadline(b);

	for (;;) {
		bool done;
		int e = session_until(b->r, bench_wait_event, deadline, "a dirty pass did not finish in time");

		if (e == -ETIMEDOUT)
			bench_blame_pass(b);
		if (e)
			return -1;
		bench_park_done(b);
		pthread_mutex_lock(&b->r->m.lock);
		done = bench_all_slice_done(b->r);
		pthread_mutex_unlock(&b->r->m.lock);
		if (done)
			return 0;
		if (dirty_ring_wanted(&b->d)) {
			uint64_t ns0 = b->d.st.ring_ns;

			if (dirty_harvest(&b->d) < 0)
				return -1;
			if (p) {
				p->ring_full_harvests++;
				p->ring_during_ms += bench_ms(b->d.st.ring_ns - ns0);
			}
		}
	}
}

/*
 * The park kick lands at any instruction, so a vCPU can be parked halfway through publishing its
 * stats (seq odd) and would never finish: let the guest run a moment, park everyone again, retry.
 */
static int bench_snapshot(struct bench *b, unsigned i, struct rvmig_vcpu_stats *s)
{
	struct machine *m = &b->r->m;

	for (int attempt = 0; attempt < 3; attempt++) {
		if (!stats_snapshot(&m->stats[i], s))
			return 0;
		machine_resume(m);
		usleep(2000);
		if (machine_pause(m, 5000))
			break;
	}
	return stats_snapshot(&m->stats[i], s);
}

/* The guest's per-vCPU stats of the finished pass, merged. */
static void bench_pass_collect(struct bench *b, struct bench_pass *p)
{
	struct session *r = b->r;

	memset(&p->merged, 0, sizeof(p->merged));
	for (unsigned i = 0; i < r->opts.vcpus; i++) {
		struct rvmig_vcpu_stats s = { 0 };

		if (bench_snapshot(b, i, &s))
			warn_msg("vCPU %u: no consistent stats snapshot after pass (epoch %" PRIu64 ")", i, p->epoch);
		p->slice_ms[i] = stats_ticks_to_us((double)s.slice_done_ticks, r->m.timebase_hz) / 1000;
		p->first_writes[i] = s.first_writes;
		p->slice_pages[i] = s.slice_pages;
		p->first_writes_total += s.first_writes;
		p->slice_pages_total += s.slice_pages;
		if (p->slice_ms[i] > p->slice_ms_max)
			p->slice_ms_max = p->slice_ms[i];
		bstat_hist_add(p->merged.hist, s.hist, RVMIG_HIST_BUCKETS);
		p->merged.first_write_ticks += s.first_write_ticks;
		if (s.first_write_max > p->merged.first_write_max)
			p->merged.first_write_max = s.first_write_max;
	}
	p->pages_per_s = p->slice_ms_max > 0 ? (double)p->first_writes_total / (p->slice_ms_max / 1000) : 0;
	stats_latency(&p->merged, r->m.timebase_hz, &p->lat);
}

static void bench_progress(struct bench *b, unsigned i, const struct bench_pass *p)
{
	char eta[16];
	double el = (double)(machine_now_ns() - b->start_ns) / 1e9;

	if (!bench_say(b))
		return;
	printf("[bench] pass %u/%u: %.0f ms, %.0f pages/s, first write p50 %.1f p99.9 %.1f max %.1f us; harvest %.3f ms "
	       "(GET %.3f, CLEAR %.3f x%" PRIu64 ", ring %.3f); %s left\n", i + 1, b->o.passes, p->wall_ms, p->pages_per_s,
	       p->lat.p50_us, p->lat.p999_us, p->lat.max_us, p->h.total_ms, p->h.get_ms, p->h.clear_ms, p->h.clears,
	       p->h.ring_ms, bstat_format_eta(bstat_eta_s(el, i + 1, b->o.passes), eta, sizeof(eta)));
}

static int bench_passes(struct bench *b)
{
	for (unsigned i = 0; i < b->o.passes; i++) {
		struct bench_pass *p = &b->passes[i];
		uint64_t t0;

		bench_set_epoch(b, b->epoch + 1);
		p->epoch = b->epoch;
		t0 = machine_now_ns();
		bench_resume(b);
		if (bench_wait_pass(b, p))
			return -1;
		p->wall_ms = bench_ms(machine_now_ns() - t0);
		bench_pass_collect(b, p);
		if (bench_harvest(b, &p->h))
			return -1;
		b->npasses = i + 1;
		if (i == 0)
			bench_kstats_take(b, 1);
		bench_progress(b, i, p);
	}
	bench_kstats_take(b, 2);
	return 0;
}

/* Logging on (timed), and for manual-init-set the first CLEAR over the whole slot (timed). */
static int bench_start_logging(struct bench *b)
{
	struct dirty_stats st0 = b->d.st;
	uint64_t t0;
	int e = dirty_start(&b->d);

	if (e < 0) {
		snprintf(b->fail, sizeof(b->fail), "enabling dirty logging (--dirty %s): %s", dirty_mode_name(b->o.mode),
			 strerror(-e));
		return e;
	}
	b->enable_ms = bench_ms(b->d.st.enable_ns);
	if (bench_say(b))
		printf("[bench] dirty logging on (%s): %.3f ms, eager_page_split=%s\n", dirty_mode_name(b->o.mode),
		       b->enable_ms, b->r->eager_split[0] ? b->r->eager_split : "n/a");
	if (b->o.mode != DIRTY_MANUAL_INIT_SET) {
		/* Round 0 "sent" everything. */
		bitmap_clear_range(b->d.bitmap, b->d.npages, 0, b->d.npages);
		return 0;
	}
	t0 = machine_now_ns();
	bench_harvest_begin(&b->first_clear, b->d.nchunks);
	e = bench_clear_chunks(b, &b->first_clear);
	bench_harvest_end(b, &b->first_clear, &st0, t0);
	b->have_first_clear = true;
	if (bench_say(b) && !e)
		printf("[bench] first CLEAR over the slot: %.3f ms in %" PRIu64 " chunks\n", b->first_clear.clear_ms,
		       b->first_clear.clears);
	return e;
}

/* The guest stops writing (write_pct 0, new epoch); then the clean slot is harvested. */
static int bench_clean(struct bench *b)
{
	struct bench_harvest drain;

	__atomic_store_n(&b->r->m.ctl->write_pct, 0, __ATOMIC_RELEASE);
	bench_set_epoch(b, b->epoch + 1);
	bench_resume(b);
	if (session_until(b->r, bench_all_epoch_seen, machine_now_ns() + 10 * NS_PER_S,
		      "the guest did not take up the read-only epoch within 10 s"))
		return -1;
	/* What was written before the switch. */
	if (bench_harvest(b, &drain))
		return -1;
	free(drain.chunk_ms);
	for (unsigned i = 0; i < b->o.clean_harvests; i++) {
		if (bench_harvest(b, &b->clean[i]))
			return -1;
		b->nclean = i + 1;
	}
	if (bench_say(b) && b->nclean)
		printf("[bench] clean-slot harvest: %.3f ms (GET %.3f, CLEAR %.3f x%" PRIu64 ", ring %.3f), %" PRIu64
		       " pages still dirty (the guest's stats)\n", b->clean[0].total_ms, b->clean[0].get_ms,
		       b->clean[0].clear_ms, b->clean[0].clears, b->clean[0].ring_ms, b->clean[0].pages);
	return 0;
}

/* memcpy of all guest RAM into a 64 MiB buffer, chunk by chunk: the copy a migration does, for scale. */
static void bench_copy(struct bench *b)
{
	const struct mem *mem = &b->r->m.mem;
	size_t buf_len = mem->size < BENCH_COPY_BUF ? mem->size : BENCH_COPY_BUF;
	uint8_t *buf = malloc(buf_len);

	if (!buf) {
		warn_errno(ENOMEM, "allocating the %zu-byte copy buffer: no memcpy figure", buf_len);
		return;
	}
	memset(buf, 1, buf_len);
	for (unsigned rep = 0; rep < BENCH_COPY_REPS; rep++) {
		uint64_t t0 = machine_now_ns();

		for (uint64_t off = 0; off < mem->size; off += buf_len)
			memcpy(buf, (const uint8_t *)mem->hva + off,
			       mem->size - off < buf_len ? (size_t)(mem->size - off) : buf_len);
		__asm__ volatile("" : : "r"(buf) : "memory");
		b->copy_ms[rep] = bench_ms(machine_now_ns() - t0);
		b->ncopy = rep + 1;
	}
	free(buf);
}

static double gib_per_s(uint64_t bytes, double seconds)
{
	return (double)bytes / (double)(1ULL << 30) / seconds;
}

/*
 * A CPU-speed probe right before the measured part: memcpy of up to 64 MiB of guest RAM. Under TCG
 * its bandwidth drops when other emulators share the host's cores, which is also when single guest
 * writes stall for host time slices; the report uses it to flag contended runs. The stream's crc32
 * over the same bytes follows, so the report can say what the checksum alone lets a stream reach.
 */
static void bench_calibrate(struct bench *b)
{
	const struct mem *mem = &b->r->m.mem;
	size_t len = mem->size < BENCH_COPY_BUF ? mem->size : BENCH_COPY_BUF;
	uint8_t *buf = malloc(len);
	uint64_t t0;
	uint32_t crc;

	if (!buf)
		return;
	memset(buf, 1, len);
	t0 = machine_now_ns();
	memcpy(buf, mem->hva, len);
	__asm__ volatile("" : : "r"(buf) : "memory");
	b->calib_gib_s = gib_per_s(len, (double)(machine_now_ns() - t0) / 1e9);
	t0 = machine_now_ns();
	crc = stream_crc32(0, buf, len);
	__asm__ volatile("" : : "r"(crc)); /* used, so the compiler cannot drop the loop */
	b->crc_gib_s = gib_per_s(len, (double)(machine_now_ns() - t0) / 1e9);
	free(buf);
}

static int bench_boot(struct bench *b)
{
	struct session *r = b->r;

	/* Longer than run's stall limit: under TCG, with other emulators on the host, a hart spinning
	 * on mmu_lock while the holder's host thread is descheduled goes quiet for long. The pass
	 * deadline still catches a real hang. */
	if (session_boot(r, BENCH_STALL_S * NS_PER_S))
		return -1;
	b->start_ns = r->start_ns;
	/* Epoch 1: the first touch since boot maps the slot (huge G-stage leaves where possible). */
	b->epoch = b->target_epoch = 1;
	return bench_wait_pass(b, NULL);
}

static int bench_drive(struct bench *b)
{
	if (bench_boot(b))
		return -1;
	bench_calibrate(b);
	bench_kstats_take(b, 0);
	if (bench_start_logging(b) || bench_passes(b) || bench_clean(b))
		return -1;
	bench_copy(b);
	return session_verify_and_exit(b->r, "the guest");
}

/* ---- JSON ----------------------------------------------------------------------------------- */

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

static void bench_json_latency(struct json *j, const struct stats_latency *l)
{
	json_obj_begin(j, "first_write_latency_us");
	json_u64(j, "count", l->count);
	json_double(j, "mean", l->mean_us);
	json_double(j, "p50", l->p50_us);
	json_double(j, "p90", l->p90_us);
	json_double(j, "p99", l->p99_us);
	json_double(j, "p99_9", l->p999_us);
	json_double(j, "max", l->max_us);
	json_obj_end(j);
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
	bench_json_latency(j, &p->lat);
	json_u64(j, "first_write_max_ticks", p->merged.first_write_max);
	json_arr_begin(j, "hist_log2_ticks");
	for (unsigned k = 0; k < RVMIG_HIST_BUCKETS; k++)
		json_u64(j, NULL, p->merged.hist[k]);
	json_arr_end(j);
	json_arr_begin(j, "vcpus");
	for (unsigned i = 0; i < b->o.run.vcpus; i++) {
		json_obj_begin(j, NULL);
		json_u64(j, "vcpu", i);
		json_double(j, "slice_ms", p->slice_ms[i]);
		json_u64(j, "first_writes", p->first_writes[i]);
		json_u64(j, "slice_pages", p->slice_pages[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_u64(j, "ring_full_harvests", p->ring_full_harvests);
	json_double(j, "ring_during_ms", p->ring_during_ms);
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
	json_obj_end(j);
	bench_json_host(j, b);
	json_double(j, "enable_ms", b->enable_ms);
	if (b->have_first_clear)
		bench_json_harvest(j, "first_clear", &b->first_clear);
	else
		json_str(j, "first_clear", NULL);
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
	json_obj_end(j);
	json_obj_begin(j, "kvm_stats");
	bench_json_kstats_one(j, "vm", &b->ks.vm, b->ks.have_vm, b->ks.vm_vals, b->ks.taken);
	bench_json_kstats_one(j, "vcpu_sum", &b->ks.vcpu[0], b->ks.have_vcpu, b->ks.vcpu_vals, b->ks.taken);
	json_obj_end(j);
}

static int bench_json(const struct bench *b, const char *path)
{
	FILE *f;
	struct json j;

	if (json_file_open(path, &f))
		return -1;
	session_json_begin(&j, f, "rvmig bench", &b->o.run);
	bench_json_body(&j, b);
	json_bool(&j, "all_verified", b->r->all_verified);
	json_str(&j, "error", b->fail[0] ? b->fail : b->r->m.fail_msg[0] ? b->r->m.fail_msg : NULL);
	json_obj_end(&j);
	json_finish(&j);
	return json_file_close(f, path);
}

/* ---- main ----------------------------------------------------------------------------------- */

static void bench_summary(const struct bench *b)
{
	const struct bench_pass *p1 = b->npasses ? &b->passes[0] : NULL;

	/* The summary stays under --quiet; only --json-only drops it (errors go to stderr regardless). */
	if (b->o.json_only || !p1)
		return;
	printf("\nrvmig bench %s: %s, %u vCPUs, %s backing (%s), eager_page_split=%s\n", b->o.label ? b->o.label : "",
	       dirty_mode_name(b->o.mode), b->o.run.vcpus, mem_backing_name(b->o.run.backing), b->r->m.mem.report,
	       b->r->eager_split[0] ? b->r->eager_split : "n/a");
	printf("enable %.3f ms; first CLEAR %s; pass 1 %.0f ms (%.0f pages/s, p99.9 %.1f us, max %.1f us)\n",
	       b->enable_ms, b->have_first_clear ? "see JSON" : "n/a", p1->wall_ms, p1->pages_per_s, p1->lat.p999_us,
	       p1->lat.max_us);
	printf("result: %s\n", b->r->all_verified ? "OK: every hart verified its slice" : "FAILED");
}

static struct bench *bench_new(int argc, char **argv, int *status)
{
	struct bench *b = calloc(1, sizeof(*b));
	char err[512];

	if (!b || !(b->r = calloc(1, sizeof(*b->r))))
		die_errno(ENOMEM, "allocating bench state");
	switch (bench_parse(argc, argv, &b->o, err, sizeof(err))) {
	case CLI_HELP:
		bench_help(stdout);
		*status = RVMIG_EXIT_OK;
		break;
	case CLI_USAGE:
		fprintf(stderr, "rvmig bench: %s\n", err);
		*status = RVMIG_EXIT_USAGE;
		break;
	case CLI_OK:
		return b;
	}
	free(b->r);
	free(b);
	return NULL;
}

static void bench_free(struct bench *b)
{
	for (unsigned i = 0; i < b->npasses; i++)
		free(b->passes[i].h.chunk_ms);
	for (unsigned i = 0; i < b->nclean; i++)
		free(b->clean[i].chunk_ms);
	free(b->first_clear.chunk_ms);
	bench_kstats_close(b);
	if (b->dirty_ready)
		dirty_free(&b->d);
	free(b->r);
	free(b);
}

static void bench_setup(struct bench *b)
{
	struct session *r = b->r;
	struct utsname u;
	int e;

	session_init(r, &b->o.run);
	r->hook_vm = bench_hook_vm;
	r->hook_vcpu = bench_hook_vcpu;
	r->hook_arg = b;
	if (!uname(&u))
		snprintf(b->kernel, sizeof(b->kernel), "%s %s %s", u.sysname, u.release, u.machine);
	e = dirty_init(&b->d, b->o.mode, &r->m, 0, r->opts.mem, b->o.clear_chunk ? b->o.clear_chunk : r->opts.mem,
		       b->o.ring_size);
	if (e)
		die_errno(e, "setting up --dirty %s for %llu bytes", dirty_mode_name(b->o.mode),
			  (unsigned long long)r->opts.mem);
	b->dirty_ready = true;
	session_setup(r, true);
	bench_kstats_open(b);
}

int bench_main(int argc, char **argv)
{
	int status = RVMIG_EXIT_FAIL, rc;
	struct bench *b = bench_new(argc, argv, &status);
	struct session *r;

	if (!b)
		return status;
	r = b->r;
	bench_setup(b);
	rc = bench_drive(b);
	session_stop_and_join(r);
	session_collect(r);
	if (rc == 0)
		bench_summary(b);
	if (b->o.json && bench_json(b, b->o.json))
		rc = -1;
	status = rc == 0 && r->all_verified && !r->m.shutdown_reason ? RVMIG_EXIT_OK : RVMIG_EXIT_FAIL;
	if (b->fail[0] || r->m.fail_msg[0])
		fprintf(stderr, "rvmig bench: %s\n", b->fail[0] ? b->fail : r->m.fail_msg);
	else if (status)
		fprintf(stderr, "rvmig bench: verification failed on at least one hart\n");
	machine_destroy(&r->m);
	bench_free(b);
	return status;
}
