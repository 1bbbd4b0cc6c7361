/* SPDX-License-Identifier: MIT */
/*
 * rvmig run: boot the guest, let it dirty its slices (optionally under dirty logging, with the
 * memslot update timed), verify, report. The session (session.c) does the boot, the monitor and the
 * end; this file is the measurement window in between and the exit status.
 */
#include "cmd/run.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"

/*
 * Stats of a running vCPU: stats_snapshot gives up after a short spin when the guest is mid-publish,
 * which lasts longer when its vCPU thread is descheduled right there: retry for up to ~50 ms, and
 * say so rather than let a window's writes silently read as 0.
 */
static int run_snapshot(struct session *r, unsigned i, struct rvmig_vcpu_stats *s, const char *when)
{
	for (int tries = 0; tries < 50; tries++) {
		if (stats_snapshot(&r->m.stats[i], s) == 0)
			return 0;
		usleep(1000);
	}
	warn_msg("vCPU %u: no consistent stats snapshot %s within 50 ms; its window figures are not reliable", i, when);
	return -EAGAIN;
}

static void run_window_mark(struct session *r, uint64_t *writes, uint64_t *t)
{
	*t = machine_now_ns();
	for (unsigned i = 0; i < r->opts.vcpus; i++) {
		struct rvmig_vcpu_stats s;

		if (writes && run_snapshot(r, i, &s, "at the start of the window") == 0)
			writes[i] = s.writes;
	}
}

/* The measured memslot update (session_dirty.c), then epoch 2: every page's next write is its first
 * under logging, timed by the guest. */
static int run_enable_dirty_log(struct session *r)
{
	if (session_dirty_log_on(r))
		return -1;
	__atomic_store_n(&r->m.ctl->epoch, 2, __ATOMIC_RELEASE);
	if (!r->opts.quiet)
		printf("[rvmig] epoch 2: each page's next write is timed as its first under logging\n");
	return 0;
}

/* The guest-facing sequence. 0 when every hart reported and the guest shut down. */
static int run_drive(struct session *r)
{
	uint64_t now;

	if (session_boot(r, 0))
		return -1;
	r->progress = true;
	if (r->opts.dirty_log) {
		/* Let the first pass map the whole slot (huge G-stage leaves) before logging starts; a
		 * rate-limited guest may take too long, then logging starts on a partly mapped slot. */
		if (session_until(r, session_all_slice_done, machine_now_ns() + RUN_FIRST_PASS_MAX_S * NS_PER_S, NULL))
			return -1;
		pthread_mutex_lock(&r->m.lock);
		bool done = session_all_slice_done(r);
		pthread_mutex_unlock(&r->m.lock);
		if (!done)
			warn_msg("not every hart finished its first pass over its slice within %d s: enabling dirty "
				 "logging on a partly mapped slot",
				 RUN_FIRST_PASS_MAX_S);
		if (run_enable_dirty_log(r))
			return -1;
	}
	run_window_mark(r, r->window_start_writes, &r->window_start_ns);
	now = machine_now_ns();
	if (session_until(r, NULL, now + r->opts.duration_ms * NS_PER_MS, NULL))
		return -1;
	run_window_mark(r, NULL, &r->window_end_ns);
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		run_snapshot(r, i, &r->res[i].stats, "at the end of the window");

	r->progress = false;
	return session_verify_and_exit(r, "the guest");
}

int run_main(int argc, char **argv)
{
	struct session *r = calloc(1, sizeof(*r));
	struct run_opts o;
	char err[512];
	int rc;

	if (!r)
		die_errno(ENOMEM, "allocating run state");
	rc = cli_exit_status(cli_parse_run(argc, argv, &o, err, sizeof(err)), "run", err, cli_run_help);
	if (rc >= 0) {
		free(r);
		return rc;
	}
	session_init(r, &o);
	session_setup(r, true);
	if (o.kernel) {
		rc = session_run_linux(r);
		machine_destroy(&r->m);
		free(r);
		return rc;
	}

	rc = run_drive(r);
	session_stop_and_join(r);
	if (r->dirty_enabled)
		session_count_dirty(r);
	session_collect(r);

	if (rc == 0 && r->m.shutdown_reason != 0)
		snprintf(r->m.fail_msg, sizeof(r->m.fail_msg),
			 "the guest shut down with SBI SRST reason %" PRIu64 " (system failure)", r->m.shutdown_reason);
	if (rc == 0)
		report_print(r);
	if (r->opts.json && report_json(r, r->opts.json))
		rc = -1;
	if (rc == 0 && r->m.shutdown_reason == 0 && r->all_verified)
		r->status = RVMIG_EXIT_OK;
	else
		r->status = RVMIG_EXIT_FAIL;
	if (r->m.failed || r->m.fail_msg[0])
		fprintf(stderr, "rvmig: %s\n", r->m.fail_msg);
	else if (!r->all_verified)
		fprintf(stderr, "rvmig: verification failed on at least one hart (see the verify column)\n");
	rc = r->status;
	machine_destroy(&r->m);
	free(r);
	return rc;
}
