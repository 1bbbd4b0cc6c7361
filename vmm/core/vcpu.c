/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE 1 /* pthread_setname_np */
#include "core/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/machine.h"
#include "core/sbi.h"
#include "lib/err.h"

#include "core/one_reg.h"

#define VCPU_KICK_SIGNAL SIGUSR1

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* only there to make KVM_RUN return -EINTR */
}

void vcpu_signal_setup(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL))
		die_errno(errno, "sigaction SIGUSR1 (vCPU kick)");
}

void vcpu_create(struct machine *m, struct vcpu *v, unsigned id)
{
	int fd;
	void *run;

	memset(v, 0, sizeof(*v));
	v->m = m;
	v->id = id;
	v->fd = -1;
	fd = ioctl(m->vm.vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (fd < 0)
		die_errno(errno, "KVM_CREATE_VCPU id %u", id);
	v->fd = fd;
	v->run_size = m->vm.run_size;
	run = mmap(NULL, (size_t)v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED)
		die_errno(errno, "mmap kvm_run of vCPU %u (%d bytes)", id, v->run_size);
	v->run = run;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

int vcpu_get_reg(struct vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	return kvm_ioctl(v->fd, KVM_GET_ONE_REG, &r);
}

int vcpu_set_reg(struct vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	return kvm_ioctl(v->fd, KVM_SET_ONE_REG, &r);
}

int vcpu_get_reg_list(struct vcpu *v, struct kvm_reg_list **out)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	int r = kvm_ioctl(v->fd, KVM_GET_REG_LIST, &probe);

	/* The first call fails with E2BIG and tells how many there are. */
	if (r != -E2BIG)
		return r < 0 ? r : -EINVAL;
	list = calloc(1, sizeof(*list) + probe.n * sizeof(list->reg[0]));
	if (!list)
		return -ENOMEM;
	list->n = probe.n;
	r = kvm_ioctl(v->fd, KVM_GET_REG_LIST, list);
	if (r < 0) {
		free(list);
		return r;
	}
	*out = list;
	return 0;
}

int vcpu_set_mp_state(struct vcpu *v, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return kvm_ioctl(v->fd, KVM_SET_MP_STATE, &mp);
}

static void vcpu_set_reg_or_die(struct vcpu *v, uint64_t id, uint64_t val, const char *name)
{
	int r = vcpu_set_reg(v, id, val);

	if (r < 0)
		die_errno(r, "KVM_SET_ONE_REG vCPU %u %s (id 0x%llx) = 0x%llx", v->id, name, (unsigned long long)id,
			  (unsigned long long)val);
}

void vcpu_setup_boot(struct vcpu *v, uint64_t pc, uint64_t a1)
{
	vcpu_set_reg_or_die(v, VCPU_CORE(regs.pc), pc, "pc");
	vcpu_set_reg_or_die(v, VCPU_CORE(regs.a0), v->id, "a0");
	vcpu_set_reg_or_die(v, VCPU_CORE(regs.a1), a1, "a1");
}

void vcpu_setup_secondary(struct vcpu *v)
{
	/* KVM starts every vCPU runnable; the guest's SBI HSM hart_start (in KVM) wakes these. */
	int r = vcpu_set_mp_state(v, KVM_MP_STATE_STOPPED);

	if (r < 0)
		die_errno(r, "KVM_SET_MP_STATE vCPU %u KVM_MP_STATE_STOPPED", v->id);
}

bool vcpu_enable_dbcn(struct vcpu *v)
{
	int r = vcpu_set_reg(v, VCPU_SBI_EXT(KVM_RISCV_SBI_EXT_DBCN), 1);

	if (r == -ENOENT)
		return false;
	if (r < 0)
		die_errno(r, "KVM_SET_ONE_REG vCPU %u SBI_EXT DBCN = 1", v->id);
	return true;
}

void vcpu_dump_regs(struct vcpu *v, FILE *f)
{
	static const struct {
		const char *name;
		uint64_t id;
	} regs[] = {
		{ "pc", VCPU_CORE(regs.pc) }, { "ra", VCPU_CORE(regs.ra) },   { "sp", VCPU_CORE(regs.sp) },
		{ "gp", VCPU_CORE(regs.gp) }, { "tp", VCPU_CORE(regs.tp) },   { "s0", VCPU_CORE(regs.s0) },
		{ "a0", VCPU_CORE(regs.a0) }, { "a1", VCPU_CORE(regs.a1) },   { "a2", VCPU_CORE(regs.a2) },
		{ "a3", VCPU_CORE(regs.a3) }, { "a4", VCPU_CORE(regs.a4) },   { "a5", VCPU_CORE(regs.a5) },
		{ "a6", VCPU_CORE(regs.a6) }, { "a7", VCPU_CORE(regs.a7) },   { "sstatus", VCPU_CSR(sstatus) },
		{ "sepc", VCPU_CSR(sepc) },   { "scause", VCPU_CSR(scause) }, { "stval", VCPU_CSR(stval) },
		{ "stvec", VCPU_CSR(stvec) }, { "satp", VCPU_CSR(satp) },
	};
	char buf[1024];
	size_t pos = 0;

	pos += (size_t)snprintf(buf, sizeof(buf), "rvmig: vCPU %u registers:", v->id);
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]) && pos < sizeof(buf); i++) {
		uint64_t val;

		if (i % 4 == 0)
			pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "\n  ");
		if (pos >= sizeof(buf))
			break;
		if (vcpu_get_reg(v, regs[i].id, &val) == 0)
			pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, " %-7s 0x%016llx", regs[i].name,
						(unsigned long long)val);
		else
			pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, " %-7s %18s", regs[i].name, "?");
	}
	fprintf(f, "%s\n", buf);
}

