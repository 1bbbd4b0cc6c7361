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

#include "core/fdt_build.h"
#include "core/guest_loader.h"
#include "lib/err.h"

/* ---- setup ---------------------------------------------------------------------------------- */

static void session_read_eager_split(struct session *r)
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

static void session_setup_vcpus(struct session *r, bool boot)
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
		/* A Linux guest's entry is known once its Image is placed (session_setup_linux). */
		if (i > 0)
			vcpu_setup_secondary(&m->vcpus[i]);
		else if (!r->opts.kernel)
			vcpu_setup_boot(&m->vcpus[i], RVMIG_RAM_BASE + RVMIG_IMAGE_OFFSET,
					RVMIG_RAM_BASE + RVMIG_FDT_OFFSET);
	}
	if (!r->dbcn)
		warn_msg("this KVM has no SBI DBCN: guest console only through legacy putchar");
}

void session_hart_desc(struct session *r, struct fdt_desc *d)
{
	struct machine *m = &r->m;

	*d = (struct fdt_desc){
		.nr_cpus = r->opts.vcpus,
		.mem_base = RVMIG_RAM_BASE,
		.mem_size = r->opts.mem,
		.isa_base = "rv64i",
	};
	m->timebase_hz = vcpu_timebase(&m->vcpus[0]);
	if (!m->timebase_hz)
		die("cannot read the timebase frequency (KVM_GET_ONE_REG KVM_REG_RISCV_TIMER frequency) of vCPU 0");
	d->timebase_hz = m->timebase_hz;
	d->nr_isa_exts = vcpu_isa_exts(&m->vcpus[0], d->isa_exts, FDT_MAX_ISA_EXTS);
	d->mmu_type = vcpu_mmu_type(&m->vcpus[0]);
	if (fdt_isa_string(d->isa_exts, d->nr_isa_exts, r->isa, sizeof(r->isa)))
		die("riscv,isa string longer than %zu bytes", sizeof(r->isa));
	d->isa = r->isa;
}

static void session_setup_fdt(struct session *r)
{
	struct machine *m = &r->m;
	struct fdt_desc d;

	session_hart_desc(r, &d);
	d.ctl_gpa = RVMIG_RAM_BASE + RVMIG_CTL_OFFSET;
	d.stats_gpa = RVMIG_RAM_BASE + RVMIG_STATS_OFFSET;
	d.work_gpa = RVMIG_RAM_BASE + RVMIG_WORK_OFFSET;
	d.work_size = r->opts.mem - RVMIG_WORK_OFFSET;
	d.abi_version = RVMIG_ABI_VERSION;
	r->fdt_size = fdt_build(&d, (uint8_t *)m->mem.hva + RVMIG_FDT_OFFSET, RVMIG_FDT_MAX);
	if (r->fdt_size < 0)
		die("building the device tree (%llu bytes at most): libfdt error %d", (unsigned long long)RVMIG_FDT_MAX,
		    r->fdt_size);
}

static void session_setup_ctl(struct session *r)
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

void session_setup(struct session *r, bool boot)
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
	session_setup_vcpus(r, boot);
	session_read_eager_split(r);
	if (boot && r->opts.kernel) {
		session_setup_linux(r);
	} else if (boot) {
		session_setup_fdt(r);
		r->image_size = guest_load(r->opts.guest, &m->mem);
		session_setup_ctl(r);
	} else {
		/* Which guest comes is in the stream's header: recv calls session_attach_ctl for ours. */
		m->timebase_hz = vcpu_timebase(&m->vcpus[0]);
	}
	/* Last privileged step done: from here on only ioctls on fds we hold and our own memory. */
	privs_drop(&r->privs);
	/* And only the system calls the run loop and migration need (before any vCPU thread exists). */
	if (r->opts.no_seccomp)
		syscall_filter_skip(&r->filter);
	else
		syscall_filter_install(&r->filter);
}

