/* SPDX-License-Identifier: MIT */
/*
 * rvmig run. The main thread sets the machine up, drops privileges, starts the vCPU threads and then
 * acts as the monitor: it drives the guest through the control block (RUN -> VERIFY -> EXIT), waits
 * for the harts' SBI messages, prints progress and stops the VM when a hart stalls.
 */
#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "core/fdt_build.h"
#include "core/guest_loader.h"

/* ---- setup ---------------------------------------------------------------------------------- */

static void run_read_eager_split(struct run *r)
{
	FILE *f = fopen("/sys/module/kvm/parameters/eager_page_split", "re");

	r->eager_split[0] = 0;
	if (!f)
		return;
	if (!fgets(r->eager_split, sizeof(r->eager_split), f))
		r->eager_split[0] = 0;
	r->eager_split[strcspn(r->eager_split, "\n")] = 0;
	fclose(f);
}

static void run_setup_vcpus(struct run *r, bool boot)
{
	struct machine *m = &r->m;

	vcpu_signal_setup();
	for (unsigned i = 0; i < r->opts.vcpus; i++) {
		vcpu_create(m, &m->vcpus[i], i);
		m->nr_vcpus = i + 1;
		if (r->hook_vcpu && r->hook_vcpu(r, &m->vcpus[i]))
			die("setting up vCPU %u for migration failed (message above)", i);
		if (vcpu_enable_dbcn(&m->vcpus[i]))
			r->dbcn = true;
		/* A migration destination gets every register and the MP state from the stream. */
		if (!boot)
			continue;
		if (i == 0)
			vcpu_setup_boot(&m->vcpus[i], RVMIG_RAM_BASE + RVMIG_IMAGE_OFFSET,
					RVMIG_RAM_BASE + RVMIG_FDT_OFFSET);
		else
			vcpu_setup_secondary(&m->vcpus[i]);
	}
	if (!r->dbcn)
		warn_msg("this KVM has no SBI DBCN: guest console only through legacy putchar");
}

static void run_setup_fdt(struct run *r)
{
	struct machine *m = &r->m;
	struct fdt_desc d = {
		.nr_cpus = r->opts.vcpus,
		.mem_base = RVMIG_RAM_BASE,
		.mem_size = r->opts.mem,
		.isa_base = "rv64i",
		.ctl_gpa = RVMIG_RAM_BASE + RVMIG_CTL_OFFSET,
		.stats_gpa = RVMIG_RAM_BASE + RVMIG_STATS_OFFSET,
		.work_gpa = RVMIG_RAM_BASE + RVMIG_WORK_OFFSET,
		.work_size = r->opts.mem - RVMIG_WORK_OFFSET,
		.abi_version = RVMIG_ABI_VERSION,
	};

	m->timebase_hz = vcpu_timebase(&m->vcpus[0]);
	if (!m->timebase_hz)
		die("cannot read the timebase frequency (KVM_GET_ONE_REG KVM_REG_RISCV_TIMER frequency) of vCPU 0");
	d.timebase_hz = m->timebase_hz;
	d.nr_isa_exts = vcpu_isa_exts(&m->vcpus[0], d.isa_exts, FDT_MAX_ISA_EXTS);
	d.mmu_type = vcpu_mmu_type(&m->vcpus[0]);
	if (fdt_isa_string(d.isa_exts, d.nr_isa_exts, r->isa, sizeof(r->isa)))
		die("riscv,isa string longer than %zu bytes", sizeof(r->isa));
	d.isa = r->isa;
	r->fdt_size = fdt_build(&d, (uint8_t *)m->mem.hva + RVMIG_FDT_OFFSET, RVMIG_FDT_MAX);
	if (r->fdt_size < 0)
		die("building the device tree (%llu bytes at most): libfdt error %d",
		    (unsigned long long)RVMIG_FDT_MAX, r->fdt_size);
}

