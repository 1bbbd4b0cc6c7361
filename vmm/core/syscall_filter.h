/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filter rvmig installs once its setup is done (after privileges are dropped, before the
 * vCPU threads start): only the system calls of lib/syscall_allow.c go through.
 */
#ifndef RVMIG_SYSCALL_FILTER_H
#define RVMIG_SYSCALL_FILTER_H

#include <stdbool.h>

struct syscall_filter {
	bool on;                   /* installed (false: --no-seccomp)                           */
	bool trace;                /* RVMIG_SECCOMP_TRACE: unlisted calls printed, not refused  */
	unsigned allowed_syscalls; /* distinct system calls the filter lets through (any args) */
};

/*
 * Installs the filter on every thread of the process (TSYNC), with a SIGSYS handler that prints one
 * line naming a refused call and exits 1. Environment, for debugging and tests:
 *   RVMIG_SECCOMP_TRACE=1     every call not on the list is made anyway and printed once
 *   RVMIG_SECCOMP_TRACE=all   the same with (almost) nothing on the list: every call used is printed
 *                             ("rvmig: seccomp trace: NAME (NR) is not on the allow list").
 *   RVMIG_SECCOMP_SELFTEST=1  right after installing, calls socket(AF_PACKET, SOCK_RAW, 0), which the
 *                             list does not allow, and says what happened (refused: the one line, exit 1).
 * Exits on failure (the filter is what the user asked for; running without it would be a surprise).
 */
void syscall_filter_install(struct syscall_filter *f);
/* --no-seccomp: records that the filter is off (the selftest, if asked, still runs and says so). */
void syscall_filter_skip(struct syscall_filter *f);

#endif