void session_attach_ctl(struct session *r)
{
	struct machine *m = &r->m;

	/* The control block and stats arrive with the guest's RAM. */
	m->ctl = (volatile struct rvmig_ctl *)((uint8_t *)m->mem.hva + RVMIG_CTL_OFFSET);
	m->stats = (volatile struct rvmig_vcpu_stats *)((uint8_t *)m->mem.hva + RVMIG_STATS_OFFSET);
}

/* ---- monitor -------------------------------------------------------------------------------- */

void session_init(struct session *r, const struct run_opts *o)
{
	r->opts = *o;
	r->stuck_vcpu = -1;
	r->dirty_pages = -1;
	machine_init(&r->m);
	r->m.quiet = r->opts.quiet;
}

void session_stall_restart(struct session *r, unsigned i)
{
	r->last_change_ns[i] = machine_now_ns();
}

void session_set_cmd(struct session *r, uint32_t cmd)
{
	__atomic_store_n(&r->m.ctl->cmd, cmd, __ATOMIC_RELEASE);
	/* A new phase: give every hart a fresh stall allowance. */
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		session_stall_restart(r, i);
}

static void session_progress_line(struct session *r, const struct rvmig_vcpu_stats *s, const bool *ok, uint64_t now)
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
						i, (double)(s[i].writes - r->last_writes[i]) / dt, s[i].epoch,
						s[i].slice_done_ticks ? " done" : "");
	}
	printf("%s\n", buf);
	fflush(stdout);
}

/* Once a second: progress line and the stall watchdog. Called without the lock. */
static void session_tick(struct session *r, uint64_t now)
{
	struct machine *m = &r->m;
	struct rvmig_vcpu_stats s[RVMIG_MAX_VCPUS];
	bool ok[RVMIG_MAX_VCPUS];

	/* A Linux guest keeps no rvmig stats: nothing to show or to watch. */
	if (!m->stats)
		return;
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
			machine_fail(m,
				     "vCPU %u: guest stats unchanged for %" PRIu64 " s (hart stuck, looping or "
				     "faulting silently); stopping the VM",
				     i, (now - r->last_change_ns[i]) / NS_PER_S);
		}
	}
	if (r->progress && !m->quiet)
		session_progress_line(r, s, ok, now);
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (ok[i])
			r->last_writes[i] = s[i].writes;
	r->last_tick_ns = now;
}

static struct timespec session_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S) };
}

/*
 * Waits until pred (called under the lock) holds. deadline_ns 0 = none; at the deadline it fails
 * with timeout_msg and returns -ETIMEDOUT, or returns 0 when timeout_msg is NULL (a timed sleep).
 * -1 when the VM failed or shut down (unless pred accepts the shutdown).
 */
int session_until(struct session *r, session_pred pred, uint64_t deadline_ns, const char *timeout_msg)
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
			machine_fail(m,
				     "the guest shut down (SBI SRST type %u reason %" PRIu64 ") before it was asked to",
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
			session_tick(r, now);
			pthread_mutex_lock(&m->lock);
			continue;
		}
		wake = r->next_tick_ns;
		if (deadline_ns && deadline_ns < wake)
			wake = deadline_ns;
		ts = session_ts(wake);
		pthread_cond_timedwait(&m->cond, &m->lock, &ts);
	}
	pthread_mutex_unlock(&m->lock);
	return -1;
}

bool session_all_hello(struct session *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (!r->m.vcpus[i].hello)
			return false;
	return true;
}

bool session_all_running(struct session *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (!r->m.vcpus[i].running)
			return false;
	return true;
}

bool session_all_slice_done(struct session *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (r->m.vcpus[i].slice_done_epoch < 1)
			return false;
	return true;
}

bool session_all_reported(struct session *r)
{
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		if (!r->m.vcpus[i].reported)
			return false;
	return true;
}

bool session_shut_down(struct session *r)
{
	return r->m.shutdown;
}

