/* SPDX-License-Identifier: MIT */
/*
 * rvmig migrate, the sending half: the handshake, precopy rounds (harvest, send, decide) and
 * stop-and-copy (the rest of RAM, vCPU state, RAM hashes). Every function returns 0 or -errno with
 * the first failure in g->fail, so that migrate.c can resume the source guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/migrate.h"
#include "core/vcpu_state.h"
#include "lib/bitmap.h"
#include "lib/err.h"
#include "mig/chunk.h"
#include "mig/ramhash.h"
#include "mig/send.h"

static double ms_since(uint64_t t0)
{
	return (double)(machine_now_ns() - t0) / 1e6;
}

static void mig_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The first failure is the one reported; see err_first(). */
#define mig_failf(g, rc, ...) err_first((g)->fail, sizeof((g)->fail), (rc), __VA_ARGS__)

/* ---- the stream ----------------------------------------------------------------------------- */

/* Our HEADER, then the destination's HEADER, or its ABORT when it refuses our shape. */
int mig_handshake(struct mig *g)
{
	struct stream_header mine = mig_shape(g->r->opts.mem, g->r->opts.vcpus, g->r->opts.backing), theirs;
	char why[512];
	int rc;

	/* --verify none: the destination resumes without hashing (it learns that from our header). */
	if (g->o.verify == MIG_VERIFY_NONE)
		mine.flags |= STREAM_HDR_NO_VERIFY;
	/* A Linux guest: the destination must not look for a control block in its RAM. */
	if (g->r->opts.kernel)
		mine.flags |= STREAM_HDR_LINUX;
	rc = stream_write_header(&g->w, &mine);
	if (!rc)
		rc = stream_flush(&g->w);
	if (rc)
		return mig_failf(g, rc, "sending the stream header: %s", g->w.err);
	rc = stream_read_header(&g->rd, &theirs);
	if (rc == -ECANCELED)
		return mig_failf(g, rc, "the destination refused the migration: %s", g->rd.abort_reason);
	if (rc)
		return mig_failf(g, rc, "reading the destination's reply header: %s", g->rd.err);
	if (stream_check_header(&mine, &theirs, why, sizeof(why)))
		return mig_failf(g, -EINVAL, "the destination's shape differs: %s", why);
	return 0;
}

/* The control block page: the VMM writes it through its own mapping, which KVM does not log. */
static void mig_mark_ctl(struct mig *g)
{
	if (!g->r->m.ctl) /* a Linux guest: no control block, the VMM writes nothing into its RAM */
		return;
	bitmap_set(g->d.bitmap, RVMIG_CTL_OFFSET / RVMIG_PAGE_SIZE);
}

/* A new round is a new dirty-log epoch for the guest's first-write statistics. */
static void mig_new_epoch(struct mig *g)
{
	volatile struct rvmig_ctl *ctl = g->r->m.ctl;

	if (!ctl)
		return;
	__atomic_store_n(&ctl->epoch, ctl->epoch + 1, __ATOMIC_RELEASE);
	mig_mark_ctl(g);
}

/* The --max-bandwidth wait for what was written since the last call; returns the ns slept. */
static uint64_t mig_throttle(struct mig *g)
{
	uint64_t wait = tbucket_take(&g->tb, g->w.bytes - g->tb_mark, machine_now_ns());

	g->tb_mark = g->w.bytes;
	if (wait)
		mig_sleep_ns(wait);
	return wait;
}

/* The link's side of a batch (send_ops): write it, then the --max-bandwidth wait and, when a ring
 * filled meanwhile, a harvest. */
struct mig_batch_ctx {
	struct mig *g;
	unsigned round;
	struct mig_round *st;
	uint64_t t0;
};

static int mig_batch_send(void *arg, const uint64_t *idx, uint32_t n)
{
	struct mig_batch_ctx *b = arg;
	struct mig *g = b->g;
	int rc;

	b->t0 = machine_now_ns();
	rc = stream_write_batch(&g->w, b->round, idx, n, g->r->m.mem.hva);
	if (rc) {
		b->st->send_ns += machine_now_ns() - b->t0;
		return mig_failf(g, rc, "sending round %u: %s", b->round, g->w.err);
	}
	return 0;
}