static void run_setup_ctl(struct run *r)
{
	struct machine *m = &r->m;
	struct rvmig_ctl *ctl = (struct rvmig_ctl *)((uint8_t *)m->mem.hva + RVMIG_CTL_OFFSET);

	memset((uint8_t *)m->mem.hva + RVMIG_STATS_OFFSET, 0, sizeof(struct rvmig_vcpu_stats) * RVMIG_MAX_VCPUS);
	memset(ctl, 0, sizeof(*ctl));
	ctl->abi_version = RVMIG_ABI_VERSION;
	ctl->nr_vcpus = r->opts.vcpus;
	ctl->cmd = RVMIG_CMD_RUN;
	ctl->pattern = r->opts.pattern;
	ctl->write_pct = r->opts.write_pct;
	ctl->hot_pct = r->opts.hot_pct;
	ctl->rate_limit = r->opts.rate;
	ctl->seed = r->opts.seed;
	ctl->epoch = 1;
	/* Magic last: a guest that sees it sees the rest (no vCPU runs yet anyway). */
	__atomic_store_n(&ctl->magic, RVMIG_CTL_MAGIC, __ATOMIC_RELEASE);
	m->ctl = ctl;
	m->stats = (volatile struct rvmig_vcpu_stats *)((uint8_t *)m->mem.hva + RVMIG_STATS_OFFSET);
}

void run_setup(struct run *r, bool boot)
{
	struct machine *m = &r->m;

	vm_open(&m->vm);
	/* Between KVM_CREATE_VM and the first vCPU: where the dirty ring must be enabled. */
	if (r->hook_vm && r->hook_vm(r))
		die("setting up the VM for migration failed (message above)");
	if ((int)r->opts.vcpus > m->vm.max_vcpus)
		die_status(RVMIG_EXIT_USAGE, "--vcpus %u: this KVM allows at most %d (KVM_CAP_MAX_VCPUS)",
			   r->opts.vcpus, m->vm.max_vcpus);
	mem_alloc(&m->mem, r->opts.backing, r->opts.mem);
	vm_add_memslot(&m->vm, 0, RVMIG_RAM_BASE, r->opts.mem, m->mem.hva);
	run_setup_vcpus(r, boot);
	run_read_eager_split(r);
	if (boot) {
		run_setup_fdt(r);
		r->image_size = guest_load(r->opts.guest, &m->mem);
		run_setup_ctl(r);
	} else {
		/* The control block and stats arrive with the guest's RAM. */
		m->ctl = (volatile struct rvmig_ctl *)((uint8_t *)m->mem.hva + RVMIG_CTL_OFFSET);
		m->stats = (volatile struct rvmig_vcpu_stats *)((uint8_t *)m->mem.hva + RVMIG_STATS_OFFSET);
		m->timebase_hz = vcpu_timebase(&m->vcpus[0]);
	}
	/* Last privileged step done: from here on only ioctls on fds we hold and our own memory. */
	privs_drop(&r->privs);
}

/* ---- monitor -------------------------------------------------------------------------------- */

void run_set_cmd(struct run *r, uint32_t cmd)
{
	__atomic_store_n(&r->m.ctl->cmd, cmd, __ATOMIC_RELEASE);
	/* A new phase: give every hart a fresh stall allowance. */
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		r->last_change_ns[i] = machine_now_ns();
}

static void run_progress_line(struct run *r, const struct rvmig_vcpu_stats *s, const bool *ok, uint64_t now)
{
	char buf[1024];
	size_t pos;
	double dt = r->last_tick_ns ? (double)(now - r->last_tick_ns) / 1e9 : 0;

	pos = (size_t)snprintf(buf, sizeof(buf), "[rvmig] %5.1fs", (double)(now - r->start_ns) / 1e9);
	for (unsigned i = 0; i < r->opts.vcpus && pos < sizeof(buf); i++) {
		if (!ok[i] || dt <= 0)
			pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "  vcpu%u -", i);
		else
			pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "  vcpu%u %.0f writes/s e%" PRIu64 "%s",
						i, (double)(s[i].writes - r->last_writes[i]) / dt,
						s[i].epoch, s[i].slice_done_ticks ? " done" : "");
	}
	printf("%s\n", buf);
	fflush(stdout);
}

/* Once a second: progress line and the stall watchdog. Called without the lock. */
static void run_tick(struct run *r, uint64_t now)
{
	struct machine *m = &r->m;
	struct rvmig_vcpu_stats s[RVMIG_MAX_VCPUS];
	bool ok[RVMIG_MAX_VCPUS];

	for (unsigned i = 0; i < r->opts.vcpus; i++) {
		struct vcpu *v = &m->vcpus[i];
		bool watched;

		ok[i] = stats_snapshot(&m->stats[i], &s[i]) == 0;
		pthread_mutex_lock(&m->lock);
		watched = v->hello && !v->reported;
		pthread_mutex_unlock(&m->lock);
		if (ok[i] && s[i].seq != r->last_seq[i]) {
			r->last_seq[i] = s[i].seq;
			r->last_change_ns[i] = now;
		} else if (watched && now - r->last_change_ns[i] > r->stall_ns) {
			r->stuck_vcpu = (int)i;
			machine_fail(m, "vCPU %u: guest stats unchanged for %" PRIu64 " s (hart stuck, looping or "
				     "faulting silently); stopping the VM", i, (now - r->last_change_ns[i]) / NS_PER_S);
		}
	}
	if (r->progress && !m->quiet)
		run_progress_line(r, s, ok, now);
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (ok[i])
			r->last_writes[i] = s[i].writes;
	r->last_tick_ns = now;
}


