/* SPDX-License-Identifier: MIT */
/*
 * rvmig bench: one case of the eager page split A/B (see bench.h for the sequence). Built on the
 * session (session.h: setup, the monitor loop, collect) and on dirty.c's modes. This file is the
 * sequence; bench_probes.c the host-side measurements, bench_report.c the output.
 */
#include "cmd/bench.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/bitmap.h"
#include "lib/err.h"
#include "lib/progress.h"
#include "session.h"

#define BENCH_STALL_S 60ULL

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
void bench_resume(struct bench *b)
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
			snprintf(b->fail, sizeof(b->fail),
				 "KVM_CLEAR_DIRTY_LOG chunk %" PRIu64 " of %" PRIu64 " (%" PRIu64 " pages): %s", c,
				 d->nchunks, d->chunk_pages, strerror(-e));
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

void bench_set_epoch(struct bench *b, uint64_t epoch)
{
	b->epoch = b->target_epoch = epoch;
	__atomic_store_n(&b->r->m.ctl->epoch, epoch, __ATOMIC_RELEASE);
}

static uint64_t bench_pass_allowance(const struct bench *b)
{
	uint64_t pages = (b->o.run.mem - RVMIG_WORK_OFFSET) / RVMIG_PAGE_SIZE / b->o.run.vcpus;

	return BENCH_PASS_BASE_S * NS_PER_S + pages * BENCH_PASS_MS_PER_PAGE * NS_PER_MS;
}

/*
 * Waits for every vCPU's SLICE_DONE of b->target_epoch, harvesting full rings meanwhile.
 *
 * Progress, not a fixed time, decides when a pass has failed: it fails when no vCPU wrote a new page
 * of it for BENCH_PASS_STALL_S (and the hart watchdog, BENCH_STALL_S without any stats update, stays
 * on). A fixed deadline failed correct passes: ~110 us per write fault under TCG, but 4 emulated harts
 * on 2 host cores wrote ~60 pages/s per vCPU (a 128M pass ~2 min, past 30 s + 5 ms a page), every
 * vCPU still moving. That allowance is kept as a mark: a pass past it goes on while it moves and is
 * flagged over_allowance in the JSON. While the pass as a whole moves, no hart is judged stuck on its
 * own either: with 4 harts on 2 cores single vCPUs went 9-50 s without a fault while the others wrote
 * (one past the hart watchdog's 60 s, 2026-12-02). A hart that really hangs stops the pass once the
 * others are done, and the pass watchdog names it (its registers are dumped).
 */
