/* SPDX-License-Identifier: MIT */
/* The SBI calls KVM forwards to userspace: the guest's console and the rvmig extension. */
#ifndef RVMIG_SBI_H
#define RVMIG_SBI_H

struct vcpu;

/* Handles the KVM_EXIT_RISCV_SBI in v's kvm_run (console, rvmig messages, SRST). */
void sbi_handle(struct vcpu *v);
/* Flushes a partial console line (at exit). */
void sbi_console_flush(struct vcpu *v);

#endif
