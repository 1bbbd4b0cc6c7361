/* SPDX-License-Identifier: MIT */
/*
 * rvmig migrate: the source. Boots the guest as rvmig run does, then precopy: round 0 sends all RAM
 * under dirty logging, each later round harvests and sends what was dirtied, until the rest fits the
 * downtime limit (or the rounds run out or stop shrinking); then stop-and-copy and the handover.
 * Everything after setup returns -errno so a failed migration ends with the source guest resumed.
 * This file: setup, the connection, the destination's answers, the fallback and the exit status;
 * the sending itself is migrate_send.c.
 */
#include "cmd/migrate.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/recv.h"
#include "core/memory.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "mig/hashes_collect.h"
#include "mig/transport.h"

/* The first failure is the one reported; see err_first(). */
#define mig_failf(g, rc, ...) err_first((g)->fail, sizeof((g)->fail), (rc), __VA_ARGS__)

/* ---- setup hooks ---------------------------------------------------------------------------- */

static int mig_hook_vm(struct session *r)
{
	struct mig *g = r->hook_arg;

	return dirty_setup_vm(&g->d);
}

static int mig_hook_vcpu(struct session *r, struct vcpu *v)
{
	struct mig *g = r->hook_arg;

	return dirty_setup_vcpu(&g->d, v);
}

/* Boot, then let the guest dirty for --duration before migrating. */
static int mig_boot_guest(struct mig *g)
{
	struct session *r = g->r;
	uint64_t deadline;

	if (r->opts.kernel) {
		/* Linux: no HELLO; its workload's ready line says every page is mapped and stamped. */
		session_start_linux(r);
		if (session_linux_await_ready(r, "the source guest") ||
		    session_until(r, NULL, machine_now_ns() + r->opts.duration_ms * NS_PER_MS, NULL))
			return -EIO;
		return 0;
	}
	if (session_boot(r, 0))
		return -EIO;
	/* --duration is the whole time before migrating; the first pass (huge G-stage leaves all over
	 * the slot) is waited for within it, so a rate-limited guest on a big slot does not hold us. */
	deadline = machine_now_ns() + r->opts.duration_ms * NS_PER_MS;
	if (session_until(r, session_all_slice_done, deadline, NULL) || session_until(r, NULL, deadline, NULL))
		return -EIO;
	return 0;
}

/* ---- the destination's answer ---------------------------------------------------------------- */

static int mig_read_reply(struct mig *g, struct stream_record *rec, const char *waiting_for)
{
	int rc = stream_next(&g->rd, rec);

	if (rc == -ECANCELED) {
		snprintf(g->dest_msg, sizeof(g->dest_msg), "%s", g->rd.abort_reason);
		return mig_failf(g, rc, "the destination aborted %s: %s", waiting_for, g->rd.abort_reason);
	}
	if (rc)
		return mig_failf(g, rc, "waiting for the destination %s: %s", waiting_for, g->rd.err);
	return 0;
}

/*
 * VERIFIED = the destination checked RAM (unless --verify none), restored the vCPUs and resumed: the
 * handover. It carries the destination's hash pass and how long its resume waited on the check, which
 * the downtime compared with --downtime-limit leaves out. Then its RAM hashes, for our own comparison.
 */
static int mig_await_resume(struct mig *g)
{
	struct stream_record rec;
	size_t bad[8];
	int rc = mig_read_reply(g, &rec, "to resume the guest");

	if (rc)
		return rc;
	if (rec.type != STREAM_REC_VERIFIED)
		return mig_failf(g, -EBADMSG, "the destination sent a %s record, expected verified (it resumed)",
				 stream_rec_name(rec.type));
	g->resumed_ns = machine_now_ns();
	g->handed_over = true;
	g->dest_verify = rec.u.verified;
	if (g->o.verify == MIG_VERIFY_NONE)
		return 0;
	rc = stream_read_hashes(&g->rd, MIG_HASH_BLOCK, g->nblocks, g->dest_hashes, NULL);
	if (rc == -ECANCELED)
		snprintf(g->dest_msg, sizeof(g->dest_msg), "%s", g->rd.abort_reason);
	if (rc)
		return mig_failf(g, rc, "reading the destination's %" PRIu64 " RAM hashes after it resumed: %s",
				 g->nblocks, rc == -ECANCELED ? g->rd.abort_reason : g->rd.err);
	g->hash_mismatch = hashes_compare(g->hashes, g->dest_hashes, g->nblocks, bad, 8);
	if (g->hash_mismatch)
		return mig_failf(g, -EBADMSG,
				 "%zu of %" PRIu64 " 2M blocks differ from the destination's (first: "
				 "block %zu at gpa 0x%llx) although it resumed",
				 g->hash_mismatch, g->nblocks, bad[0],
				 (unsigned long long)(RVMIG_RAM_BASE + bad[0] * MIG_HASH_BLOCK));
	return 0;
}