int bench_wait_pass(struct bench *b, struct bench_pass *p)
{
	uint64_t last[RVMIG_MAX_VCPUS] = { 0 };
	uint64_t t0 = machine_now_ns(), allowance = bench_pass_allowance(b);
	struct progress_watch w;
	bool over = false;

	progress_watch_init(&w, bench_pass_progress(b, last), t0, BENCH_PASS_STALL_S * NS_PER_S);
	for (;;) {
		bool done;
		uint64_t now;
		/* A timed sleep (no message: 0 at the deadline) so that the progress check runs each second. */
		int e = session_until(b->r, bench_wait_event, machine_now_ns() + NS_PER_S, NULL);

		if (e)
			return -1;
		now = machine_now_ns();
		if (!progress_watch_ok(&w, bench_pass_progress(b, last), now)) {
			bench_blame_pass(b, progress_watch_still_ns(&w, now) / NS_PER_S);
			machine_fail(&b->r->m, "%s", b->fail);
			return -1;
		}
		if (w.moved_ns == now)
			for (unsigned i = 0; i < b->o.run.vcpus; i++)
				session_stall_restart(b->r, i);
		if (!over && now - t0 > allowance) {
			over = true;
			if (p)
				p->over_allowance = true;
			warn_msg("dirty pass (epoch %" PRIu64 ") past %d s + %d ms per page, still progressing "
				 "(%" PRIu64 " first writes so far): waiting while it moves",
				 b->target_epoch, BENCH_PASS_BASE_S, BENCH_PASS_MS_PER_PAGE, w.value);
		}
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

static void bench_progress(struct bench *b, unsigned i, const struct bench_pass *p)
{
	char eta[16];
	double el = (double)(machine_now_ns() - b->start_ns) / 1e9;

	if (!bench_say(b))
		return;
	printf("[bench] pass %u/%u: %.0f ms, %.0f pages/s, first write p50 %.1f p99.9 %.1f max %.1f us; harvest %.3f ms "
	       "(GET %.3f, CLEAR %.3f x%" PRIu64 ", ring %.3f); %s left\n",
	       i + 1, b->o.passes, p->wall_ms, p->pages_per_s, p->lat.p50_us, p->lat.p999_us, p->lat.max_us,
	       p->h.total_ms, p->h.get_ms, p->h.clear_ms, p->h.clears, p->h.ring_ms,
	       bstat_format_eta(bstat_eta_s(el, i + 1, b->o.passes), eta, sizeof(eta)));
}

static int bench_passes(struct bench *b)
{
	for (unsigned i = 0; i < b->o.passes; i++) {
		struct bench_pass *p = &b->passes[i];
		uint64_t t0;

		bench_set_epoch(b, b->epoch + 1);
		p->epoch = b->epoch;
		bench_mark(b, "pass%u", i + 1);
		t0 = machine_now_ns();
		bench_resume(b);
		if (bench_wait_pass(b, p))
			return -1;
		p->wall_ms = bench_ms(machine_now_ns() - t0);
		bench_pass_collect(b, p);
		bench_mark(b, "harvest%u", i + 1);
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

int bench_hold_still(struct bench *b, const char *before)
{
	int e;

	if (b->o.no_park)
		return 0;
	e = machine_pause(&b->r->m, 10000);
	if (e)
		snprintf(b->fail, sizeof(b->fail), "parking the vCPUs before %s: %s", before, strerror(-e));
	for (unsigned i = 0; i < b->o.run.vcpus && !e; i++)
		b->parked[i] = true;
	return e;
}

static bool bench_all_unparked(struct session *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (r->m.vcpus[i].paused)
			return false;
	return true;
}

/*
 * --enable-running: every vCPU back to writing (the guest keeps rewriting its slice after SLICE_DONE)
 * before the enable, so that KVM's write-protect and eager split race with real write faults, as in
 * a migration that does not stop the guest. Waits until each vCPU thread has left its park, i.e. is
 * on its way into KVM_RUN; whether a vCPU reaches a huge leaf before the splitter is what the kprobe
 * trace then shows (lab/report/ktrace_race.py).
 */
static int bench_run_across(struct bench *b, const char *what)
{
	char msg[96];

	bench_resume(b);
	snprintf(msg, sizeof(msg), "the vCPUs did not leave their park within 10 s before %s", what);
	if (session_until(b->r, bench_all_unparked, machine_now_ns() + 10 * NS_PER_S, msg))
		return -1;
	return 0;
}

/* Logging on (timed), and for manual-init-set the first CLEAR over the whole slot (timed). */
int bench_start_logging(struct bench *b, struct bench_enable *on, const char *what)
{
	struct dirty_stats st0 = b->d.st;
	uint64_t t0;
	int e;

	if (b->o.enable_running ? bench_run_across(b, what) : bench_hold_still(b, what))
		return -1;
	bench_mark(b, "%s", what);
	e = dirty_start(&b->d);
	if (e < 0) {
		snprintf(b->fail, sizeof(b->fail), "%s (--dirty %s): %s", what, dirty_mode_name(b->o.mode),
			 strerror(-e));
		return e;
	}
	on->enable_ms = bench_ms(b->d.st.enable_ns);
	if (bench_say(b))
		printf("[bench] dirty logging on (%s, %s): %.3f ms, eager_page_split=%s\n", what,
		       dirty_mode_name(b->o.mode), on->enable_ms, b->r->eager_split[0] ? b->r->eager_split : "n/a");
	if (b->o.mode != DIRTY_MANUAL_INIT_SET) {
		/* Round 0 "sent" everything. */
		bitmap_clear_range(b->d.bitmap, b->d.npages, 0, b->d.npages);
		return 0;
	}
	bench_mark(b, "%s-clear", what);
	t0 = machine_now_ns();
	bench_harvest_begin(&on->first_clear, b->d.nchunks);
	e = bench_clear_chunks(b, &on->first_clear);
	bench_harvest_end(b, &on->first_clear, &st0, t0);
	on->have_first_clear = true;
	if (bench_say(b) && !e)
		printf("[bench] first CLEAR over the slot: %.3f ms in %" PRIu64 " chunks\n", on->first_clear.clear_ms,
		       on->first_clear.clears);
	return e;
}

/* The guest stops writing (write_pct 0, new epoch); then the clean slot is harvested. */
static int bench_clean(struct bench *b)
{
	struct bench_harvest drain;

	bench_mark(b, "clean");
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
		       " pages still dirty (the guest's stats)\n",
		       b->clean[0].total_ms, b->clean[0].get_ms, b->clean[0].clear_ms, b->clean[0].clears,
		       b->clean[0].ring_ms, b->clean[0].pages);
	return 0;
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
	if (bench_start_logging(b, &b->on, "enable") || bench_passes(b) ||
	    (b->o.cancel && bench_cancelled_migration(b)) || bench_clean(b))
		return -1;
	bench_copy(b);
	return session_verify_and_exit(b->r, "the guest");
}

/* ---- main ----------------------------------------------------------------------------------- */

static struct bench *bench_new(int argc, char **argv, int *status)
{
	struct bench *b = calloc(1, sizeof(*b));
	char err[512];

	if (!b || !(b->r = calloc(1, sizeof(*b->r))))
		die_errno(ENOMEM, "allocating bench state");
	*status = cli_exit_status(bench_parse(argc, argv, &b->o, err, sizeof(err)), "bench", err, bench_help);
	if (*status < 0)
		return b;
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
	free(b->on.first_clear.chunk_ms);
	free(b->cancel.again.first_clear.chunk_ms);
	bench_kstats_close(b);
	bench_trace_close(b);
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
	bench_trace_open(b);
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