static const char *const vcpu_exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "EXCEPTION",
	[KVM_EXIT_IO] = "IO",
	[KVM_EXIT_HYPERCALL] = "HYPERCALL",
	[KVM_EXIT_DEBUG] = "DEBUG",
	[KVM_EXIT_HLT] = "HLT",
	[KVM_EXIT_MMIO] = "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
	[KVM_EXIT_INTR] = "INTR",
	[KVM_EXIT_SET_TPR] = "SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
	[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
	[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	[KVM_EXIT_RISCV_SBI] = "RISCV_SBI",
	[KVM_EXIT_RISCV_CSR] = "RISCV_CSR",
	[KVM_EXIT_DIRTY_RING_FULL] = "DIRTY_RING_FULL",
	[KVM_EXIT_MEMORY_FAULT] = "MEMORY_FAULT",
};

static const char *vcpu_exit_name(uint32_t reason)
{
	if (reason < sizeof(vcpu_exit_names) / sizeof(vcpu_exit_names[0]) && vcpu_exit_names[reason])
		return vcpu_exit_names[reason];
	return "?";
}

static void vcpu_on_system_event(struct vcpu *v)
{
	struct machine *m = v->m;
	struct kvm_run *run = v->run;

	pthread_mutex_lock(&m->lock);
	if (!m->shutdown) {
		m->shutdown = true;
		m->shutdown_type = run->system_event.type;
		m->shutdown_reason = run->system_event.ndata ? run->system_event.data[0] : 0;
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	/* SRST stopped every vCPU in KVM; their threads sleep in KVM_RUN until kicked. */
	machine_stop(m);
}

static void vcpu_on_unexpected(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (run->exit_reason == KVM_EXIT_MMIO)
		machine_fail(v->m,
			     "vCPU %u: unexpected KVM_EXIT_MMIO %s at gpa 0x%llx len %u (the guest touched "
			     "memory outside its RAM; no devices are emulated)",
			     v->id, run->mmio.is_write ? "write" : "read", (unsigned long long)run->mmio.phys_addr,
			     run->mmio.len);
	else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		machine_fail(v->m, "vCPU %u: KVM_EXIT_FAIL_ENTRY hardware_entry_failure_reason 0x%llx", v->id,
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	else
		machine_fail(v->m, "vCPU %u: unexpected exit KVM_EXIT_%s (%u)", v->id, vcpu_exit_name(run->exit_reason),
			     run->exit_reason);
	vcpu_dump_regs(v, stderr);
}

/* Parks the thread while a pause is requested; returns false when the VM stops instead. */
static void vcpu_park(struct vcpu *v)
{
	struct machine *m = v->m;

	pthread_mutex_lock(&m->lock);
	v->paused = true;
	pthread_cond_broadcast(&m->cond);
	while (v->pause_req && !machine_stopping(m))
		pthread_cond_wait(&m->cond, &m->lock);
	v->paused = false;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/*
 * KVM_EXIT_DIRTY_RING_FULL: KVM will not run this vCPU again until its ring is harvested and reset.
 * Say so and wait for the migration loop's next harvest (or a pause/stop, which the loop handles).
 */
static void vcpu_on_ring_full(struct vcpu *v)
{
	struct machine *m = v->m;
	uint64_t seen;

	pthread_mutex_lock(&m->lock);
	seen = m->ring_harvests;
	__atomic_store_n(&m->ring_full, true, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&m->cond);
	while (m->ring_harvests == seen && !machine_stopping(m) && !__atomic_load_n(&v->pause_req, __ATOMIC_SEQ_CST))
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
}

static bool vcpu_pause_requested(struct vcpu *v)
{
	return __atomic_load_n(&v->pause_req, __ATOMIC_SEQ_CST);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_run *run = v->run;

	for (;;) {
		int r;

		if (machine_stopping(v->m))
			break;
		if (vcpu_pause_requested(v)) {
			vcpu_park(v);
			continue;
		}
		r = ioctl(v->fd, KVM_RUN, 0);
		if (r < 0) {
			int e = errno;

			if (e == EINTR || e == EAGAIN) {
				/* A kick: clear it before looking at the flags so none is lost. */
				__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			machine_fail(v->m, "KVM_RUN vCPU %u: %s", v->id, strerror(e));
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_RISCV_SBI:
			sbi_handle(v);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			vcpu_on_system_event(v);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_DIRTY_RING_FULL:
			vcpu_on_ring_full(v);
			break;
		default:
			vcpu_on_unexpected(v);
			break;
		}
	}
	sbi_console_flush(v);
	return NULL;
}

/*
 * thread and thread_started are under m->lock: vcpu_kick runs on vCPU threads too (machine_stop from
 * machine_fail or a guest SRST), and must never signal a thread that vcpu_join has joined.
 */
void vcpu_start(struct vcpu *v)
{
	pthread_t t;
	int r;

	pthread_mutex_lock(&v->m->lock);
	r = pthread_create(&t, NULL, vcpu_thread, v);
	if (!r) {
		v->thread = t;
		v->thread_started = true;
	}
	pthread_mutex_unlock(&v->m->lock);
	if (r)
		die_errno(r, "pthread_create for vCPU %u", v->id);
	/* Named as QEMU names its vCPU threads, so that traces (tracefs' comm), top and perf tell them
	 * from the main thread, which does the memslot and dirty-log ioctls. Cosmetic: a failure is
	 * reported and the run goes on. */
	char name[16];
	snprintf(name, sizeof(name), "rvmig-vcpu%u", v->id);
	r = pthread_setname_np(t, name);
	if (r)
		warn_msg("naming vCPU %u's thread %s (pthread_setname_np): %s", v->id, name, strerror(r));
}

void vcpu_join(struct vcpu *v)
{
	bool started;
	pthread_t t;

	/* Cleared before the join: a kick after this point does not signal the thread. */
	pthread_mutex_lock(&v->m->lock);
	started = v->thread_started;
	t = v->thread;
	v->thread_started = false;
	pthread_mutex_unlock(&v->m->lock);
	if (started)
		pthread_join(t, NULL);
}

/* Not with m->lock held. */
void vcpu_kick(struct vcpu *v)
{
	/* immediate_exit covers the window before the thread enters KVM_RUN; the signal the time in it. */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&v->m->lock);
	if (v->thread_started)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	pthread_mutex_unlock(&v->m->lock);
}