static int mig_await_verdict(struct mig *g)
{
	struct stream_record rec;
	int rc;

	/* Post-run, then the guest's verify pass (its whole backstop budget), then shutdown. */
	g->rd.timeout_ms = (int)(g->o.post_run_ms + session_verify_budget_ns(g->r) / NS_PER_MS) + MIG_IO_TIMEOUT_MS;
	/* A Linux guest also powers off after its verify (its console input is polled, not interrupted). */
	if (g->r->opts.kernel)
		g->rd.timeout_ms += LINUX_EXIT_TIMEOUT_S * 1000;
	rc = mig_read_reply(g, &rec, "verdict (post-run and guest verify)");
	if (rc)
		return rc;
	if (rec.type != STREAM_REC_END)
		return mig_failf(g, -EBADMSG, "the destination sent a %s record, expected END",
				 stream_rec_name(rec.type));
	g->dest_verified = true;
	return 0;
}

/* ---- failure: the source guest carries on ---------------------------------------------------- */

static void mig_fallback(struct mig *g)
{
	struct session *r = g->r;

	printf("[migrate] migration failed: %s\n", g->fail);
	printf("[migrate] resuming the source guest and asking it to verify its memory\n");
	dirty_stop(&g->d);
	machine_resume(&r->m);
	if (g->d.mode == DIRTY_RING)
		dirty_harvest(&g->d); /* releases a vCPU waiting in DIRTY_RING_FULL; logging is off now */
	session_monitor_start(r);
	if (r->opts.kernel) {
		/* Logging is off: what the VMM types into the console (its RAM) needs no dirty bit. */
		if (!session_linux_verify(r, "the source guest", &r->wl_result) &&
		    !session_linux_poweroff(r, "the source guest"))
			g->fallback_verified = true;
		return;
	}
	if (session_verify_and_exit(r, "the source guest"))
		return;
	session_collect(r);
	g->fallback_verified = r->all_verified;
}

/* ---- main ----------------------------------------------------------------------------------- */

static int mig_connect(struct mig *g)
{
	int fds[2], rc;

	if (g->o.to.kind != XPORT_LOCAL) {
		char why[512];

		g->fd = xport_connect(&g->o.to, (int)g->o.connect_ms);
		if (g->fd < 0)
			return mig_failf(g, g->fd, "connecting to the destination %s failed: %s",
					 xport_format(&g->o.to, why, sizeof(why)), strerror(-g->fd));
		/* --auth-key: both ends prove they hold the key before the first record (mig/auth.h). */
		if (!g->o.auth.set)
			return 0;
		rc = auth_handshake(g->fd, &g->o.auth, AUTH_SOURCE, AUTH_TIMEOUT_MS, why, sizeof(why));
		/* Done with the key either way: no copy of it stays in memory for the rest of the run. */
		auth_key_forget(&g->o.auth);
		return rc ? mig_failf(g, rc, "%s", why) : 0;
	}
	rc = xport_pair(fds);
	if (rc)
		return rc;
	if (g->o.link == MIG_LINK_SHM) {
		char why[256];

		/* Before the fork: the child inherits the shared mapping at the same address. */
		g->shm = shm_link_create(0, why, sizeof(why));
		if (!g->shm)
			return mig_failf(g, -errno, "--link shm: %s", why);
	}
	fflush(stdout);
	g->child = fork();
	if (g->child < 0) {
		rc = -errno;
		warn_errno(rc, "fork for the local destination");
		return rc;
	}
	if (g->child == 0) {
		/* Before any VM or guest memory exists in this process: the child shares none of it. */
		struct recv_opts ro = {
			.run = g->o.run, .post_run_ms = g->o.post_run_ms, .shm = g->shm, .pipeline = g->o.pipeline
		};
		/* --verify reaches the destination in our header's flags, as it does a remote recv. */

		close(fds[0]);
		/* --json F: the destination's half (its per-round read/check/apply times) goes next to it,
		 * F without .json + .dest.json; a write failure there is its own, said on stderr. */
		ro.run.json = NULL;
		if (g->o.run.json) {
			size_t n = strlen(g->o.run.json);
			char *p = malloc(n + sizeof(".dest.json"));

			if (p) {
				if (n > 5 && !strcmp(g->o.run.json + n - 5, ".json"))
					n -= 5;
				memcpy(p, g->o.run.json, n);
				strcpy(p + n, ".dest.json");
				ro.run.json = p;
			}
		}
		_exit(recv_serve(&ro, fds[1]));
	}
	close(fds[1]);
	g->fd = fds[0];
	return 0;
}