static int mig_batch_sent(void *arg, uint32_t n)
{
	struct mig_batch_ctx *b = arg;
	struct mig *g = b->g;
	int rc;

	b->st->pages += n;
	/*
	 * The link's time: a --max-bandwidth wait belongs to the sending. Stop-and-copy is not held to the
	 * cap: the vCPUs are paused, and every ms of waiting is guest downtime; the cap is there to share
	 * the link during the long precopy, and the final burst is already bounded by --downtime-limit.
	 * QEMU decides the same (migration_completion_precopy: migration_rate_set(RATE_LIMIT_DISABLED)
	 * right after stopping the VM). The convergence estimate still uses the capped precopy bandwidth,
	 * so it errs long.
	 */
	if (!b->st->final)
		b->st->throttle_ns += mig_throttle(g);
	b->st->send_ns += machine_now_ns() - b->t0;
	if (dirty_ring_wanted(&g->d)) {
		rc = dirty_harvest(&g->d);
		if (rc)
			return mig_failf(g, rc, "dirty ring harvest during round %u: %s", b->round, strerror(-rc));
	}
	return 0;
}

static void mig_clear_failed(void *arg, uint64_t chunk, int rc)
{
	struct mig_batch_ctx *b = arg;

	mig_failf(b->g, rc, "KVM_CLEAR_DIRTY_LOG of chunk %" PRIu64 " in round %u: %s", chunk, b->round, strerror(-rc));
}

static const struct send_ops mig_send_ops = {
	.send = mig_batch_send,
	.sent = mig_batch_sent,
	.clear_failed = mig_clear_failed,
};

/*
 * Sends every page whose bit is set, chunk by chunk, CLEARing each chunk just before its first page.
 * The bandwidth is of the sending alone (st->send_ns): CLEAR (in manual-init-set round 0 the eager
 * split too) and ring harvests are timed in their own columns.
 */
static int mig_send_round(struct mig *g, unsigned round, struct mig_round *st)
{
	struct mig_batch_ctx b = { .g = g, .round = round, .st = st };
	struct stream_wstats w0 = g->w.t;
	uint64_t bytes0 = g->w.bytes, t0 = machine_now_ns();
	int rc = send_dirty_pages(&g->d, &mig_send_ops, &b);

	if (!rc) {
		uint64_t t = machine_now_ns();

		rc = stream_write_round_end(&g->w, round);
		st->send_ns += machine_now_ns() - t;
		if (rc)
			mig_failf(g, rc, "ending round %u: %s", round, g->w.err);
	}
	st->wall_ms = ms_since(t0);
	st->copy_ms = (double)st->send_ns / 1e6;
	st->zero_scan_ms = (double)(g->w.t.zero_ns - w0.zero_ns) / 1e6;
	st->encode_ms = (double)(g->w.t.copy_ns - w0.copy_ns) / 1e6;
	st->socket_ms = (double)(g->w.t.send_ns - w0.send_ns) / 1e6;
	st->throttle_ms = (double)st->throttle_ns / 1e6;
	st->bytes = g->w.bytes - bytes0;
	st->bandwidth = st->send_ns ? (double)st->bytes / ((double)st->send_ns / 1e9) : 0;
	return rc;
}

/* Harvest timings are cumulative in d->st; a round keeps its share. */
static void mig_round_harvest_stats(struct mig *g, const struct dirty_stats *before, struct mig_round *st)
{
	const struct dirty_stats *now = &g->d.st;

	st->get_ms = (double)(now->get_ns - before->get_ns) / 1e6;
	st->clear_ms = (double)(now->clear_ns - before->clear_ns) / 1e6;
	st->ring_ms = (double)(now->ring_ns - before->ring_ns) / 1e6;
	st->gets = now->gets - before->gets;
	st->clears = now->clears - before->clears;
	st->ring_entries = now->ring_entries - before->ring_entries;
}

/*
 * Harvest at the start of a round: fills dirtied and dirty_rate, counting every page newly dirty
 * since the previous round's opening harvest (ring mode also harvests mid-round when a ring fills).
 */
