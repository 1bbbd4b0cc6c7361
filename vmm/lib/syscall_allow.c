/* SPDX-License-Identifier: MIT */
/*
 * rvmig's allow list, one table. It covers what happens after setup (KVM_CREATE_VM, memory, vCPUs,
 * privileges dropped) in every command: run (bare-metal and --kernel), bench, migrate (--to local
 * and over sockets), recv (incl. --then-migrate-to, which connects and turns dirty logging on after
 * receiving), the --auth-key handshake, and the JSON/CSV written at the end. Everything else is
 * refused (core/syscall_filter.c says how).
 *
 * How it was derived: by tracing, not guessing. RVMIG_SECCOMP_TRACE=1 installs the same filter but
 * lets every call not listed here go through and prints its name once; every lab scenario and test
 * was run that way and what it printed was added below (tests/lab/test_seccomp.sh then runs the
 * commands with the real filter). Calls seen only in an error path are listed by reading the code.
 */
#include "lib/syscall_allow.h"

#include <sys/socket.h>

#define ALLOW(n)                                   \
	{                                          \
		.name = (n), .rule = SYSCALL_ALLOW \
	}
#define EPERM_(n)                                  \
	{                                          \
		.name = (n), .rule = SYSCALL_EPERM \
	}

const struct syscall_allow syscall_allow_list[] = {
	/* Files and pipes: stdout/stderr, the --json/CSV files written at the end, the module parameter
	 * and hugetlb counters read for the report (/sys), tracefs' trace_marker (bench --trace-marks),
	 * the KVM stats fd (bench: pread), fcntl/fstat from stdio and isatty. */
	ALLOW("read"),
	ALLOW("write"),
	ALLOW("readv"),
	ALLOW("writev"),
	ALLOW("pread64"),
	ALLOW("openat"),
	ALLOW("close"),
	ALLOW("lseek"),
	ALLOW("fstat"),
	ALLOW("newfstatat"),
	ALLOW("fcntl"),
	/* A unix socket's listener removes a stale socket file and its own when done (recv --listen unix:). */
	ALLOW("unlinkat"),

	/* KVM: KVM_RUN, dirty log GET/CLEAR, ONE_REG, memslot flags, stats fd, dirty ring; and the
	 * terminal (console_in: TCGETS/TCSETS through tcgetattr/tcsetattr, isatty). ioctl is not narrowed
	 * by request: the KVM fds are the point of the process. */
	ALLOW("ioctl"),
	/* Memory: malloc of stream buffers, hashes and bitmaps, the vCPU threads' stacks (mmap, the guard
	 * page's mprotect), the guest RAM and dirty rings unmapped at the end (munmap). The guest RAM and
	 * the rings themselves are mapped during setup, before the filter. */
	ALLOW("mmap"),
	ALLOW("munmap"),
	ALLOW("mremap"),
	ALLOW("mprotect"),
	ALLOW("madvise"),
	ALLOW("brk"),

	/* Threads: the vCPU threads (pthread_create: clone3, falling back to clone), their stacks' guard
	 * (mprotect above), the robust futex list and rseq registration of each new thread, the monitor's
	 * condition variable and mutexes (futex), a thread's end (exit). */
	ALLOW("clone3"),
	ALLOW("clone"),
	ALLOW("set_robust_list"),
	ALLOW("rseq"),
	ALLOW("futex"),
	ALLOW("sched_yield"),
	ALLOW("exit"),
	ALLOW("exit_group"),
	ALLOW("gettid"),
	ALLOW("getpid"),

	/* Signals: the vCPU kick (pthread_kill -> tgkill, SIGUSR1 makes KVM_RUN return), handlers and
	 * masks, and the terminal restore of a --kernel guest's console on SIGINT/SIGTERM/... (raise). */
	ALLOW("rt_sigaction"),
	ALLOW("rt_sigprocmask"),
	ALLOW("rt_sigreturn"),
	ALLOW("tgkill"),

	/* Time: the monitor's clock and timed waits, usleep, the stream's deadlines; the vDSO answers
	 * clock_gettime without a syscall only when the clocksource allows it. */
	ALLOW("clock_gettime"),
	ALLOW("clock_nanosleep"),
	ALLOW("nanosleep"),

	/* Waiting on fds: the stream's and the handshake's deadlines (poll -> ppoll on riscv64), the
	 * console's non-blocking stdin check (--kernel). */
	ALLOW("ppoll"),

	/* Sockets: recv accepts its sender after setup, the source and recv --then-migrate-to connect
	 * (retrying until --connect-timeout), the stream itself, TCP_NODELAY/SO_LINGER/timeouts.
	 * socket() only for the families a --listen/--to address can have. */
	{ .name = "socket", .rule = SYSCALL_ALLOW, .n_arg0 = 3, .arg0 = { AF_UNIX, AF_INET, AF_INET6 } },
	ALLOW("bind"),
	ALLOW("listen"),
	ALLOW("accept4"),
	ALLOW("connect"),
	ALLOW("setsockopt"),
	ALLOW("getsockopt"),
	ALLOW("getsockname"),
	ALLOW("getpeername"),
	ALLOW("sendto"),
	ALLOW("recvfrom"),
	ALLOW("sendmsg"),
	ALLOW("recvmsg"),
	ALLOW("shutdown"),

	/* --auth-key: libsodium's randombytes_buf (the handshake's nonces). */
	ALLOW("getrandom"),

	/* migrate --to local: the parent waits for its forked destination (waitpid). */
	ALLOW("wait4"),
};

const size_t syscall_allow_count = sizeof(syscall_allow_list) / sizeof(syscall_allow_list[0]);
