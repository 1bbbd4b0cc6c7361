/* SPDX-License-Identifier: MIT */
/*
 * A Linux guest in the session (--kernel): the Image, initrd and device tree placed in guest RAM,
 * vCPU 0 pointed at the kernel, and the run until the guest shuts down. Linux speaks no rvmig
 * protocol: no HELLO, control block or stats; its console and SBI SRST are all the VMM sees. When the
 * initrd runs the rvmig workload (lab/linux-guest.sh), its console lines (include/rvmig_wl.h) are the
 * events the monitor waits on, and the VMM types its commands (verify, exit) into the console.
 */
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "core/console_in.h"
#include "core/fdt_build.h"
#include "lib/err.h"
#include "rvmig_wl.h"
#include "session.h"

/* SBI SRST reset reasons (SBI spec, System Reset extension). */
#define SBI_SRST_REASON_NONE 0

void session_setup_linux(struct session *r)
{
	struct machine *m = &r->m;
	struct linux_layout *l = &r->linux_at;
	struct fdt_desc d;
	struct fdt_linux_chosen c = { 0 };
	char err[768], args[1024];
	enum linux_load_result rc;
	void *fdt;

	rc = linux_load(r->opts.kernel, r->opts.initrd, m->mem.hva, RVMIG_RAM_BASE, r->opts.mem, l, err, sizeof(err));
	if (rc != LINUX_LOAD_OK)
		die_status((int)rc, "%s", err);
	session_hart_desc(r, &d);
	/* The workload's options ride on the command line (it reads rvmig.* from /proc/cmdline). */
	if ((size_t)snprintf(args, sizeof(args),
			     "%s rvmig.pattern=%s rvmig.write_pct=%u rvmig.hot_pct=%u rvmig.rate=%" PRIu64
			     " rvmig.seed=%" PRIu64,
			     r->opts.append ? r->opts.append : FDT_LINUX_DEFAULT_BOOTARGS,
			     cli_pattern_name(r->opts.pattern), r->opts.write_pct, r->opts.hot_pct, r->opts.rate,
			     r->opts.seed) >= sizeof(args))
		die_status(RVMIG_EXIT_USAGE, "--append: %zu bytes at most (with rvmig's workload options)",
			   sizeof(args) - 200);
	c.bootargs = args;
	c.initrd_start = l->initrd_gpa;
	c.initrd_end = l->initrd_gpa + l->initrd_size;
	fdt = mem_gpa_ptr(&m->mem, RVMIG_RAM_BASE, l->fdt_gpa, LINUX_FDT_MAX);
	r->fdt_size = fdt ? fdt_build_linux(&d, &c, fdt, LINUX_FDT_MAX) : -1;
	if (r->fdt_size < 0)
		die("building the Linux device tree (%llu bytes at most at 0x%llx): libfdt error %d",
		    (unsigned long long)LINUX_FDT_MAX, (unsigned long long)l->fdt_gpa, r->fdt_size);
	/* The boot protocol: a0 = hart id, a1 = device tree, pc = the Image's first byte; KVM's reset
	 * state has satp 0 (no translation) and interrupts off. Secondaries wait for SBI HSM hart_start. */
	vcpu_setup_boot(&m->vcpus[0], l->kernel_gpa, l->fdt_gpa);
	r->image_size = (size_t)(l->kernel_end - l->kernel_gpa);
	if (!r->opts.quiet) {
		printf("[rvmig] Linux: Image at 0x%" PRIx64 "-0x%" PRIx64 ", ", l->kernel_gpa, l->kernel_end);
		if (l->initrd_size)
			printf("initrd at 0x%" PRIx64 " (%" PRIu64 " bytes), ", l->initrd_gpa, l->initrd_size);
		printf("device tree at 0x%" PRIx64 " (%d bytes; %u harts, %s, timebase %" PRIu64 " Hz)\n", l->fdt_gpa,
		       r->fdt_size, r->opts.vcpus, r->isa, m->timebase_hz);
		printf("[rvmig] Linux: bootargs \"%s\"\n", c.bootargs);
	}
}

