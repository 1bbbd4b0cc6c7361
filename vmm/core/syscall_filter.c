/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filter (syscall_filter.h), built with libseccomp from lib/syscall_allow.c's table.
 *
 * Default action: SCMP_ACT_TRAP, not KILL. A killed process dies with SIGSYS and no word about why;
 * a trap runs our SIGSYS handler, which names the refused call in one line, puts the terminal back
 * (a --kernel guest's console is in raw mode) and exits 1, as every other rvmig failure does.
 * Not ERRNO(EPERM) by default either: most of rvmig's calls are made where a failure is fatal or
 * silently degrades (a lost stats read, a missing warning), and an unexpected call means the list is
 * wrong, which one clear line reports best. Single calls whose callers cope with an error can be
 * listed as SYSCALL_EPERM in the table (none is today: see sysinfo in the table).
 *
 * The handler must be async-signal-safe: seccomp_syscall_resolve_num_arch allocates, so the names
 * of every syscall number are looked up once when the filter is installed, and the handler only
 * formats into a stack buffer and write()s it.
 */
#include "core/syscall_filter.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include "core/console_in.h"
#include "lib/err.h"
#include "lib/syscall_allow.h"

#if defined(__riscv) && __riscv_xlen == 64
#define SF_ARCH_NAME  "riscv64"
#define SF_AUDIT_ARCH AUDIT_ARCH_RISCV64
#else
#error "rvmig's syscall filter is written for riscv64 (the trace mode's syscall stub and register names)"
#endif

/* Above every riscv64 syscall number (462 in Linux 7.3): the names looked up in advance. */
#define SF_NAMES_MAX 1024

static const char *sf_names[SF_NAMES_MAX];
static volatile int sf_trace;
/*
 * RVMIG_SECCOMP_TRACE=all: no row of the table, only what a signal handler cannot make for its
 * thread (returning from itself, starting a thread on a new stack), so that every other call the
 * process makes is printed once: the list of what is really used, to compare the table with.
 */
static const char *const sf_trace_all_allowed[] = { "rt_sigreturn", "clone", "clone3" };
static uint64_t sf_traced[SF_NAMES_MAX / 64];

/*
 * The trace mode's own way into the kernel: an ecall at a known address, which the filter lets
 * through whatever the call (see sf_load_traced). a0..a5 are the arguments, a6 the number.
 */
long sf_raw_syscall(long a0, long a1, long a2, long a3, long a4, long a5, long nr);
extern const char sf_raw_syscall_ecall[];
__asm__(".pushsection .text\n"
	".globl sf_raw_syscall\n"
	".type sf_raw_syscall, @function\n"
	"sf_raw_syscall:\n"
	"	mv a7, a6\n"
	".globl sf_raw_syscall_ecall\n"
	"sf_raw_syscall_ecall:\n"
	"	ecall\n"
	"	ret\n"
	".size sf_raw_syscall, .-sf_raw_syscall\n"
	".popsection\n");

/* ---- the SIGSYS handler: async-signal-safe only ----------------------------------------------- */

static size_t sf_put(char *buf, size_t pos, size_t cap, const char *s)
{
	while (*s && pos + 1 < cap)
		buf[pos++] = *s++;
	return pos;
}

static size_t sf_put_num(char *buf, size_t pos, size_t cap, unsigned long v)
{
	char tmp[24];
	size_t n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(tmp));
	while (n && pos + 1 < cap)
		buf[pos++] = tmp[--n];
	return pos;
}

/* "NAME (NR on riscv64)" or, for a number we have no name for, how to find it. */
static size_t sf_put_call(char *buf, size_t pos, size_t cap, int nr, unsigned arch)
{
	const char *name = nr >= 0 && nr < SF_NAMES_MAX ? sf_names[nr] : NULL;

	if (arch != SF_AUDIT_ARCH) {
		pos = sf_put(buf, pos, cap, "system call ");
		pos = sf_put_num(buf, pos, cap, (unsigned long)nr);
		pos = sf_put(buf, pos, cap, " of audit arch 0x");
		for (int sh = 28; sh >= 0; sh -= 4)
			pos = sf_put(buf, pos, cap, (const char[]){ "0123456789abcdef"[(arch >> sh) & 15], 0 });
		return pos;
	}
	if (name) {
		pos = sf_put(buf, pos, cap, name);
		pos = sf_put(buf, pos, cap, " (");
		pos = sf_put_num(buf, pos, cap, (unsigned long)nr);
		return sf_put(buf, pos, cap, " on " SF_ARCH_NAME ")");
	}
	pos = sf_put(buf, pos, cap, "system call ");
	pos = sf_put_num(buf, pos, cap, (unsigned long)nr);
	pos = sf_put(buf, pos, cap, " on " SF_ARCH_NAME " (`scmp_sys_resolver -a " SF_ARCH_NAME " ");
	pos = sf_put_num(buf, pos, cap, (unsigned long)nr);
	return sf_put(buf, pos, cap, "` names it)");
}