static int mig_harvest(struct mig *g, struct mig_round *st)
{
	uint64_t t = machine_now_ns();
	int rc = dirty_harvest(&g->d);

	if (rc)
		return mig_failf(g, rc, "dirty harvest (%s) for round %u: %s", g->d.ops->name, st->round,
				 strerror(-rc));
	st->dirtied = g->d.st.harvested - g->harvest_mark;
	g->harvest_mark = g->d.st.harvested;
	st->dirty_rate = t > g->last_harvest_ns
				 ? (double)(st->dirtied * RVMIG_PAGE_SIZE) / ((double)(t - g->last_harvest_ns) / 1e9)
				 : 0;
	g->last_harvest_ns = t;
	return 0;
}

static int mig_round0(struct mig *g)
{
	struct mig_round *st = &g->rounds[0];
	struct dirty_stats before = g->d.st;
	uint64_t t0 = machine_now_ns();
	int rc = dirty_start(&g->d);

	if (rc)
		return mig_failf(g, rc, "turning dirty logging on (--dirty %s): %s", g->d.ops->name, strerror(-rc));
	g->enable_ms = (double)g->d.st.enable_ns / 1e6;
	g->last_harvest_ns = t0;
	g->harvest_mark = g->d.st.harvested;
	*st = (struct mig_round){ .round = 0, .dirtied = g->d.npages, .expected_downtime_ms = -1 };
	g->nrounds = 1;
	mig_new_epoch(g);
	rc = mig_send_round(g, 0, st);
	mig_round_harvest_stats(g, &before, st);
	g->bw = st->bandwidth;
	migrate_report_round(g, st);
	return rc;
}

/* Precopy rounds 1.. until the convergence decision says stop. */
int mig_precopy(struct mig *g)
{
	int rc = mig_round0(g);

	conv_init(&g->conv, g->o.downtime_ms * NS_PER_MS, g->o.max_rounds, g->o.stall_rounds);
	for (unsigned round = 1; !rc; round++) {
		struct mig_round *st = &g->rounds[round];
		struct dirty_stats before = g->d.st;
		uint64_t expected;

		*st = (struct mig_round){ .round = round };
		rc = mig_harvest(g, st);
		if (rc)
			break;
		/* Like with like: the rest as the wire bytes it will take, against the wire-byte bandwidth. */
		g->decision =
			conv_decide(&g->conv, round,
				    stream_pages_wire_bytes(bitmap_count(g->d.bitmap, g->d.npages), RVMIG_PAGE_SIZE),
				    g->bw, &expected);
		st->expected_downtime_ms = expected == UINT64_MAX ? -1 : (double)expected / 1e6;
		if (g->decision != CONV_CONTINUE || machine_stopping(&g->r->m)) {
			/* This harvest's bits stay in the bitmap: stop-and-copy sends them, and reports this
			 * harvest's GETs, CLEARs and ring entries with its own (mig_stop_and_copy). */
			mig_round_harvest_stats(g, &before, st);
			break;
		}
		g->nrounds = round + 1;
		mig_new_epoch(g);
		rc = mig_send_round(g, round, st);
		mig_round_harvest_stats(g, &before, st);
		if (st->bandwidth > 0 && st->bytes >= 64 * 1024)
			g->bw = st->bandwidth; /* tiny rounds measure latency, not bandwidth */
		migrate_report_round(g, st);
	}
	if (!rc && machine_stopping(&g->r->m))
		rc = mig_failf(g, -EIO, "the source VM failed during precopy: %s", g->r->m.fail_msg);
	return rc;
}

/* ---- stop-and-copy -------------------------------------------------------------------------- */

/*
 * A vCPU paused right after an SBI exit has not had its return values applied yet (KVM does that,
 * sepc += 4 and a0/a1, on the next KVM_RUN). One KVM_RUN with immediate_exit completes it without
 * entering the guest, so the saved state does not repeat the ecall on the destination.
 */
static int mig_settle_vcpu(struct vcpu *v)
{
	int r;

	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	r = kvm_ioctl(v->fd, KVM_RUN, NULL);
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (r == -EINTR || r == 0)
		return 0;
	warn_errno(r, "KVM_RUN with immediate_exit on paused vCPU %u (completing its last exit)", v->id);
	return r;
}