/* How the guest ended: the exit status, with one line saying why. */
static int session_linux_status(struct session *r, double secs)
{
	struct machine *m = &r->m;

	if (m->failed) {
		fprintf(stderr, "rvmig: %s\n", m->fail_msg);
		return RVMIG_EXIT_FAIL;
	}
	if (m->shutdown_type == KVM_SYSTEM_EVENT_SHUTDOWN && m->shutdown_reason == SBI_SRST_REASON_NONE) {
		if (!r->opts.quiet)
			printf("[rvmig] the guest powered off (SBI SRST shutdown) after %.3f s\n", secs);
		return RVMIG_EXIT_OK;
	}
	if (m->shutdown_type == KVM_SYSTEM_EVENT_RESET && m->shutdown_reason == SBI_SRST_REASON_NONE) {
		if (!r->opts.quiet)
			printf("[rvmig] the guest asked for a reboot (SBI SRST) after %.3f s; rvmig does not reboot "
			       "guests: exiting\n",
			       secs);
		return RVMIG_EXIT_OK;
	}
	fprintf(stderr,
		"rvmig: the guest shut down with SBI SRST reason %" PRIu64
		" (%s, KVM system event type %u) after %.3f s\n",
		m->shutdown_reason, m->shutdown_reason == 1 ? "system failure" : "not a success", m->shutdown_type,
		secs);
	return RVMIG_EXIT_FAIL;
}

/* ---- the workload: events in, commands out ----------------------------------------------------- */

static bool session_wl_ready_or_end(struct session *r)
{
	return r->m.wl.readies || r->m.wl.errors || r->m.shutdown;
}

static bool session_wl_answered(struct session *r)
{
	return r->m.wl.verifies >= r->wl_want || r->m.wl.errors || r->m.shutdown;
}

/* After a wait: the workload's error or an early shutdown as the failure. 0 when neither. */
static int session_wl_check(struct session *r, const char *who, const char *waiting)
{
	struct machine *m = &r->m;
	char msg[256] = "";

	pthread_mutex_lock(&m->lock);
	if (m->wl.errors)
		snprintf(msg, sizeof(msg), "the workload of %s failed %s: %s", who, waiting, m->wl.error);
	else if (m->shutdown)
		snprintf(msg, sizeof(msg), "%s shut down (SBI SRST type %u reason %" PRIu64 ") %s", who,
			 m->shutdown_type, m->shutdown_reason, waiting);
	pthread_mutex_unlock(&m->lock);
	if (!msg[0])
		return 0;
	machine_fail(m, "%s", msg);
	return -1;
}

void session_start_linux(struct session *r)
{
	session_monitor_start(r);
	r->linux_start_ns = machine_now_ns();
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		vcpu_start(&r->m.vcpus[i]);
}

int session_linux_await_ready(struct session *r, const char *who)
{
	char msg[256];

	snprintf(msg, sizeof(msg),
		 "no \"" RVMIG_WL_PREFIX "ready\" line from %s within " SESSION_STR(
			 LINUX_READY_TIMEOUT_S) " s of its start (an initrd without the rvmig workload? "
						"lab/linux-guest.sh builds one)",
		 who);
	if (session_until(r, session_wl_ready_or_end, r->linux_start_ns + LINUX_READY_TIMEOUT_S * NS_PER_S, msg))
		return -1;
	if (session_wl_check(r, who, "before it was ready"))
		return -1;
	r->linux_ready_ns = machine_now_ns();
	if (!r->opts.quiet)
		printf("[rvmig] Linux workload ready %.1f s after start (guest uptime %.1f s): %" PRIu64
		       " threads, %" PRIu64 " pages stamped\n",
		       (double)(r->linux_ready_ns - r->linux_start_ns) / 1e9, (double)r->m.wl.ready.boot_ms / 1e3,
		       r->m.wl.ready.threads, r->m.wl.ready.pages);
	return 0;
}

