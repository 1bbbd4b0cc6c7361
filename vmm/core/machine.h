/* SPDX-License-Identifier: MIT */
/*
 * One running VM: KVM objects, guest RAM, vCPUs, the guest contract (control block, stats) and the
 * state the vCPU threads report to the monitor (the main thread), all under one lock.
 */
#ifndef RVMIG_MACHINE_H
#define RVMIG_MACHINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/kvm.h"
#include "core/memory.h"
#include "core/vcpu.h"
#include "lib/wl_line.h"
#include "rvmig_abi.h"

struct machine {
	struct vm vm;
	struct mem mem;
	struct vcpu vcpus[RVMIG_MAX_VCPUS];
	unsigned nr_vcpus;
	bool quiet;                     /* no guest console on stdout                          */
	volatile struct rvmig_ctl *ctl; /* in guest RAM                                        */
	volatile struct rvmig_vcpu_stats *stats;
	uint64_t timebase_hz;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* broadcast on every event below and on vCPU events   */
	int stop;            /* atomic: vCPU threads leave their loop               */
	/* Under lock. */
	bool shutdown;            /* the guest asked for SRST                            */
	uint32_t shutdown_type;   /* KVM_SYSTEM_EVENT_*                                  */
	uint64_t shutdown_reason; /* SBI SRST reason: 0 = no reason (success)            */
	bool failed;
	char fail_msg[384];
	/* Dirty ring (rvmig migrate --dirty ring): a vCPU in KVM_EXIT_DIRTY_RING_FULL sets ring_full and
	 * waits until ring_harvests moves (the migration loop harvested and reset the rings). */
	bool ring_full;
	uint64_t ring_harvests;
	/* A Linux guest's workload as its console lines told it (sbi.c parses them). */
	struct wl_status wl;
};

void machine_init(struct machine *m);
void machine_destroy(struct machine *m);
/* Records the first failure (later ones are usually consequences), stops the VM. */
void machine_fail(struct machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets stop and kicks every vCPU thread out of KVM_RUN. */
void machine_stop(struct machine *m);
bool machine_stopping(struct machine *m);
/* CLOCK_MONOTONIC in ns. */
uint64_t machine_now_ns(void);

/* Pause every started vCPU outside KVM_RUN, waiting up to timeout_ms. 0 or -ETIMEDOUT/-ESHUTDOWN. */
int machine_pause(struct machine *m, unsigned timeout_ms);
void machine_resume(struct machine *m);

#endif