static int mig_streams_init(struct mig *g)
{
	if (stream_writer_init(&g->w, g->fd) || stream_reader_init(&g->rd, g->fd))
		return mig_failf(g, -ENOMEM, "allocating stream buffers");
	g->w_ok = g->rd_ok = true;
	g->sndbuf = xport_sndbuf(g->fd);
	/* --link shm: the stream to the destination through the ring; its replies still on the socket */
	if (g->shm)
		stream_writer_use_shm(&g->w, g->shm);
	g->w.timeout_ms = MIG_IO_TIMEOUT_MS;
	g->rd.timeout_ms = MIG_IO_TIMEOUT_MS;
	/* A sender thread writes each batch while we encode the next (--pipeline); its zero-copy batches
	 * refer to guest RAM until stream_writer_drain: see mig_finish. Without one (no memory, no thread)
	 * the writer sends on this thread: slower at most, said, and the JSON's stream_pipelined is false. */
	if (stream_pipeline_wanted(g->o.pipeline) && stream_writer_start_sender(&g->w))
		warn_msg("%s: the stream is sent on the migration's own thread", g->w.err);
	return 0;
}

int mig_send_guest(struct mig *g)
{
	char bw[32];
	int rc = 0;

	if (g->o.to.kind != XPORT_LOCAL && (rc = mig_connect(g)))
		return rc;
	rc = mig_streams_init(g);
	if (!rc)
		rc = mig_handshake(g);
	if (rc)
		return rc;
	if (!g->r->opts.quiet)
		printf("[migrate] precopy to the destination: --dirty %s, clear chunk %" PRIu64
		       " pages, downtime limit %" PRIu64 " ms, max bandwidth %s\n",
		       g->d.ops->name, g->d.chunk_pages, g->o.downtime_ms,
		       g->o.max_bandwidth ? format_size(g->o.max_bandwidth, bw, sizeof(bw)) : "unlimited");
	tbucket_init(&g->tb, g->o.max_bandwidth, machine_now_ns());
	g->start_ns = machine_now_ns();
	rc = mig_precopy(g);
	if (!rc)
		rc = mig_stop_and_copy(g);
	if (!rc)
		rc = mig_await_resume(g);
	if (!rc)
		rc = mig_await_verdict(g);
	g->end_ns = machine_now_ns();
	return rc;
}

static int mig_run(struct mig *g)
{
	int rc = mig_boot_guest(g);

	if (rc)
		return mig_failf(g, rc, "the source guest did not come up: %s", g->r->m.fail_msg);
	return mig_send_guest(g);
}

void mig_attach(struct mig *g, struct session *r)
{
	int rc;

	g->r = r;
	g->fd = -1;
	r->hook_vm = mig_hook_vm;
	r->hook_vcpu = mig_hook_vcpu;
	r->hook_arg = g;
	rc = dirty_init(&g->d, g->o.dirty, &r->m, 0, r->opts.mem, g->o.clear_chunk, g->o.ring_entries);
	g->nblocks = (r->opts.mem + MIG_HASH_BLOCK - 1) / MIG_HASH_BLOCK;
	g->hashes = calloc(g->nblocks, sizeof(uint64_t));
	g->dest_hashes = calloc(g->nblocks, sizeof(uint64_t));
	if (rc || !g->hashes || !g->dest_hashes)
		die_errno(ENOMEM, "allocating dirty bitmaps for %" PRIu64 " pages",
			  (uint64_t)(r->opts.mem / RVMIG_PAGE_SIZE));
}

static void mig_setup(struct mig *g)
{
	int fd = g->fd; /* --to local: the forked destination's socket, made before the VM */

	session_init(g->r, &g->o.run);
	mig_attach(g, g->r);
	g->fd = fd;
	session_setup(g->r, true);
}

