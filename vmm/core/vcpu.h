/* SPDX-License-Identifier: MIT */
/* vCPUs: fd, mmap'd kvm_run, ONE_REG access, the run thread and its exits, pause/resume. */
#ifndef RVMIG_VCPU_H
#define RVMIG_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct machine;
struct kvm_run;
struct kvm_reg_list;

#define VCPU_LINE_MAX 256

struct vcpu {
	struct machine *m;
	unsigned id; /* vCPU id = hart id                                          */
	int fd;
	struct kvm_run *run;
	int run_size;
	pthread_t thread; /* thread and thread_started: under m->lock                  */
	bool thread_started;
	/* Console bytes until a newline; only this vCPU's thread touches them. */
	char line[VCPU_LINE_MAX];
	unsigned line_len;
	bool line_shown; /* the line's start is on stdout already (shown while the guest waited for a key) */
	/* Pause protocol (m->lock): the migration loop sets pause_req, the thread parks, says paused. */
	bool pause_req, paused;
	/* Guest events, written under m->lock by the thread, read by the monitor. */
	bool hello, running, reported;
	uint64_t epoch_seen, slice_done_epoch;
};

/* Creates the vCPU and maps its kvm_run; exits on failure. */
void vcpu_create(struct machine *m, struct vcpu *v, unsigned id);
void vcpu_destroy(struct vcpu *v);

/* ONE_REG access and the register list: 0 or -errno, for use by the migration loop too. */
int vcpu_get_reg(struct vcpu *v, uint64_t id, uint64_t *val);
int vcpu_set_reg(struct vcpu *v, uint64_t id, uint64_t val);
/* *out is malloc'd, caller frees. */
int vcpu_get_reg_list(struct vcpu *v, struct kvm_reg_list **out);
int vcpu_set_mp_state(struct vcpu *v, uint32_t state);

/* Boot setup of vCPU 0 (pc, a0, a1) and of secondaries (stopped until SBI HSM hart_start). */
void vcpu_setup_boot(struct vcpu *v, uint64_t pc, uint64_t a1);
void vcpu_setup_secondary(struct vcpu *v);
/* Enables SBI DBCN so console writes exit to us; false when this KVM lacks it. */
bool vcpu_enable_dbcn(struct vcpu *v);

/* ISA extensions KVM enables for this vCPU (lower-case names, static strings). Returns count. */
unsigned vcpu_isa_exts(struct vcpu *v, const char **names, unsigned max);
/* KVM_REG_RISCV_TIMER frequency; 0 when unreadable. */
uint64_t vcpu_timebase(struct vcpu *v);
/* "riscv,sv39".. from the CONFIG satp_mode register, NULL when unknown. */
const char *vcpu_mmu_type(struct vcpu *v);

/* pc, ra, sp, gp, tp, a0-a7, sstatus, sepc, scause, stval, stvec when readable. */
void vcpu_dump_regs(struct vcpu *v, FILE *f);

void vcpu_start(struct vcpu *v);
void vcpu_join(struct vcpu *v);
/* Gets the thread out of KVM_RUN (immediate_exit + signal); it then looks at its flags. */
void vcpu_kick(struct vcpu *v);

/* Installs the no-op signal handler vcpu_kick relies on; once, before any vCPU thread. */
void vcpu_signal_setup(void);

#endif