uint64_t session_verify_budget_ns(const struct session *r)
{
	uint64_t pages = (r->opts.mem - RVMIG_WORK_OFFSET) / RVMIG_PAGE_SIZE / r->opts.vcpus;

	/*
	 * A backstop only: the guest publishes its stats every RVMIG_VERIFY_PUBLISH_PAGES pages of the pass,
	 * so the stall watchdog (SESSION_STALL_S without progress) catches a stuck hart long before this.
	 * The budget is generous (10 ms a page; TCG verifies in ~0.1-1 ms) because a slow pass on a loaded
	 * host is not a failure: a hop of the soak once lost its guest to a fixed 1 ms-a-page deadline.
	 */
	return (uint64_t)SESSION_STALL_S * NS_PER_S + pages * 10 * NS_PER_MS;
}

/* After a timeout: the registers of the first hart that did not answer say where it is stuck. */
void session_blame(struct session *r, bool reported_only)
{
	pthread_mutex_lock(&r->m.lock);
	for (unsigned i = 0; i < r->opts.vcpus && r->stuck_vcpu < 0; i++)
		if (reported_only ? !r->m.vcpus[i].reported : !r->m.vcpus[i].hello)
			r->stuck_vcpu = (int)i;
	pthread_mutex_unlock(&r->m.lock);
}

/* Stops the VM, joins every vCPU thread and dumps the registers of a hart the watchdog found stuck. */
void session_stop_and_join(struct session *r)
{
	machine_stop(&r->m);
	for (unsigned i = 0; i < r->m.nr_vcpus; i++)
		vcpu_join(&r->m.vcpus[i]);
	if (r->stuck_vcpu >= 0)
		vcpu_dump_regs(&r->m.vcpus[r->stuck_vcpu], stderr);
}

/* Starts the clock of the monitor (progress ticks, stall watchdog) now. */
void session_monitor_start(struct session *r)
{
	r->start_ns = machine_now_ns();
	r->next_tick_ns = r->start_ns + NS_PER_S;
	r->last_tick_ns = r->start_ns;
	r->stall_ns = (uint64_t)SESSION_STALL_S * NS_PER_S;
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		r->last_change_ns[i] = r->start_ns;
}

int session_boot(struct session *r, uint64_t stall_ns)
{
	char msg[256];
	int rc;

	session_monitor_start(r);
	if (stall_ns)
		r->stall_ns = stall_ns;
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		vcpu_start(&r->m.vcpus[i]);
	snprintf(msg, sizeof(msg),
		 "not every hart said HELLO within " SESSION_STR(
			 SESSION_HELLO_TIMEOUT_S) " s (wrong --guest "
						  "image %s? guest console above; secondaries start through SBI HSM)",
		 r->opts.guest);
	rc = session_until(r, session_all_hello, r->start_ns + SESSION_HELLO_TIMEOUT_S * NS_PER_S, msg);
	if (rc == -ETIMEDOUT)
		session_blame(r, false);
	if (rc)
		return -1;
	if (session_until(r, session_all_running, machine_now_ns() + SESSION_STALL_S * NS_PER_S,
			  "not every hart reported PHASE_RUNNING within " SESSION_STR(SESSION_STALL_S) " s of HELLO"))
		return -1;
	return 0;
}

int session_verify(struct session *r, const char *who)
{
	char msg[256];
	int rc;

	uint64_t budget = session_verify_budget_ns(r);

	/* Progress, not a fixed time, decides: the verify pass publishes its stats as it goes. */
	r->stall_ns = (uint64_t)SESSION_STALL_S * NS_PER_S;
	session_set_cmd(r, RVMIG_CMD_VERIFY);
	snprintf(msg, sizeof(msg), "not every hart of %s reported after VERIFY within %" PRIu64 " s", who,
		 budget / NS_PER_S);
	rc = session_until(r, session_all_reported, machine_now_ns() + budget, msg);
	if (rc == -ETIMEDOUT)
		session_blame(r, true);
	return rc ? -1 : 0;
}