static void sf_write_line(char *buf, size_t pos, size_t cap)
{
	if (pos + 1 >= cap)
		pos = cap - 2;
	buf[pos++] = '\n';
	/* Through the stub: in the trace mode "all" write() itself is not allowed. Nothing to do if
	 * stderr is gone; the exit status still says it. */
	sf_raw_syscall(STDERR_FILENO, (long)buf, (long)pos, 0, 0, 0, SYS_write);
}

/* Trace mode: print an unlisted call once, make it anyway and hand its result back. */
static void sf_trace_call(int nr, unsigned arch, ucontext_t *uc)
{
	unsigned long *g = uc->uc_mcontext.__gregs;
	char buf[256];
	size_t pos;

	if (nr < 0 || nr >= SF_NAMES_MAX ||
	    !(__atomic_fetch_or(&sf_traced[nr / 64], 1ULL << (nr % 64), __ATOMIC_RELAXED) & (1ULL << (nr % 64)))) {
		pos = sf_put(buf, 0, sizeof(buf), "rvmig: seccomp trace: ");
		pos = sf_put_call(buf, pos, sizeof(buf), nr, arch);
		pos = sf_put(buf, pos, sizeof(buf), " is not on the allow list (vmm/lib/syscall_allow.c)");
		sf_write_line(buf, pos, sizeof(buf));
	}
	/* The kernel left the arguments in a0..a5 and the pc after the ecall: a0 becomes the result. */
	g[REG_A0] = (unsigned long)sf_raw_syscall((long)g[REG_A0], (long)g[REG_A0 + 1], (long)g[REG_A0 + 2],
						  (long)g[REG_A0 + 3], (long)g[REG_A0 + 4], (long)g[REG_A0 + 5], nr);
}

static void sf_on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	char buf[320];
	size_t pos;

	(void)sig;
	if (sf_trace) {
		sf_trace_call(si->si_syscall, si->si_arch, ucv);
		return;
	}
	console_in_restore();
	pos = sf_put(buf, 0, sizeof(buf), "rvmig: seccomp refused ");
	pos = sf_put_call(buf, pos, sizeof(buf), si->si_syscall, si->si_arch);
	pos = sf_put(buf, pos, sizeof(buf),
		     ": not on rvmig's allow list (vmm/lib/syscall_allow.c); --no-seccomp runs without the filter");
	sf_write_line(buf, pos, sizeof(buf));
	_exit(RVMIG_EXIT_FAIL);
}

/* ---- building and loading --------------------------------------------------------------------- */

/* An environment switch: set, non-empty and not "0". */
static bool sf_env_on(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] && strcmp(v, "0");
}

static void sf_names_lookup(void)
{
	for (int nr = 0; nr < SF_NAMES_MAX; nr++)
		sf_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr); /* NULL: no such call */
}

static unsigned sf_add_rules(scmp_filter_ctx ctx, bool trace_all)
{
	unsigned allowed = 0;

	for (size_t i = 0; trace_all && i < sizeof(sf_trace_all_allowed) / sizeof(sf_trace_all_allowed[0]); i++) {
		int rc =
			seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(sf_trace_all_allowed[i]), 0);

		if (rc)
			die_errno(-rc, "seccomp_rule_add %s", sf_trace_all_allowed[i]);
		allowed++;
	}
	if (trace_all)
		return allowed;

	for (size_t i = 0; i < syscall_allow_count; i++) {
		const struct syscall_allow *a = &syscall_allow_list[i];
		uint32_t action = a->rule == SYSCALL_EPERM ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW;
		int nr = seccomp_syscall_resolve_name(a->name), rc = 0;

		if (nr == __NR_SCMP_ERROR)
			die("seccomp: the allow list names \"%s\", which libseccomp does not know on " SF_ARCH_NAME,
			    a->name);
		if (!a->n_arg0)
			rc = seccomp_rule_add(ctx, action, nr, 0);
		for (unsigned k = 0; k < a->n_arg0 && !rc; k++) {
			/* Spelled out: libseccomp's SCMP_A0() leaves datum_b to -Wmissing-field-initializers. */
			const struct scmp_arg_cmp eq = {
				.arg = 0, .op = SCMP_CMP_EQ, .datum_a = a->arg0[k], .datum_b = 0
			};

			rc = seccomp_rule_add_array(ctx, action, nr, 1, &eq);
		}
		if (rc)
			die_errno(-rc, "seccomp_rule_add %s", a->name);
		if (a->rule == SYSCALL_ALLOW)
			allowed++;
	}
	return allowed;
}

