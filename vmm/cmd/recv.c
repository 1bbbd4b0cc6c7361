/* SPDX-License-Identifier: MIT */
/*
 * rvmig recv: the destination. Creates a VM of its own shape, refuses a sender of another shape
 * before writing any page, applies the rounds, checks every 2M block's hash against the sender's,
 * restores the vCPUs and resumes the guest; then lets it run, has it verify its stamps, shuts it down
 * and tells the source (see migrate.h for the conversation).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/migrate.h"
#include "cmd/recv.h"
#include "cmd/recv_priv.h"
#include "core/vcpu_state.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "mig/conversation.h"
#include "mig/hashes_collect.h"
#include "mig/ramhash.h"
#include "mig/stream.h"
#include "mig/transport.h"
#include "rvmig_abi.h"
#include "session.h"

/* Longest silence of the source once its header came (it pauses, harvests and hashes between sends). */
#define RECV_STALL_TIMEOUT_MS 120000

/* The first failure is the one reported; see err_first(). */
#define recv_failf(v, rc, ...) err_first((v)->fail, sizeof((v)->fail), (rc), __VA_ARGS__)

static void recv_say(const struct recv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void recv_say(const struct recv *v, const char *fmt, ...)
{
	va_list ap;

	if (v->o->run.quiet)
		return;
	va_start(ap, fmt);
	printf("[recv] ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

/* Refusal happens here, before any page: the sender's shape against ours. */
static int recv_handshake(struct recv *v)
{
	struct stream_header theirs;
	char why[512];
	int rc = stream_read_header(&v->rd, &theirs);

	if (rc)
		return recv_failf(v, rc, "reading the sender's header: %s", v->rd.err);
	/* The caller's ABORT tells the source why, before any page. */
	if (stream_check_header(&v->shape, &theirs, why, sizeof(why)))
		return recv_failf(v, -EINVAL, "refused: record #%" PRIu64 " (header) at byte %" PRIu64 ": %s",
				  v->rd.seq, v->rd.rec_start, why);
	v->verify = !(theirs.flags & STREAM_HDR_NO_VERIFY);
	v->linux_guest = theirs.flags & STREAM_HDR_LINUX;
	if (v->linux_guest && v->onward)
		return recv_failf(v, -EINVAL,
				  "refused: a Linux guest does not travel onward (--then-migrate-to) yet; receive it "
				  "without");
	if (!v->linux_guest)
		session_attach_ctl(v->r);
	/* From here batches land straight in guest RAM (see recv_conversation for why that is safe). */
	rc = stream_reader_land(&v->rd, v->r->m.mem.hva, v->r->m.mem.size);
	if (rc)
		return recv_failf(v, rc, "setting guest RAM as the stream's landing area: %s", v->rd.err);
	/* Each batch checked on a thread of its own while the next one lands (--pipeline); without one
	 * (no memory, no thread) this thread checks: slower at most, said, and the JSON's stream_checker. */
	if (stream_pipeline_wanted(v->o->pipeline) && stream_reader_start_checker(&v->rd))
		warn_msg("%s: the stream is checked on the receiving thread", v->rd.err);
	rc = stream_write_header(&v->w, &v->shape);
	if (!rc)
		rc = stream_flush(&v->w);
	if (rc)
		return recv_failf(v, rc, "sending our header: %s", v->w.err);
	recv_say(v, "accepted a stream of %" PRIu64 " MiB RAM, %u vCPUs, a %s guest, sender backing %s (ours %s)",
		 theirs.ram_size >> 20, theirs.nr_vcpus, v->linux_guest ? "Linux" : "bare-metal rvmig",
		 stream_backing_name(theirs.backing), mem_backing_name(v->r->opts.backing));
	return 0;
}

static int recv_record(struct recv *v, const struct stream_record *rec)
{
	switch (rec->type) {
	case STREAM_REC_BATCH:
		if (v->hashed)
			return recv_failf(v, -EBADMSG,
					  "pages after the vCPU state (the source sends state after its last round)");
		if (!v->first_ns)
			v->first_ns = machine_now_ns();
		{
			uint64_t t = machine_now_ns();

			/* A landed batch is in RAM already (its apply time is in read and check); this
			 * copies only a batch read without a landing area. */
			stream_batch_apply(&rec->u.batch, v->r->m.mem.hva, RVMIG_PAGE_SIZE);
			v->apply_ns += machine_now_ns() - t;
		}
		v->pages += rec->u.batch.count;
		return 0;
	case STREAM_REC_ROUND_END: {
		struct recv_round *rr = &v->rstats[v->nrstats < MIG_MAX_ROUNDS + 1 ? v->nrstats++ : MIG_MAX_ROUNDS + 1];

		*rr = (struct recv_round){
			.round = rec->u.round_end.round,
			.pages = rec->u.round_end.pages,
			.read_ms = (double)(v->rd.t.read_ns - v->rmark.read_ns) / 1e6,
			.check_ms = (double)(v->rd.t.check_ns - v->rmark.check_ns) / 1e6,
			.apply_ms = (double)(v->apply_ns - v->apply_mark) / 1e6,
		};
		v->rmark = v->rd.t;
		v->apply_mark = v->apply_ns;
		v->rounds++;
		v->round_end_ns[0] = v->round_end_ns[1];
		v->round_end_ns[1] = machine_now_ns();
		recv_say(v, "round %" PRIu64 ": %" PRIu64 " pages; read %.1f ms, check %.1f ms, apply %.1f ms",
			 rr->round, rr->pages, rr->read_ms, rr->check_ms, rr->apply_ms);
		return 0;
	}
	case STREAM_REC_VCPU:
		if (rec->u.vcpu.id >= v->r->opts.vcpus)
			return recv_failf(v, -EBADMSG, "state for vCPU %u, we have %u", rec->u.vcpu.id,
					  v->r->opts.vcpus);
		if (!v->final_ns)
			v->final_ns = machine_now_ns();
		/* The last page is in: hash our RAM now, while the source hashes its own (it flushed the
		 * state before starting): the check costs the longer pass, not both. */
		if (!v->hashed && v->verify) {
			uint64_t t = machine_now_ns();

			ramhash_parallel(v->r->m.mem.hva, v->r->opts.mem, MIG_HASH_BLOCK, v->hashes);
			v->verified.hash_ns = machine_now_ns() - t;
		}
		v->hashed = true;
		return vcpu_state_copy(&rec->u.vcpu, &v->states[rec->u.vcpu.id])
			       ? recv_failf(v, -ENOMEM, "copying vCPU %u state", rec->u.vcpu.id)
			       : 0;
	case STREAM_REC_HASHES: {
		char why[160];

		if (!v->verify)
			return recv_failf(v, -EBADMSG,
					  "record #%" PRIu64 " (hashes) in a stream whose header said no verify",
					  rec->seq);
		if (hashes_collect_add(&v->src_hashes, &rec->u.hashes, why, sizeof(why)))
			return recv_failf(v, -EBADMSG, "record #%" PRIu64 " (hashes): %s", rec->seq, why);
		return 0;
	}
	default:
		return recv_failf(v, -EBADMSG, "unexpected %s record", stream_rec_name(rec->type));
	}
}

static int recv_stream(struct recv *v)
{
	for (;;) {
		struct stream_record rec;
		int rc = stream_next(&v->rd, &rec);

		if (rc == -ECANCELED)
			return recv_failf(v, rc, "the source aborted: %s", v->rd.abort_reason);
		if (rc)
			return recv_failf(v, rc, "the stream broke after %" PRIu64 " pages: %s", v->pages, v->rd.err);
		if (rec.type == STREAM_REC_END)
			return 0;
		rc = recv_record(v, &rec);
		if (rc)
			return rc;
	}
}

/*
 * The bit-exact check, before anything runs: every 2M block against the sender's hash. The guest
 * never runs here on RAM that failed it; only a sender's --verify none (header flag) skips it. The
 * time from the vCPU state's arrival to this verdict is the check's share of the pause (our hash pass
 * and the wait for the source's, which ran at the same time): the source takes it out of the downtime
 * it compares with --downtime-limit and reports it next to it.
 */
static int recv_check_hashes(struct recv *v)
{
	size_t bad[8], n;
	char list[256] = "";

	if (!v->verify) {
		recv_say(v, "RAM hash check off (the source migrates with --verify none)");
		return 0;
	}
	if (!hashes_collect_done(&v->src_hashes))
		return recv_failf(v, -EBADMSG, "the sender hashed %" PRIu64 " of %" PRIu64 " blocks", v->src_hashes.got,
				  v->nblocks);
	if (!v->hashed) /* no vCPU state came: recv_restore refuses the stream, but say what RAM held */
		ramhash_parallel(v->r->m.mem.hva, v->r->opts.mem, MIG_HASH_BLOCK, v->hashes);
	v->hashed = true;
	n = hashes_compare(v->src_hashes.out, v->hashes, v->nblocks, bad, 8);
	v->verified.wait_ns = v->final_ns ? machine_now_ns() - v->final_ns : 0;
	v->hashes_compared = true;
	v->hash_mismatches = n;
	if (!n) {
		recv_say(v, "RAM hashes: all %" PRIu64 " 2M blocks match the source's", v->nblocks);
		return 0;
	}
	for (size_t i = 0; i < n && i < 8; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%zu (gpa 0x%llx)", i ? ", " : "", bad[i],
			 (unsigned long long)(RVMIG_RAM_BASE + bad[i] * MIG_HASH_BLOCK));
	return recv_failf(v, -EBADMSG, "RAM hash mismatch in %zu of %" PRIu64 " 2M blocks: %s%s", n, v->nblocks, list,
			  n > 8 ? ", ..." : "");
}

static int recv_restore(struct recv *v)
{
	struct machine *m = &v->r->m;
	struct vcpu_restore_stats st = { 0 };
	char err[384];

	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		int rc;

		if (!v->states[i].nregs)
			return recv_failf(v, -EBADMSG, "no state for vCPU %u in the stream", i);
		rc = vcpu_state_restore(&m->vcpus[i], &v->states[i], &st, err, sizeof(err));
		v->restored = st;
		if (rc)
			return recv_failf(v, rc, "restoring vCPU %u: %s", i, err);
		v->vcpus_restored = i + 1;
	}
	recv_say(v, "vCPU state restored: %u registers set, %u read-only ones already equal, MP state of %u vCPUs",
		 st.set, st.kept, m->nr_vcpus);
	return 0;
}

/*
 * A Linux guest after the resume: --post-run, then its workload verifies every stamp (typed "verify"
 * on its console), its largest clock step is checked against the pause, and it powers off ("exit").
 * The pause as the destination sees it: from the ROUND_END of the last live round (the source then
 * harvests, pauses and sends the rest) to our resume; KVM's timer register restores the guest's time
 * as the source saved it, so the guest's clock should not jump by more than that.
 */
static int recv_linux_verify(struct recv *v)
{
	struct session *r = v->r;
	uint64_t from = v->round_end_ns[0] ? v->round_end_ns[0] : v->first_ns;
	double step_ms;

	v->pause_ms = from ? (double)(v->resumed_ns - from) / 1e6 : 0;
	if (session_until(r, NULL, machine_now_ns() + v->o->post_run_ms * NS_PER_MS, NULL))
		return recv_failf(v, -EIO, "the guest failed after resume: %s", r->m.fail_msg);
	if (session_linux_verify(r, "the guest", &v->wl))
		return recv_failf(v, -EIO, "guest verify: %s", r->m.fail_msg);
	step_ms = (double)v->wl.step_us / 1e3;
	recv_say(
		v,
		"workload clock: largest step %.1f ms since its previous report, pause seen here %.1f ms (limit: pause + %d ms)",
		step_ms, v->pause_ms, RECV_LINUX_STEP_MARGIN_MS);
	if (step_ms > v->pause_ms + RECV_LINUX_STEP_MARGIN_MS)
		return recv_failf(v, -EIO,
				  "the guest's monotonic clock stepped %.1f ms, more than the pause (%.1f ms) + %d ms",
				  step_ms, v->pause_ms, RECV_LINUX_STEP_MARGIN_MS);
	if (session_linux_poweroff(r, "the guest"))
		return recv_failf(v, -EIO, "guest poweroff: %s", r->m.fail_msg);
	v->guest_verified = true;
	return 0;
}

/* Resume, tell the source (our hashes), run --post-run in a new epoch, VERIFY, EXIT. */
static int recv_resume_and_verify(struct recv *v)
{
	struct session *r = v->r;
	volatile struct rvmig_ctl *ctl = r->m.ctl;
	int rc;

	/* The guest said HELLO on the source long ago: it just goes on (no session_boot). */
	session_monitor_start(r);
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		vcpu_start(&r->m.vcpus[i]);
	v->resumed_ns = machine_now_ns();
	v->resumed = true;
	rc = stream_write_verified(&v->w, &v->verified);
	if (!rc && v->verify)
		rc = stream_write_hashes(&v->w, MIG_HASH_BLOCK, 0, v->hashes, v->nblocks);
	if (!rc)
		rc = stream_flush(&v->w);
	if (rc)
		recv_say(v, "could not tell the source we resumed: %s (going on: the guest is ours now)", v->w.err);
	recv_say(v, "guest resumed %.1f ms after the vCPU state arrived (%s); running it %" PRIu64 " ms%s",
		 v->final_ns ? (double)(v->resumed_ns - v->final_ns) / 1e6 : 0.0,
		 v->verify ? "hash check, restore" : "restore; no hash check: --verify none", v->o->post_run_ms,
		 ctl ? "" : " before its workload verifies");
	if (v->linux_guest)
		return recv_linux_verify(v);
	recv_say(v, "new epoch %" PRIu64, ctl->epoch + 1);
	__atomic_store_n(&ctl->epoch, ctl->epoch + 1, __ATOMIC_RELEASE);
	session_set_cmd(r, RVMIG_CMD_RUN);
	if (session_until(r, NULL, machine_now_ns() + v->o->post_run_ms * NS_PER_MS, NULL))
		return recv_failf(v, -EIO, "the guest failed after resume: %s", r->m.fail_msg);
	/* A guest that moves on verifies here and keeps running; otherwise it ends here. */
	if (v->onward ? session_verify(r, "the guest") : session_verify_and_exit(r, "the guest"))
		return recv_failf(v, -EIO, "guest verify%s: %s", v->onward ? "" : " and exit", r->m.fail_msg);
	session_collect(r);
	for (unsigned i = 0; i < r->opts.vcpus; i++) {
		const struct rvmig_vcpu_stats *s = &r->res[i].stats;

		recv_say(v, "hart %u verify %s: %" PRIu64 " stamped pages, %" PRIu64 " errors", i,
			 s->verify_status == RVMIG_VERIFY_OK ? "ok" : "FAILED", s->verify_pages, s->verify_errors);
	}
	if (!r->all_verified || r->m.shutdown_reason)
		return recv_failf(v, -EIO, "the guest's verify pass failed on the destination");
	v->guest_verified = true;
	if (v->onward)
		session_rerun(r);
	return 0;
}

static int recv_alloc(struct recv *v)
{
	v->nblocks = (v->r->opts.mem + MIG_HASH_BLOCK - 1) / MIG_HASH_BLOCK;
	hashes_collect_init(&v->src_hashes, MIG_HASH_BLOCK, v->nblocks, calloc(v->nblocks, sizeof(uint64_t)));
	v->hashes = calloc(v->nblocks, sizeof(uint64_t));
	if (!v->src_hashes.out || !v->hashes || stream_writer_init(&v->w, -1) || stream_reader_init(&v->rd, -1))
		return -ENOMEM;
	return 0;
}

/*
 * header_timeout_ms: how long the sender may take to send its header (<= 0: no limit). A forked
 * local destination waits as long as the source boots and runs --duration; EOF still ends the wait
 * if the source dies. After the header the source keeps sending, so stalls are bounded.
 *
 * Why batches may land in guest RAM before their checksum is checked (stream_reader_land, set in
 * recv_handshake): no vCPU of ours runs before recv_resume_and_verify, which is reached only when
 * recv_stream (every record checked, END's totals), recv_check_hashes and recv_restore all
 * succeeded. Any stream error returns from here with an ABORT to the source (which resumes its own
 * guest) and the vCPUs never started; recv_serve then destroys the VM (no --then-migrate-to hop
 * either: it needs rc 0). This holds for `rvmig recv` and for migrate's local destination, which is
 * recv_serve in a forked child. With the reader's checker thread (the default) a batch is even
 * returned before its check: the VCPU record (on which we hash RAM) and END are returned only once
 * every batch before them was checked and its zero pages cleared, and a failed check comes back from
 * stream_next no later than that (stream_reader_land's SAFETY).
 */
static int recv_conversation(struct recv *v, int header_timeout_ms)
{
	int rc;

	v->rd.timeout_ms = header_timeout_ms;
	rc = recv_handshake(v);
	/* The source may take a while between rounds (pausing, hashing): generous, not infinite. */
	v->rd.timeout_ms = RECV_STALL_TIMEOUT_MS;
	if (!rc)
		rc = recv_stream(v);
	if (!rc)
		rc = recv_check_hashes(v);
	if (!rc)
		rc = recv_restore(v);
	if (rc) {
		/* Before the resume the source still owns the guest: tell it why (it resumes its own). */
		stream_write_abort(&v->w, v->fail);
		return rc;
	}
	rc = recv_resume_and_verify(v);
	if (rc)
		stream_write_abort(&v->w, v->fail);
	else if (stream_write_end(&v->w))
		recv_say(v, "could not send END to the source: %s", v->w.err);
	return rc;
}

/* --auth-key: the sender proves it holds our key before we read a single record of its stream. */
static int recv_authenticate(struct recv *v, int fd)
{
	char why[512];
	int rc = auth_handshake(fd, &v->o->auth, AUTH_DESTINATION, AUTH_TIMEOUT_MS, why, sizeof(why));

	/* Done with the key either way: no copy of it stays in memory for the rest of the run. */
	auth_key_forget(&v->o->auth);
	if (rc)
		return recv_failf(v, rc, "refused the sender: %s", why);
	v->authenticated = true;
	recv_say(v, "the sender proved it holds the key of --auth-key %s", v->o->auth.path);
	return 0;
}

int recv_serve(struct recv_opts *o, int fd)
{
	struct recv *v = calloc(1, sizeof(*v));
	int rc;

	if (!v || !(v->r = calloc(1, sizeof(*v->r))))
		die_errno(ENOMEM, "allocating the destination's state");
	signal(SIGPIPE, SIG_IGN);
	v->o = o;
	v->onward_status = -1;
	session_init(v->r, &o->run);
	if (o->onward.to.kind != XPORT_LOCAL) {
		/* Dirty logging (a ring, if asked) is set up with the VM, before a page arrives. */
		if (!(v->onward = calloc(1, sizeof(*v->onward))))
			die_errno(ENOMEM, "allocating the onward migration's state");
		v->onward->o = o->onward;
		auth_key_forget(&o->onward.auth); /* the hop's own copy is the one it uses (and wipes) */
		mig_attach(v->onward, v->r);
	}
	session_setup(v->r, false);
	v->shape = mig_shape(o->run.mem, o->run.vcpus, o->run.backing);
	if (recv_alloc(v))
		die_errno(ENOMEM, "allocating stream buffers and hashes");
	bool local = fd >= 0;

	if (!local) {
		char where[160];

		xport_format(&o->listen, where, sizeof(where));
		if (o->accept_timeout_ms)
			recv_say(v, "waiting for a sender on %s (up to %g s, --accept-timeout)", where,
				 (double)o->accept_timeout_ms / 1000);
		else
			recv_say(v, "waiting for a sender on %s (no time limit)", where);
		fd = xport_accept_one(&o->listen, (int)o->accept_timeout_ms);
	}
	if (fd < 0) {
		rc = fd;
		recv_failf(v, rc, "no connection (message above)");
	} else if (o->auth.set && (rc = recv_authenticate(v, fd))) {
		close(fd); /* not one record read, no page written, no vCPU started */
	} else {
		v->w.fd = v->rd.fd = fd;
		v->w.is_sock = true; /* MSG_NOSIGNAL: a vanished source is -EPIPE */
		v->w.timeout_ms = MIG_IO_TIMEOUT_MS;
		/* migrate --link shm: its stream comes through the ring; fd stays, for the replies and as the
		 * sign of the source's death (the ring's waits poll it) */
		if (o->shm)
			stream_reader_use_shm(&v->rd, o->shm);
		/* A sender that connected over the network sends its header at once. */
		rc = recv_conversation(v, local ? 0 : RECV_STALL_TIMEOUT_MS);
		if (o->shm)
			shm_link_close(o->shm, SHM_READER); /* a source still writing gets EPIPE, as from close */
		close(fd);
	}
	if (rc)
		fprintf(stderr, "rvmig recv: %s\n", v->fail);
	else
		recv_say(v,
			 "migration complete: %" PRIu64 " pages in %" PRIu64
			 " rounds, guest verified on the destination",
			 v->pages, v->rounds);
	/* The guest verified here and runs on: it moves to the next host (or, failing that, ends here). */
	if (!rc && v->onward) {
		v->onward_status = mig_onward(v->onward);
		if (v->onward_status)
			rc = recv_failf(v, -EIO, "moving the guest on: %s", v->onward->fail);
	}
	if (o->run.json && recv_report_json(v, o->run.json, rc) && !rc)
		rc = -EIO;
	/* First: after a stream error the checker thread may still be checking (or zero-filling) a landed
	 * batch in guest RAM; freeing the reader waits for it, and only then may the RAM go. */
	stream_reader_free(&v->rd);
	machine_destroy(&v->r->m);
	auth_key_forget(&o->auth); /* if no sender came, the key was never used: wipe it all the same */
	if (v->onward) {
		mig_release(v->onward);
		free(v->onward);
	}
	stream_writer_free(&v->w);
	for (unsigned i = 0; i < RVMIG_MAX_VCPUS; i++)
		vcpu_state_free(&v->states[i]);
	free(v->src_hashes.out);
	free(v->hashes);
	free(v->r);
	free(v);
	return rc ? RVMIG_EXIT_FAIL : RVMIG_EXIT_OK;
}

int recv_main(int argc, char **argv)
{
	struct recv_opts o;
	char err[512];
	int status = cli_exit_status(cli_parse_recv(argc, argv, &o, err, sizeof(err)), "recv", err, cli_recv_help);

	return status >= 0 ? status : recv_serve(&o, -1);
}
