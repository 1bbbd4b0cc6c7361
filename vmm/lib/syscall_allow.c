/* SPDX-License-Identifier: MIT */
/*
 * rvmig's allow list, one table. It covers what happens after setup (KVM_CREATE_VM, memory, vCPUs,
 * privileges dropped) in every command: run (bare-metal and --kernel), bench, migrate (--to local
 * and over sockets), recv (incl. --then-migrate-to, which connects and turns dirty logging on after
 * receiving), the --auth-key handshake, and the JSON written at the end. Everything else is refused
 * (core/syscall_filter.c says how).
 *
 * Derived by tracing, not guessing (tests/lab/seccomp_trace.sh, one lab boot, 16 runs: run on
 * hugetlb-2M with --dirty-log and on thp, a --kernel Linux guest, bench with --cancel and with a ring,
 * migrate --to local with each --dirty mode, a recv --then-migrate-to chain, tcp with --auth-key, a
 * refused connection, the selftest). With RVMIG_SECCOMP_TRACE=all the filter allowed only what a
 * signal handler cannot make for its thread, and every other call was made through the handler
 * and printed: 36 distinct calls (2026-12-02), all below. The few rows no run made say why they
 * are here all the same.
 */
#include "lib/syscall_allow.h"

#include <sys/socket.h>

#define ALLOW(n)                                   \
	{                                          \
		.name = (n), .rule = SYSCALL_ALLOW \
	}

const struct syscall_allow syscall_allow_list[] = {
	/* Files: stdout/stderr, the --json file written at the end, /sys and /proc counters read for the
	 * report (hugetlb pages free after, smaps), tracefs' trace_marker (bench --trace-marks), the KVM
	 * stats fd (bench: pread64), stdio's fstat (newfstatat). */
	ALLOW("read"),
	ALLOW("write"),
	ALLOW("pread64"),
	ALLOW("openat"),
	ALLOW("close"),
	ALLOW("newfstatat"),
	/* Not seen in a trace: glibc's fatal messages (malloc corruption, assert) go out with writev
	 * before abort(); refusing it would hide the real error behind a seccomp line. */
	ALLOW("writev"),
	/* A unix socket's listener removes a stale socket file and its own when done (recv --listen unix:). */
	ALLOW("unlinkat"),

	/* KVM: KVM_RUN, dirty log GET/CLEAR, ONE_REG, memslot flags, dirty ring reset; the terminal
	 * (console_in: TCGETS/TCSETS through isatty, tcgetattr/tcsetattr). ioctl is not narrowed by
	 * request: the KVM fds are the point of the process. */
	ALLOW("ioctl"),

	/* Memory: malloc/realloc/free of stream buffers, hashes, bitmaps (brk, mmap, mremap, munmap), the
	 * vCPU threads' stacks and guard pages (mmap, mprotect; glibc madvises a finished thread's stack
	 * away), the guest RAM and dirty rings unmapped at the end. The guest RAM and the rings
	 * themselves are mapped during setup, before the filter. */
	ALLOW("brk"),
	ALLOW("mmap"),
	ALLOW("mremap"),
	ALLOW("munmap"),
	ALLOW("mprotect"),
	ALLOW("madvise"),

	/* Threads: the vCPU threads (pthread_create: clone3, clone where the kernel has no clone3), each
	 * new thread's robust futex list, the monitor's mutexes and condition variable (futex), a
	 * thread's end (exit), the process's (exit_group). futex is also the shm link's wait and wake
	 * (migrate --link shm, mig/shm_link.c: shared, not private, futexes; its ring is mapped before
	 * the filter, and its liveness check is a ppoll, below). */
	ALLOW("clone3"),
	ALLOW("clone"),
	ALLOW("set_robust_list"),
	/* Not seen in a trace: glibc registers each new thread's rseq area when the kernel took the main
	 * thread's; on a host where it does, pthread_create would be refused without it. */
	ALLOW("rseq"),
	ALLOW("futex"),
	ALLOW("exit"),
	ALLOW("exit_group"),
	ALLOW("gettid"),
	ALLOW("getpid"),

	/* Signals: the vCPU kick (pthread_kill -> tgkill; SIGUSR1 makes KVM_RUN return), glibc's masks
	 * around thread creation, handlers and their return, raise() of the --kernel console's
	 * terminal restore on SIGINT/SIGTERM/... */
	ALLOW("rt_sigaction"),
	ALLOW("rt_sigprocmask"),
	ALLOW("rt_sigreturn"),
	ALLOW("tgkill"),

	/* Time: usleep/nanosleep (clock_nanosleep) between connection attempts, stats retries, the
	 * bandwidth limit. clock_gettime was not seen (the vDSO answers it) but is the fallback where the
	 * clocksource has no vDSO mode. */
	ALLOW("clock_nanosleep"),
	ALLOW("clock_gettime"),

	/* Waiting on fds: the stream's and the handshake's deadlines, accept's timeout (poll -> ppoll on
	 * riscv64), the --kernel console's non-blocking stdin check. */
	ALLOW("ppoll"),

	/* Sockets: recv accepts its sender after setup, the source and recv --then-migrate-to connect
	 * (retrying until --connect-timeout), TCP_NODELAY/SO_REUSEADDR, the stream (send -> sendto,
	 * recv -> recvfrom). socket() only for the families a --listen/--to address can have. */
	{ .name = "socket", .rule = SYSCALL_ALLOW, .n_arg0 = 3, .arg0 = { AF_UNIX, AF_INET, AF_INET6 } },
	ALLOW("bind"),
	ALLOW("listen"),
	ALLOW("accept4"),
	ALLOW("connect"),
	ALLOW("setsockopt"),
	ALLOW("getsockopt"), /* the socket buffer the kernel granted, for the result JSON */
	ALLOW("sendto"),
	ALLOW("recvfrom"),
	/* Stop-and-copy sends pages straight from guest RAM: a gather list through sendmsg
	 * (MSG_NOSIGNAL) on a socket, writev on anything else (lib/iov, mig/stream_io). */
	ALLOW("sendmsg"),
	/* The destination reads batch data straight into guest RAM: a gather list of its pages and the
	 * read-ahead buffer through readv (mig/stream_io, stream_reader_land). */
	ALLOW("readv"),
	/* The bench's stream probe: the zero-copy writer and a reader thread over a socketpair,
	 * shut down early on an error (mig/stream_probe). */
	ALLOW("socketpair"),
	ALLOW("shutdown"),

	/* --auth-key: libsodium's randombytes_buf (the handshake's nonces). */
	ALLOW("getrandom"),

	/* migrate --to local: the parent waits for its forked destination (waitpid). */
	ALLOW("wait4"),

	/*
	 * glibc's qsort (the destination sorts the vCPU registers it restores) asks sysconf(_SC_PHYS_PAGES)
	 * how much RAM there is. Allowed rather than ERRNO(EPERM): glibc's __get_phys_pages does not check
	 * sysinfo's result and would read an uninitialised struct; and it tells nothing worth hiding.
	 */
	ALLOW("sysinfo"),
};

const size_t syscall_allow_count = sizeof(syscall_allow_list) / sizeof(syscall_allow_list[0]);