int session_linux_verify(struct session *r, const char *who, struct wl_event *out)
{
	struct machine *m = &r->m;
	char msg[256];
	int rc;

	pthread_mutex_lock(&m->lock);
	r->wl_want = m->wl.verifies + 1;
	pthread_mutex_unlock(&m->lock);
	if (console_in_inject(RVMIG_WL_CMD_VERIFY)) {
		machine_fail(m, "typing \"verify\" into the console of %s: its input is full", who);
		return -1;
	}
	snprintf(msg, sizeof(msg), "the workload of %s did not answer \"verify\" within %" PRIu64 " s", who,
		 session_verify_budget_ns(r) / NS_PER_S);
	rc = session_until(r, session_wl_answered, machine_now_ns() + session_verify_budget_ns(r), msg);
	if (rc || session_wl_check(r, who, "while verifying"))
		return -1;
	pthread_mutex_lock(&m->lock);
	*out = m->wl.verify;
	pthread_mutex_unlock(&m->lock);
	if (!r->opts.quiet)
		printf("[rvmig] workload verify on %s: %s, %" PRIu64 " stamped pages, %" PRIu64 " errors, %" PRIu64
		       " writes, largest clock step %.1f ms\n",
		       who, out->ok ? "ok" : "FAILED", out->pages, out->errors, out->writes,
		       (double)out->step_us / 1e3);
	if (!out->ok) {
		machine_fail(m, "the workload of %s found %" PRIu64 " of %" PRIu64 " stamped pages wrong", who,
			     out->errors, out->pages);
		return -1;
	}
	return 0;
}

int session_linux_poweroff(struct session *r, const char *who)
{
	struct machine *m = &r->m;
	char msg[256];

	if (console_in_inject(RVMIG_WL_CMD_EXIT)) {
		machine_fail(m, "typing \"exit\" into the console of %s: its input is full", who);
		return -1;
	}
	snprintf(msg, sizeof(msg),
		 "%s did not power off (SBI SRST) within " SESSION_STR(LINUX_EXIT_TIMEOUT_S) " s of \"exit\"", who);
	if (session_until(r, session_shut_down, machine_now_ns() + LINUX_EXIT_TIMEOUT_S * NS_PER_S, msg))
		return -1;
	pthread_mutex_lock(&m->lock);
	bool clean = m->wl.exits && !m->wl.errors && m->shutdown_type == KVM_SYSTEM_EVENT_SHUTDOWN &&
		     m->shutdown_reason == SBI_SRST_REASON_NONE;
	pthread_mutex_unlock(&m->lock);
	if (!clean) {
		machine_fail(m, "%s did not end cleanly: workload exit line %s, SBI SRST type %u reason %" PRIu64, who,
			     m->wl.exits ? "seen" : "missing", m->shutdown_type, m->shutdown_reason);
		return -1;
	}
	return 0;
}

/*
 * rvmig run --kernel with the workload: --duration of dirtying, verify, power off. With --dirty-log,
 * logging goes on at "ready" (every thread has stamped its pages once, so G-stage maps them, huge where
 * the backing allows) and the window ends with one harvest: the pages the workload dirtied meanwhile.
 */
static int session_linux_drive(struct session *r)
{
	if (session_linux_await_ready(r, "the guest"))
		return -1;
	if (r->opts.dirty_log && session_dirty_log_on(r))
		return -1;
	r->window_start_ns = machine_now_ns();
	if (session_until(r, NULL, r->window_start_ns + r->opts.duration_ms * NS_PER_MS, NULL))
		return -1;
	r->window_end_ns = machine_now_ns();
	if (r->opts.dirty_log) {
		session_count_dirty(r);
		if (!r->opts.quiet)
			printf("[rvmig] dirty log: %" PRId64 " pages dirtied in %.3f s\n", r->dirty_pages,
			       (double)(r->window_end_ns - r->window_start_ns) / 1e9);
	}
	if (session_linux_verify(r, "the guest", &r->wl_result))
		return -1;
	return session_linux_poweroff(r, "the guest");
}