static struct timespec run_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S) };
}

/*
 * Waits until pred (called under the lock) holds. deadline_ns 0 = none; at the deadline it fails
 * with timeout_msg and returns -ETIMEDOUT, or returns 0 when timeout_msg is NULL (a timed sleep).
 * -1 when the VM failed or shut down (unless pred accepts the shutdown).
 */
int run_until(struct run *r, run_pred pred, uint64_t deadline_ns, const char *timeout_msg)
{
	struct machine *m = &r->m;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		uint64_t now = machine_now_ns(), wake;
		struct timespec ts;

		if (m->failed)
			break;
		if (pred && pred(r)) {
			pthread_mutex_unlock(&m->lock);
			return 0;
		}
		if (m->shutdown) {
			pthread_mutex_unlock(&m->lock);
			machine_fail(m, "the guest shut down (SBI SRST type %u reason %" PRIu64 ") before it was asked to",
				     m->shutdown_type, m->shutdown_reason);
			return -1;
		}
		if (deadline_ns && now >= deadline_ns) {
			pthread_mutex_unlock(&m->lock);
			if (!timeout_msg)
				return 0;
			machine_fail(m, "%s", timeout_msg);
			return -ETIMEDOUT;
		}
		if (now >= r->next_tick_ns) {
			pthread_mutex_unlock(&m->lock);
			r->next_tick_ns += NS_PER_S;
			run_tick(r, now);
			pthread_mutex_lock(&m->lock);
			continue;
		}
		wake = r->next_tick_ns;
		if (deadline_ns && deadline_ns < wake)
			wake = deadline_ns;
		ts = run_ts(wake);
		pthread_cond_timedwait(&m->cond, &m->lock, &ts);
	}
	pthread_mutex_unlock(&m->lock);
	return -1;
}

bool run_all_hello(struct run *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (!r->m.vcpus[i].hello)
			return false;
	return true;
}

bool run_all_running(struct run *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (!r->m.vcpus[i].running)
			return false;
	return true;
}

bool run_all_slice_done(struct run *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (r->m.vcpus[i].slice_done_epoch < 1)
			return false;
	return true;
}

bool run_all_reported(struct run *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (!r->m.vcpus[i].reported)
			return false;
	return true;
}

bool run_shut_down(struct run *r)
{
	return r->m.shutdown;
}

/*
 * Stats of a running vCPU: stats_snapshot gives up after a short spin when the guest is mid-publish,
 * which lasts longer when its vCPU thread is descheduled right there: retry for up to ~50 ms, and
 * say so rather than let a window's writes silently read as 0.
 */
static int run_snapshot(struct run *r, unsigned i, struct rvmig_vcpu_stats *s, const char *when)
{
	for (int tries = 0; tries < 50; tries++) {
		if (stats_snapshot(&r->m.stats[i], s) == 0)
			return 0;
		usleep(1000);
	}
	warn_msg("vCPU %u: no consistent stats snapshot %s within 50 ms; its window figures are not reliable", i, when);
	return -EAGAIN;
}

static void run_window_mark(struct run *r, uint64_t *writes, uint64_t *t)
{
	*t = machine_now_ns();
	for (unsigned i = 0; i < r->opts.vcpus; i++) {
		struct rvmig_vcpu_stats s;

		if (writes && run_snapshot(r, i, &s, "at the start of the window") == 0)
			writes[i] = s.writes;
	}
}