void session_rerun(struct session *r)
{
	volatile struct rvmig_ctl *ctl = r->m.ctl;

	pthread_mutex_lock(&r->m.lock);
	for (unsigned i = 0; i < r->opts.vcpus; i++)
		r->m.vcpus[i].reported = false;
	pthread_mutex_unlock(&r->m.lock);
	r->stall_ns = (uint64_t)SESSION_STALL_S * NS_PER_S;
	__atomic_store_n(&ctl->epoch, ctl->epoch + 1, __ATOMIC_RELEASE);
	session_set_cmd(r, RVMIG_CMD_RUN);
}

int session_verify_and_exit(struct session *r, const char *who)
{
	char msg[256];

	if (session_verify(r, who))
		return -1;
	session_set_cmd(r, RVMIG_CMD_EXIT);
	snprintf(msg, sizeof(msg),
		 "%s did not shut down (SBI SRST) within " SESSION_STR(SESSION_EXIT_TIMEOUT_S) " s of cmd=EXIT", who);
	if (session_until(r, session_shut_down, machine_now_ns() + SESSION_EXIT_TIMEOUT_S * NS_PER_S, msg))
		return -1;
	return 0;
}

/* ---- results -------------------------------------------------------------------------------- */

void session_collect(struct session *r)
{
	uint64_t window = r->window_end_ns > r->window_start_ns ? r->window_end_ns - r->window_start_ns : 0;
	struct rvmig_hist all;

	r->all_verified = true;
	for (unsigned i = 0; i < r->opts.vcpus; i++) {
		struct session_vcpu_result *v = &r->res[i];
		uint64_t writes_at_end = v->stats.writes;

		v->have_stats = stats_snapshot(&r->m.stats[i], &v->stats) == 0;
		v->window_writes = r->window_end_ns && writes_at_end >= r->window_start_writes[i]
					   ? writes_at_end - r->window_start_writes[i]
					   : 0;
		v->writes_per_s = stats_rate(v->window_writes, window);
		stats_first_writes_all(&v->stats, &all);
		stats_latency(&all, r->m.timebase_hz, &v->lat);
		if (!v->have_stats || v->stats.verify_status != RVMIG_VERIFY_OK)
			r->all_verified = false;
	}
}

void session_json_begin(struct json *j, FILE *f, const char *tool, const struct run_opts *o)
{
	json_init(j, f);
	json_obj_begin(j, NULL);
	json_str(j, "tool", tool);
	json_str(j, "version", RVMIG_VERSION);
	json_obj_begin(j, "params");
	json_u64(j, "vcpus", o->vcpus);
	json_u64(j, "mem_bytes", o->mem);
	json_str(j, "backing", mem_backing_name(o->backing));
}

void session_json_privileges(struct json *j, const struct session *r)
{
	const struct privs *p = &r->privs;
	char *end;
	unsigned long long cap_eff = strtoull(p->cap_eff, &end, 16);

	json_obj_begin(j, "privileges");
	json_str(j, "CapEff", p->cap_eff);
	json_str(j, "CapPrm", p->cap_prm);
	json_str(j, "CapBnd", p->cap_bnd);
	json_str(j, "CapAmb", p->cap_amb);
	json_i64(j, "NoNewPrivs", p->no_new_privs);
	if (p->cap_eff[0] && !*end)
		json_u64(j, "cap_eff", cap_eff);
	else
		json_str(j, "cap_eff", NULL); /* /proc/self/status unreadable */
	json_bool(j, "no_new_privs", p->no_new_privs == 1);
	json_str(j, "seccomp", r->filter.trace ? "trace" : r->filter.on ? "filter" : "off");
	json_u64(j, "allowed_syscalls", r->filter.allowed_syscalls);
	json_obj_end(j);
}
