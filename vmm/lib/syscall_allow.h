/* SPDX-License-Identifier: MIT */
/*
 * The system calls rvmig may make once its setup is done (core/syscall_filter.c turns this table
 * into a seccomp filter). Names, not numbers: the table is checked on the host (an x86 build) against
 * libseccomp's riscv64 syscall table, and resolved for the running architecture when installed.
 */
#ifndef RVMIG_SYSCALL_ALLOW_H
#define RVMIG_SYSCALL_ALLOW_H

#include <stddef.h>
#include <stdint.h>

#define SYSCALL_ALLOW_MAX_ARG0 3

enum syscall_rule {
	SYSCALL_ALLOW, /* the call goes through                                                  */
	SYSCALL_EPERM, /* the call fails with EPERM: for calls whose caller copes with an error  */
};

struct syscall_allow {
	const char *name;
	enum syscall_rule rule;
	/* 0: any arguments. Otherwise the call is allowed only with its first argument one of these. */
	unsigned n_arg0;
	uint64_t arg0[SYSCALL_ALLOW_MAX_ARG0];
};

extern const struct syscall_allow syscall_allow_list[];
extern const size_t syscall_allow_count;

#endif