/* The measured memslot update: where Linux 7.3 write-protects and (eagerly) splits the slot. */
static int run_enable_dirty_log(struct run *r)
{
	uint64_t t0 = machine_now_ns();
	int e = vm_set_slot_flags(&r->m.vm, 0, KVM_MEM_LOG_DIRTY_PAGES);
	uint64_t t1 = machine_now_ns();

	if (e < 0) {
		machine_fail(&r->m, "could not enable dirty logging on slot 0: %s", strerror(-e));
		return -1;
	}
	r->dirty_enabled = true;
	r->dirty_enable_ms = (double)(t1 - t0) / 1e6;
	/* Epoch 2: every page's next write is its first under logging, timed by the guest. */
	__atomic_store_n(&r->m.ctl->epoch, 2, __ATOMIC_RELEASE);
	if (!r->opts.quiet)
		printf("[rvmig] dirty logging on: KVM_SET_USER_MEMORY_REGION%s slot 0 flags LOG_DIRTY_PAGES took %.3f ms"
		       " (eager_page_split=%s); epoch 2\n", r->m.vm.has_mem2 ? "2" : "", r->dirty_enable_ms,
		       r->eager_split[0] ? r->eager_split : "n/a");
	return 0;
}

static void run_count_dirty(struct run *r)
{
	uint64_t pages = r->opts.mem / RVMIG_PAGE_SIZE, n = 0;
	uint64_t *bm = calloc((pages + 63) / 64, sizeof(uint64_t));

	r->dirty_pages = -1;
	if (!bm)
		return;
	if (vm_get_dirty_log(&r->m.vm, 0, bm) == 0) {
		for (uint64_t i = 0; i < (pages + 63) / 64; i++)
			n += (uint64_t)__builtin_popcountll(bm[i]);
		r->dirty_pages = (int64_t)n;
	}
	free(bm);
}

uint64_t run_verify_budget_ns(const struct run *r)
{
	uint64_t pages = (r->opts.mem - RVMIG_WORK_OFFSET) / RVMIG_PAGE_SIZE / r->opts.vcpus;

	/* The verify pass may not touch its stats until done: allow 1 ms per page on top (TCG is slow). */
	return (uint64_t)RUN_STALL_S * NS_PER_S + pages * NS_PER_MS;
}

/* After a timeout: the registers of the first hart that did not answer say where it is stuck. */
void run_blame(struct run *r, bool reported_only)
{
	pthread_mutex_lock(&r->m.lock);
	for (unsigned i = 0; i < r->opts.vcpus && r->stuck_vcpu < 0; i++)
		if (reported_only ? !r->m.vcpus[i].reported : !r->m.vcpus[i].hello)
			r->stuck_vcpu = (int)i;
	pthread_mutex_unlock(&r->m.lock);
}

/* Stops the VM, joins every vCPU thread and dumps the registers of a hart the watchdog found stuck. */
void run_stop_and_join(struct run *r)
{
	machine_stop(&r->m);
	for (unsigned i = 0; i < r->m.nr_vcpus; i++)
		vcpu_join(&r->m.vcpus[i]);
	if (r->stuck_vcpu >= 0)
		vcpu_dump_regs(&r->m.vcpus[r->stuck_vcpu], stderr);
}

/* Starts the clock of the monitor (progress ticks, stall watchdog) now. */
void run_monitor_start(struct run *r)
{
	r->start_ns = machine_now_ns();
	r->next_tick_ns = r->start_ns + NS_PER_S;
	r->last_tick_ns = r->start_ns;
	r->stall_ns = (uint64_t)RUN_STALL_S * NS_PER_S;
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		r->last_change_ns[i] = r->start_ns;
}

int run_boot(struct run *r, uint64_t stall_ns)
{
	char msg[256];
	int rc;

	run_monitor_start(r);
	if (stall_ns)
		r->stall_ns = stall_ns;
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		vcpu_start(&r->m.vcpus[i]);
	snprintf(msg, sizeof(msg), "not every hart said HELLO within " RUN_STR(RUN_HELLO_TIMEOUT_S) " s (wrong --guest "
		 "image %s? guest console above; secondaries start through SBI HSM)", r->opts.guest);
	rc = run_until(r, run_all_hello, r->start_ns + RUN_HELLO_TIMEOUT_S * NS_PER_S, msg);
	if (rc == -ETIMEDOUT)
		run_blame(r, false);
	if (rc)
		return -1;
	if (run_until(r, run_all_running, machine_now_ns() + RUN_STALL_S * NS_PER_S,
		      "not every hart reported PHASE_RUNNING within " RUN_STR(RUN_STALL_S) " s of HELLO"))
		return -1;
	return 0;
}

