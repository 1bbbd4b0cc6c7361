/* SPDX-License-Identifier: MIT */
/*
 * The syscall allow list (vmm/lib/syscall_allow.c) checked on the host: every name is a riscv64
 * system call libseccomp knows (resolved for SCMP_ARCH_RISCV64, whatever the host is), no call is
 * listed twice, argument restrictions are well formed, and the calls a filter must never let through
 * (the selftest's socket(AF_PACKET), ptrace, execve, ...) are not on it.
 */
#include <seccomp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "lib/syscall_allow.h"

static const struct syscall_allow *find(const char *name)
{
	for (size_t i = 0; i < syscall_allow_count; i++)
		if (!strcmp(syscall_allow_list[i].name, name))
			return &syscall_allow_list[i];
	return NULL;
}

int main(void)
{
	static const char *const never[] = { "ptrace",     "execve",      "execveat",        "process_vm_writev",
					     "kexec_load", "init_module", "finit_module",    "mount",
					     "setuid",     "bpf",         "perf_event_open", "personality" };
	/* What the lab's tracing found every command needs (see the table's comments). */
	static const char *const needed[] = { "ioctl", "futex",     "clone3",  "rt_sigreturn", "exit_group", "openat",
					      "write", "getrandom", "accept4", "connect",      "ppoll" };
	size_t unresolved = 0, dups = 0, bad_args = 0;
	const struct syscall_allow *sock = find("socket");

	CHECK(syscall_allow_count > 20 && syscall_allow_count < 120, "the list has %zu entries (a short list)",
	      syscall_allow_count);
	for (size_t i = 0; i < syscall_allow_count; i++) {
		const struct syscall_allow *a = &syscall_allow_list[i];
		int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_RISCV64, a->name);

		if (nr == __NR_SCMP_ERROR || nr < 0) {
			printf("# %s: not a riscv64 system call for libseccomp\n", a->name);
			unresolved++;
		}
		for (size_t k = i + 1; k < syscall_allow_count; k++)
			if (!strcmp(a->name, syscall_allow_list[k].name) ||
			    (nr >= 0 &&
			     nr == seccomp_syscall_resolve_name_arch(SCMP_ARCH_RISCV64, syscall_allow_list[k].name))) {
				printf("# %s listed twice (as %s)\n", a->name, syscall_allow_list[k].name);
				dups++;
			}
		if (a->n_arg0 > SYSCALL_ALLOW_MAX_ARG0 || (a->rule != SYSCALL_ALLOW && a->rule != SYSCALL_EPERM))
			bad_args++;
	}
	CHECK(unresolved == 0, "every name resolves to a riscv64 syscall number (%zu did not)", unresolved);
	CHECK(dups == 0, "no syscall is listed twice (%zu were)", dups);
	CHECK(bad_args == 0, "every row's rule and argument count is valid (%zu were not)", bad_args);
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		CHECK(!find(never[i]), "%s is not allowed", never[i]);
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		CHECK(find(needed[i]) && find(needed[i])->rule == SYSCALL_ALLOW, "%s is allowed", needed[i]);
	CHECK(sock && sock->n_arg0 == 3, "socket() is allowed for 3 address families only");
	if (sock) {
		bool packet = false;

		for (unsigned k = 0; k < sock->n_arg0; k++)
			packet |= sock->arg0[k] == AF_PACKET;
		CHECK(!packet, "socket(AF_PACKET) (the selftest's call) is not among them");
	}
	CHECK_DONE();
}