/*
 * Trace mode: the same program, with a prefix that lets through any call made from
 * sf_raw_syscall's ecall (seccomp_data.instruction_pointer: the kernel has already moved the pc past
 * the ecall, either address is accepted). libseccomp's jumps are relative: a prefix leaves them right.
 */
static void sf_load_traced(scmp_filter_ctx ctx)
{
	uint64_t ecall = (uint64_t)(uintptr_t)sf_raw_syscall_ecall, after = ecall + 4;
	size_t len = 0, cap = 1 << 16;
	struct sock_filter *prog = malloc(cap);
	struct sock_fprog fprog;
	int rc;

	if (!prog)
		die_errno(ENOMEM, "allocating the seccomp trace program");
	if ((ecall >> 32) != (after >> 32))
		die("seccomp trace mode: the syscall stub straddles a 4G boundary (0x%llx)", (unsigned long long)ecall);
	const struct sock_filter prefix[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ecall, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)after, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JA | BPF_K, 3, 0, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ecall >> 32), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	size_t np = sizeof(prefix) / sizeof(prefix[0]);

	memcpy(prog, prefix, sizeof(prefix));
	len = cap - sizeof(prefix);
	rc = seccomp_export_bpf_mem(ctx, prog + np, &len);
	if (rc)
		die_errno(-rc, "seccomp_export_bpf_mem (trace mode)");
	fprog = (struct sock_fprog){ .len = (unsigned short)(np + len / sizeof(*prog)), .filter = prog };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog))
		die_errno(errno, "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) with the trace prefix");
	free(prog);
}

/* RVMIG_SECCOMP_SELFTEST: one call the list does not allow, and what became of it. */
static void sf_selftest(const struct syscall_filter *f)
{
	int fd;

	if (!sf_env_on("RVMIG_SECCOMP_SELFTEST"))
		return;
	fprintf(stderr, "rvmig: seccomp selftest: calling socket(AF_PACKET, SOCK_RAW, 0), which the filter %s\n",
		f->on ? "must refuse" : "would refuse (it is off: --no-seccomp)");
	fflush(stderr);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd >= 0)
		close(fd);
	fprintf(stderr, "rvmig: seccomp selftest: socket(AF_PACKET) was not refused by a filter (it returned %s%s)\n",
		fd >= 0 ? "a socket" : "an error: ", fd >= 0 ? "" : strerror(errno));
}

void syscall_filter_install(struct syscall_filter *f)
{
	struct sigaction sa = { .sa_sigaction = sf_on_sigsys, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;
	int rc;

	*f = (struct syscall_filter){ .trace = sf_env_on("RVMIG_SECCOMP_TRACE") };
	sf_names_lookup();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		die_errno(errno, "sigaction SIGSYS (the seccomp filter's handler)");
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		die("seccomp_init failed (out of memory?)");
	/* Every thread, now and later (they inherit it): there should be none yet, but be sure. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)))
		die_errno(-rc, "seccomp_attr_set TSYNC");
	f->allowed_syscalls = sf_add_rules(ctx, f->trace && !strcmp(getenv("RVMIG_SECCOMP_TRACE"), "all"));
	sf_trace = f->trace;
	if (f->trace)
		sf_load_traced(ctx);
	else if ((rc = seccomp_load(ctx)))
		die_errno(-rc, "seccomp_load (is the kernel built with CONFIG_SECCOMP_FILTER?)");
	seccomp_release(ctx);
	f->on = true;
	if (f->trace)
		fprintf(stderr, "rvmig: seccomp trace mode (RVMIG_SECCOMP_TRACE): calls not on the list are made and "
				"printed once\n");
	sf_selftest(f);
}

void syscall_filter_skip(struct syscall_filter *f)
{
	*f = (struct syscall_filter){ 0 };
	sf_selftest(f);
}