void mig_finish(struct mig *g, int rc)
{
	struct session *r = g->r;
	int ws;

	/*
	 * Before the source's vCPUs run again (mig_fallback) or the fd closes: stop-and-copy's batches go
	 * from guest RAM with no copy, and with the sender thread the last may still be in flight. On
	 * success END already drained (stream_write_end); after a failure this waits at most the
	 * stream's timeout for the sender. Its error, if any, is g->w's, not the migration's first.
	 */
	if (g->w_ok)
		stream_writer_drain(&g->w);
	if (rc && !g->handed_over)
		mig_fallback(g);
	machine_stop(&r->m);
	for (unsigned i = 0; i < r->m.nr_vcpus; i++)
		vcpu_join(&r->m.vcpus[i]);
	if (g->shm)
		shm_link_close(g->shm, SHM_WRITER); /* as the close below, for a destination reading the ring */
	if (g->fd >= 0)
		close(g->fd); /* a destination still reading sees the end of the stream */
	if (g->child > 0) {
		pid_t w;

		while ((w = waitpid(g->child, &ws, 0)) < 0 && errno == EINTR)
			;
		if (w < 0) {
			warn_errno(errno, "waitpid for the local destination (pid %d)", (int)g->child);
			if (!rc)
				rc = mig_failf(g, -ECHILD, "the local destination's exit status is unknown");
		} else if (!rc && (!WIFEXITED(ws) || WEXITSTATUS(ws)))
			rc = mig_failf(g, -EIO, "the local destination exited with status %d",
				       WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
	}
	g->status = rc ? RVMIG_EXIT_FAIL : RVMIG_EXIT_OK;
	migrate_report_print(g);
}

int mig_onward(struct mig *g)
{
	struct session *r = g->r;
	int rc = 0;

	if (session_until(r, NULL, machine_now_ns() + g->o.run.duration_ms * NS_PER_MS, NULL))
		rc = mig_failf(g, -EIO, "the guest failed before it moved on: %s", r->m.fail_msg);
	if (!rc)
		rc = mig_send_guest(g);
	mig_finish(g, rc);
	return g->status;
}

void mig_release(struct mig *g)
{
	if (g->w_ok)
		stream_writer_free(&g->w);
	if (g->rd_ok)
		stream_reader_free(&g->rd);
	g->w_ok = g->rd_ok = false;
	shm_link_destroy(g->shm);
	g->shm = NULL;
	dirty_free(&g->d);
	auth_key_forget(&g->o.auth); /* never used if no connection was made; wiped either way */
	free(g->hashes);
	free(g->dest_hashes);
	g->hashes = g->dest_hashes = NULL;
}

int migrate_main(int argc, char **argv)
{
	struct mig *g = calloc(1, sizeof(*g));
	char err[512];
	int rc, status;

	if (!g || !(g->r = calloc(1, sizeof(*g->r))))
		die_errno(ENOMEM, "allocating migration state");
	rc = cli_exit_status(cli_parse_migrate(argc, argv, &g->o, err, sizeof(err)), "migrate", err, cli_migrate_help);
	if (rc >= 0) { /* --help or a usage error: nothing else was set up yet */
		free(g->r);
		free(g);
		return rc;
	}
	/* Streams go over sockets (MSG_NOSIGNAL); this is for anything else that might write to a dead pipe. */
	signal(SIGPIPE, SIG_IGN);
	g->fd = -1;
	/* --to local runs two guests of this shape on this host: say so before either takes its pages. */
	if (g->o.to.kind == XPORT_LOCAL && (g->o.run.backing == MEM_HUGETLB_2M || g->o.run.backing == MEM_HUGETLB_1G)) {
		long need = (long)(g->o.run.mem / mem_backing_page_size(g->o.run.backing));
		long have = mem_hugetlb_available(g->o.run.backing);

		if (have >= 0 && have < 2 * need)
			die("--to local runs the source and the destination guest on this host: 2 x %ld = %ld %s huge "
			    "pages needed, %ld available (free less reserved); reserve more or use a smaller --mem",
			    need, 2 * need, mem_backing_name(g->o.run.backing), have);
	}
	/* --to local forks first, so the destination process never holds the source's memory. */
	rc = g->o.to.kind == XPORT_LOCAL ? mig_connect(g) : 0;
	if (rc)
		die("starting the local destination failed: %s", g->fail[0] ? g->fail : strerror(-rc));
	mig_setup(g);
	rc = mig_run(g);
	mig_finish(g, rc);
	if (g->r->opts.json && migrate_report_json(g, g->r->opts.json))
		g->status = RVMIG_EXIT_FAIL;
	status = g->status;
	machine_destroy(&g->r->m);
	mig_release(g);
	free(g->r);
	free(g);
	return status;
}