int session_run_linux(struct session *r)
{
	uint64_t t0;
	int rc;

	console_in_open();
	session_start_linux(r);
	t0 = r->linux_start_ns;
	/* No deadline: an interactive guest runs as long as its user wants. A workload takes over. */
	session_until(r, session_wl_ready_or_end, 0, NULL);
	pthread_mutex_lock(&r->m.lock);
	r->linux_workload = r->m.wl.readies || r->m.wl.errors;
	pthread_mutex_unlock(&r->m.lock);
	if (r->linux_workload && !r->m.failed)
		session_linux_drive(r);
	else if (!r->m.failed)
		session_until(r, session_shut_down, 0, NULL);
	session_stop_and_join(r);
	console_in_restore();
	fflush(stdout);
	rc = session_linux_status(r, (double)(machine_now_ns() - t0) / 1e9);
	if (rc == RVMIG_EXIT_OK && r->linux_workload && !r->wl_result.ok)
		rc = RVMIG_EXIT_FAIL;
	if (r->opts.json && session_linux_json(r, r->opts.json, rc))
		rc = RVMIG_EXIT_FAIL;
	return rc;
}

int session_linux_json(struct session *r, const char *path, int status)
{
	const struct wl_status *w = &r->m.wl;
	FILE *f;
	struct json j;

	if (json_file_open(path, &f))
		return -1;
	session_json_begin(&j, f, "rvmig run", &r->opts);
	json_str(&j, "guest", "linux");
	json_str(&j, "kernel", r->opts.kernel);
	json_str(&j, "initrd", r->opts.initrd);
	json_u64(&j, "duration_ms", r->opts.duration_ms);
	json_obj_end(&j);
	json_bool(&j, "workload", r->linux_workload);
	if (w->readies) {
		json_double(&j, "start_to_ready_s", (double)(r->linux_ready_ns - r->linux_start_ns) / 1e9);
		json_double(&j, "guest_uptime_at_ready_s", (double)w->ready.boot_ms / 1e3);
		json_u64(&j, "threads", w->ready.threads);
		json_u64(&j, "pages", w->ready.pages);
	}
	if (r->opts.dirty_log) {
		double win_s = (double)(r->window_end_ns - r->window_start_ns) / 1e9;

		json_obj_begin(&j, "dirty_log");
		json_bool(&j, "enabled", r->dirty_enabled);
		json_str(&j, "eager_page_split", r->eager_split[0] ? r->eager_split : NULL);
		json_double(&j, "enable_ms", r->dirty_enabled ? r->dirty_enable_ms : -1);
		json_double(&j, "window_s", win_s);
		json_i64(&j, "pages_dirtied", r->dirty_pages);
		/* The bitmap's count over the window: distinct 4K pages, not the workload's writes. */
		json_double(&j, "dirty_pages_per_s",
			    r->dirty_pages >= 0 && win_s > 0 ? (double)r->dirty_pages / win_s : -1);
		json_obj_end(&j);
	}
	json_obj_begin(&j, "verify");
	json_u64(&j, "reports", w->verifies);
	json_bool(&j, "ok", w->verifies && r->wl_result.ok);
	json_u64(&j, "pages", r->wl_result.pages);
	json_u64(&j, "errors", r->wl_result.errors);
	json_u64(&j, "writes", r->wl_result.writes);
	json_double(&j, "max_clock_step_ms", (double)r->wl_result.step_us / 1e3);
	json_obj_end(&j);
	json_u64(&j, "shutdown_reason", r->m.shutdown_reason);
	json_bool(&j, "ok", status == RVMIG_EXIT_OK);
	json_str(&j, "error", r->m.failed ? r->m.fail_msg : NULL);
	json_obj_end(&j);
	json_finish(&j);
	return json_file_close(f, path);
}