static int mig_send_vcpus(struct mig *g)
{
	struct machine *m = &g->r->m;

	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		struct vcpu_state s;
		int rc = mig_settle_vcpu(&m->vcpus[i]);

		if (!rc)
			rc = vcpu_state_save(&m->vcpus[i], &s);
		if (rc)
			return mig_failf(g, rc, "saving the state of vCPU %u: %s", i, strerror(-rc));
		rc = stream_write_vcpu(&g->w, i, s.regs, s.nregs);
		vcpu_state_free(&s);
		if (rc)
			return mig_failf(g, rc, "sending the state of vCPU %u: %s", i, g->w.err);
	}
	return 0;
}

/*
 * The vCPU state went out flushed, so the destination hashes its RAM while we hash ours (each over
 * every CPU, ramhash_parallel): the check costs the longer of the two passes, not their sum. With
 * --verify none neither side hashes; the header told the destination so.
 */
static int mig_send_hashes(struct mig *g)
{
	int rc = 0;

	if (g->o.verify == MIG_VERIFY_HASH) {
		uint64_t t = machine_now_ns();

		ramhash_parallel(g->r->m.mem.hva, g->r->opts.mem, MIG_HASH_BLOCK, g->hashes);
		g->src_hash_ns = machine_now_ns() - t;
		rc = stream_write_hashes(&g->w, MIG_HASH_BLOCK, 0, g->hashes, g->nblocks);
	}
	if (!rc)
		rc = stream_write_end(&g->w);
	if (rc)
		return mig_failf(g, rc, "sending hashes and end: %s", g->w.err);
	return 0;
}

int mig_stop_and_copy(struct mig *g)
{
	unsigned round = g->nrounds;
	struct mig_round *st = &g->rounds[round];
	struct dirty_stats before = g->d.st;
	/* The decision harvest opened this round; its pages are in the bitmap already, and its work
	 * (opened: mig_precopy's harvest stats) counts with this round's: otherwise a migration that
	 * goes to stop-and-copy right after round 0 reports no ring entry at all. */
	const struct mig_round opened = *st;
	int rc;

	g->pause_ns = machine_now_ns();
	rc = machine_pause(&g->r->m, MIG_PAUSE_TIMEOUT_MS);
	if (rc)
		return mig_failf(g, rc, "pausing the vCPUs for stop-and-copy: %s", strerror(-rc));
	g->paused_ns = machine_now_ns();
	*st = (struct mig_round){ .round = round, .final = true, .expected_downtime_ms = opened.expected_downtime_ms };
	rc = mig_harvest(g, st);
	if (rc)
		return rc;
	st->dirtied += opened.dirtied;
	st->dirty_rate = opened.dirty_rate;
	mig_mark_ctl(g);
	g->nrounds = round + 1;
	/* The vCPUs are paused: RAM cannot change under us, so the pages go from guest RAM to the socket
	 * (gather list) with no copy, and the checksum over RAM is that of the bytes sent. With the sender
	 * thread a batch is still in flight when the call returns: the vCPUs stay paused until the stream
	 * is drained (stream_write_end does; mig_finish drains before a fallback resumes them). */
	g->w.zero_copy = true;
	rc = mig_send_round(g, round, st);
	g->w.zero_copy = false;
	mig_round_harvest_stats(g, &before, st);
	st->get_ms += opened.get_ms;
	st->clear_ms += opened.clear_ms;
	st->ring_ms += opened.ring_ms;
	st->gets += opened.gets;
	st->clears += opened.clears;
	st->ring_entries += opened.ring_entries;
	g->final_sent_ns = machine_now_ns();
	migrate_report_round(g, st);
	if (!rc)
		rc = mig_send_vcpus(g);
	/* Out now, not with the hashes: the destination starts its hash pass on the vCPU state. */
	if (!rc && (rc = stream_flush(&g->w)))
		mig_failf(g, rc, "sending the vCPU state: %s", g->w.err);
	g->vcpus_sent_ns = machine_now_ns();
	if (!rc)
		rc = mig_send_hashes(g);
	g->hashes_sent_ns = machine_now_ns();
	return rc;
}
