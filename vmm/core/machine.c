/* SPDX-License-Identifier: MIT */
#include "core/machine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/err.h"

void machine_init(struct machine *m)
{
	pthread_condattr_t ca;

	memset(m, 0, sizeof(*m));
	m->vm.kvm_fd = m->vm.vm_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	/* Monotonic waits: the monitor's deadlines must not move with the wall clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
}

/* Reverse order of setup: threads, vCPUs, VM, memory. */
void machine_destroy(struct machine *m)
{
	machine_stop(m);
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		vcpu_join(&m->vcpus[i]);
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		vcpu_destroy(&m->vcpus[i]);
	m->nr_vcpus = 0;
	vm_close(&m->vm);
	mem_free(&m->mem);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
}

uint64_t machine_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool machine_stopping(struct machine *m)
{
	return __atomic_load_n(&m->stop, __ATOMIC_SEQ_CST);
}

void machine_stop(struct machine *m)
{
	__atomic_store_n(&m->stop, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&m->lock);
	pthread_cond_broadcast(&m->cond); /* parked vCPUs and the monitor */
	pthread_mutex_unlock(&m->lock);
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		if (m->vcpus[i].run)
			vcpu_kick(&m->vcpus[i]);
}

void machine_fail(struct machine *m, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&m->lock);
	if (!m->failed) {
		m->failed = true;
		va_start(ap, fmt);
		vsnprintf(m->fail_msg, sizeof(m->fail_msg), fmt, ap);
		va_end(ap);
	}
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	machine_stop(m);
}

int machine_pause(struct machine *m, unsigned timeout_ms)
{
	uint64_t deadline = machine_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000ULL),
			       .tv_nsec = (long)(deadline % 1000000000ULL) };
	int r = 0;

	for (unsigned i = 0; i < m->nr_vcpus; i++) {
		__atomic_store_n(&m->vcpus[i].pause_req, true, __ATOMIC_SEQ_CST);
		vcpu_kick(&m->vcpus[i]);
	}
	pthread_mutex_lock(&m->lock);
	/* A vCPU waiting for a dirty-ring harvest sleeps on cond, not in KVM_RUN: wake it to park. */
	pthread_cond_broadcast(&m->cond);
	for (;;) {
		bool all = true;

		for (unsigned i = 0; i < m->nr_vcpus; i++)
			if (m->vcpus[i].thread_started && !m->vcpus[i].paused)
				all = false;
		if (all)
			break;
		if (machine_stopping(m)) {
			r = -ESHUTDOWN;
			break;
		}
		if (pthread_cond_timedwait(&m->cond, &m->lock, &ts) == ETIMEDOUT) {
			r = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (r)
		machine_resume(m);
	return r;
}

void machine_resume(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < m->nr_vcpus; i++)
		__atomic_store_n(&m->vcpus[i].pause_req, false, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}