int run_verify_and_exit(struct run *r, const char *who)
{
	char msg[256];
	int rc;

	r->stall_ns = run_verify_budget_ns(r);
	run_set_cmd(r, RVMIG_CMD_VERIFY);
	snprintf(msg, sizeof(msg), "not every hart of %s reported after VERIFY within %" PRIu64 " s", who,
		 r->stall_ns / NS_PER_S);
	rc = run_until(r, run_all_reported, machine_now_ns() + r->stall_ns, msg);
	if (rc == -ETIMEDOUT)
		run_blame(r, true);
	if (rc)
		return -1;
	run_set_cmd(r, RVMIG_CMD_EXIT);
	snprintf(msg, sizeof(msg), "%s did not shut down (SBI SRST) within " RUN_STR(RUN_EXIT_TIMEOUT_S)
		 " s of cmd=EXIT", who);
	if (run_until(r, run_shut_down, machine_now_ns() + RUN_EXIT_TIMEOUT_S * NS_PER_S, msg))
		return -1;
	return 0;
}

/* The guest-facing sequence. 0 when every hart reported and the guest shut down. */
static int run_drive(struct run *r)
{
	uint64_t now;

	if (run_boot(r, 0))
		return -1;
	r->progress = true;
	if (r->opts.dirty_log) {
		/* Let the first pass map the whole slot (huge G-stage leaves) before logging starts; a
		 * rate-limited guest may take too long, then logging starts on a partly mapped slot. */
		if (run_until(r, run_all_slice_done, machine_now_ns() + RUN_FIRST_PASS_MAX_S * NS_PER_S, NULL))
			return -1;
		pthread_mutex_lock(&r->m.lock);
		bool done = run_all_slice_done(r);
		pthread_mutex_unlock(&r->m.lock);
		if (!done)
			warn_msg("not every hart finished its first pass over its slice within %d s: enabling dirty "
				 "logging on a partly mapped slot", RUN_FIRST_PASS_MAX_S);
		if (run_enable_dirty_log(r))
			return -1;
	}
	run_window_mark(r, r->window_start_writes, &r->window_start_ns);
	now = machine_now_ns();
	if (run_until(r, NULL, now + r->opts.duration_ms * NS_PER_MS, NULL))
		return -1;
	run_window_mark(r, NULL, &r->window_end_ns);
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		run_snapshot(r, i, &r->res[i].stats, "at the end of the window");

	r->progress = false;
	return run_verify_and_exit(r, "the guest");
}

/* ---- results -------------------------------------------------------------------------------- */

void run_collect(struct run *r)
{
	uint64_t window = r->window_end_ns > r->window_start_ns ? r->window_end_ns - r->window_start_ns : 0;

	r->all_verified = true;
	for (unsigned i = 0; i < r->opts.vcpus; i++) {
		struct run_vcpu_result *v = &r->res[i];
		uint64_t writes_at_end = v->stats.writes;

		v->have_stats = stats_snapshot(&r->m.stats[i], &v->stats) == 0;
		v->window_writes = r->window_end_ns && writes_at_end >= r->window_start_writes[i]
					   ? writes_at_end - r->window_start_writes[i] : 0;
		v->writes_per_s = stats_rate(v->window_writes, window);
		stats_latency(&v->stats, r->m.timebase_hz, &v->lat);
		if (!v->have_stats || v->stats.verify_status != RVMIG_VERIFY_OK)
			r->all_verified = false;
	}
}

int run_main(int argc, char **argv)
{
	struct run *r = calloc(1, sizeof(*r));
	char err[512];
	int rc;

	if (!r)
		die_errno(ENOMEM, "allocating run state");
	switch (cli_parse_run(argc, argv, &r->opts, err, sizeof(err))) {
	case CLI_HELP:
		cli_run_help(stdout);
		free(r);
		return RVMIG_EXIT_OK;
	case CLI_USAGE:
		fprintf(stderr, "rvmig run: %s\n", err);
		free(r);
		return RVMIG_EXIT_USAGE;
	case CLI_OK:
		break;
	}
	r->stuck_vcpu = -1;
	r->dirty_pages = -1;
	machine_init(&r->m);
	r->m.quiet = r->opts.quiet;
	run_setup(r, true);

	rc = run_drive(r);
	run_stop_and_join(r);
	if (r->dirty_enabled)
		run_count_dirty(r);
	run_collect(r);

	if (rc == 0 && r->m.shutdown_reason != 0)
		snprintf(r->m.fail_msg, sizeof(r->m.fail_msg), "the guest shut down with SBI SRST reason %" PRIu64
			 " (system failure)", r->m.shutdown_reason);
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
