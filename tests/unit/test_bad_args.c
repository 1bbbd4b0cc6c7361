/* SPDX-License-Identifier: MIT */
/*
 * Bad command lines, table-driven: every option of every command (run, migrate, recv, bench: the
 * tables in vmm/cmd/..._opts.c, parsed by vmm/lib/opt.c) with invalid values: negative, zero where it
 * is not allowed, overflow, unknown unit, garbage, a missing value, wrong combinations. Each row runs
 * in a forked child as the command's main does (parse, then cli_exit_status) under a time limit, and
 * must end with exit status 2 and exactly one line on stderr, "rvmig CMD: ...", that names what is
 * wrong and says what to do instead. Never a crash, a hang or status 0/1.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cmd/bench.h"
#include "cmd/migrate_opts.h"
#include "cmd/recv.h"
#include "cmd/run_opts.h"
#include "lib/err.h"

#define MAX_ARGS 8

struct bad_row {
	const char *cmd;
	const char *args[MAX_ARGS];
	const char *names; /* what the message must quote (the option or the value) */
};

/* A hint: the message says what to write, where to look, or which values exist. */
static const char *const hint_words[] = { "want",   "use ",   "write",   "see rvmig", "try ", "give ", "choose",
					  "needs ", "is for", "belongs", "leaves",    "maps", "alone" };

static const struct bad_row rows[] = {
	/* ---- run: the machine shape and workload (every command takes them) ---- */
	{ "run", { "--vcpus", "-1" }, "--vcpus" },
	{ "run", { "--vcpus", "0" }, "--vcpus" },
	{ "run", { "--vcpus", "17" }, "--vcpus" },
	{ "run", { "--vcpus", "99999999999999999999999" }, "--vcpus" },
	{ "run", { "--vcpus", "two" }, "--vcpus" },
	{ "run", { "--vcpus", "" }, "--vcpus" },
	{ "run", { "--vcpus" }, "--vcpus" },
	{ "run", { "--mem", "-1G" }, "--mem" },
	{ "run", { "--mem", "0" }, "--mem" },
	{ "run", { "--mem", "2M" }, "--mem" },
	{ "run", { "--mem", "5M" }, "--mem" },
	{ "run", { "--mem", "512G", "--backing", "anon" }, "--mem" },
	{ "run", { "--mem", "99999999999T" }, "--mem" },
	{ "run", { "--mem", "18446744073709551616" }, "--mem" },
	{ "run", { "--mem", "1Q" }, "--mem" },
	{ "run", { "--mem", "1.5G" }, "--mem" },
	{ "run", { "--mem", "lots" }, "--mem" },
	{ "run", { "--mem" }, "--mem" },
	{ "run", { "--mem", "1536M", "--backing", "hugetlb-1G" }, "--mem" },
	{ "run", { "--mem", "6148K" }, "--mem" },
	{ "run", { "--vcpus", "16", "--mem", "4M", "--backing", "hugetlb-2M", "--mem=2M" }, "--mem" },
	{ "run", { "--backing", "huge" }, "--backing" },
	{ "run", { "--backing", "" }, "--backing" },
	{ "run", { "--backing" }, "--backing" },
	{ "run", { "--pattern", "zigzag" }, "--pattern" },
	{ "run", { "--pattern" }, "--pattern" },
	{ "run", { "--write-pct", "-1" }, "--write-pct" },
	{ "run", { "--write-pct", "101" }, "--write-pct" },
	{ "run", { "--write-pct", "1e2" }, "--write-pct" },
	{ "run", { "--write-pct" }, "--write-pct" },
	{ "run", { "--hot-pct", "0" }, "--hot-pct" },
	{ "run", { "--hot-pct", "101" }, "--hot-pct" },
	{ "run", { "--hot-pct" }, "--hot-pct" },
	{ "run", { "--rate", "-5" }, "--rate" },
	{ "run", { "--rate", "18446744073709551616" }, "--rate" },
	{ "run", { "--rate", "fast" }, "--rate" },
	{ "run", { "--rate" }, "--rate" },
	{ "run", { "--duration", "0" }, "--duration" },
	{ "run", { "--duration", "-1s" }, "--duration" },
	{ "run", { "--duration", "25h" }, "--duration" },
	{ "run", { "--duration", "2h" }, "--duration" },
	{ "run", { "--duration", "1441m" }, "--duration" },
	{ "run", { "--duration", "nan" }, "--duration" },
	{ "run", { "--duration", "inf" }, "--duration" },
	{ "run", { "--duration", "1e400" }, "--duration" },
	{ "run", { "--duration", "0.1ms" }, "--duration" },
	{ "run", { "--duration" }, "--duration" },
	{ "run", { "--dirty-log=yes" }, "--dirty-log" },
	{ "run", { "--seed", "-1" }, "--seed" },
	{ "run", { "--seed", "18446744073709551616" }, "--seed" },
	{ "run", { "--seed", "0x" }, "--seed" },
	{ "run", { "--seed" }, "--seed" },
	{ "run", { "--json" }, "--json" },
	{ "run", { "--guest" }, "--guest" },
	/* ---- a Linux guest: which options go together ---- */
	{ "run", { "--kernel" }, "--kernel" },
	{ "run", { "--kernel", "" }, "--kernel" },
	{ "run", { "--initrd", "/tmp/initrd.cpio" }, "--initrd" },
	{ "run", { "--append", "console=hvc0" }, "--append" },
	{ "run", { "--initrd" }, "--initrd" },
	{ "run", { "--append" }, "--append" },
	{ "run", { "--kernel", "Image", "--guest", "guest.bin" }, "--guest" },
	{ "run", { "--guest", "guest.bin", "--kernel", "Image" }, "--guest" },
	{ "run", { "--kernel", "Image", "--initrd", "" }, "--initrd" },
	{ "migrate", { "--kernel" }, "--kernel" },
	{ "migrate", { "--kernel", "Image", "--guest", "guest.bin" }, "--guest" },
	{ "migrate", { "--kernel", "Image", "--initrd", "" }, "--initrd" },
	{ "migrate", { "--append", "console=hvc0" }, "--append" },
	{ "migrate", { "--initrd", "x.cpio" }, "--initrd" },
	{ "recv", { "--listen", "unix:/tmp/s", "--kernel", "Image" }, "--kernel" },
	{ "bench", { "--kernel", "Image" }, "--kernel" },
	{ "bench", { "--append", "quiet" }, "--append" },
	{ "run", { "--quiet=1" }, "--quiet" },
	{ "run", { "--no-seccomp=1" }, "--no-seccomp" },
	{ "migrate", { "--no-seccomp=off" }, "--no-seccomp" },
	{ "run", { "--frobnicate" }, "--frobnicate" },
	{ "run", { "--an-option-name-far-longer-than-any-in-the-tables=1" }, "--an-option" },
	{ "run", { "-v" }, "-v" },
	{ "run", { "--" }, "--" },
	{ "run", { "stray" }, "stray" },
	{ "run", { "--mem", "256M\n--vcpus 3" }, "--mem" },
	/* ---- migrate ---- */
	{ "migrate", { "--dirty", "none" }, "--dirty" },
	{ "migrate", { "--dirty", "" }, "--dirty" },
	{ "migrate", { "--dirty" }, "--dirty" },
	{ "migrate", { "--to", "ftp:host" }, "--to" },
	{ "migrate", { "--to", "tcp:host:0" }, "--to" },
	{ "migrate", { "--to", "tcp:host:65536" }, "--to" },
	{ "migrate", { "--to", "tcp:host:-1" }, "--to" },
	{ "migrate", { "--to", "tcp::4444" }, "--to" },
	{ "migrate", { "--to", "tcp:" }, "--to" },
	{ "migrate", { "--to", "unix:" }, "--to" },
	{ "migrate", { "--to" }, "--to" },
	{ "migrate", { "--clear-chunk", "100K" }, "--clear-chunk" },
	{ "migrate", { "--clear-chunk", "1000K" }, "--clear-chunk" },
	{ "migrate", { "--clear-chunk", "0" }, "--clear-chunk" },
	{ "migrate", { "--clear-chunk", "-2M" }, "--clear-chunk" },
	{ "migrate", { "--clear-chunk", "99999999999T" }, "--clear-chunk" },
	{ "migrate", { "--clear-chunk" }, "--clear-chunk" },
	{ "migrate", { "--downtime-limit", "0" }, "--downtime-limit" },
	{ "migrate", { "--downtime-limit", "-300ms" }, "--downtime-limit" },
	{ "migrate", { "--downtime-limit", "short" }, "--downtime-limit" },
	{ "migrate", { "--downtime-limit" }, "--downtime-limit" },
	{ "migrate", { "--max-rounds", "0" }, "--max-rounds" },
	{ "migrate", { "--max-rounds", "101" }, "--max-rounds" },
	{ "migrate", { "--max-rounds", "-1" }, "--max-rounds" },
	{ "migrate", { "--max-rounds" }, "--max-rounds" },
	{ "migrate", { "--stall-rounds", "0" }, "--stall-rounds" },
	{ "migrate", { "--stall-rounds", "101" }, "--stall-rounds" },
	{ "migrate", { "--stall-rounds" }, "--stall-rounds" },
	{ "migrate", { "--max-bandwidth", "0" }, "--max-bandwidth" },
	{ "migrate", { "--max-bandwidth", "1K" }, "--max-bandwidth" },
	{ "migrate", { "--max-bandwidth", "-1M" }, "--max-bandwidth" },
	{ "migrate", { "--max-bandwidth", "99999999999T" }, "--max-bandwidth" },
	{ "migrate", { "--max-bandwidth", "fast" }, "--max-bandwidth" },
	{ "migrate", { "--max-bandwidth" }, "--max-bandwidth" },
	{ "migrate", { "--ring-size", "0" }, "--ring-size" },
	{ "migrate", { "--ring-size", "63" }, "--ring-size" },
	{ "migrate", { "--ring-size", "100" }, "--ring-size" },
	{ "migrate", { "--ring-size", "131072" }, "--ring-size" },
	{ "migrate", { "--ring-size", "128" }, "--ring-size" },
	{ "migrate", { "--ring-size" }, "--ring-size" },
	{ "migrate", { "--post-run", "0" }, "--post-run" },
	{ "migrate", { "--post-run", "later" }, "--post-run" },
	{ "migrate", { "--post-run" }, "--post-run" },
	{ "migrate", { "--dirty-log" }, "--dirty-log" },
	{ "migrate", { "--listen", "tcp:4444" }, "--listen" },
	{ "migrate", { "--accept-timeout", "10s" }, "--accept-timeout" },
	{ "migrate", { "--vcpus", "0" }, "--vcpus" },
	{ "migrate", { "--mem", "5M" }, "--mem" },
	{ "migrate", { "--frobnicate" }, "--frobnicate" },
	{ "migrate", { "--to", "tcp:10.0.0.1:4444" }, "--auth-key" },
	{ "migrate", { "--to", "tcp:0.0.0.0:4444" }, "--auth-key" },
	{ "migrate", { "--auth-key", "/etc/hostname" }, "--auth-key" },
	{ "migrate", { "--to", "tcp:127.0.0.1:4444", "--auth-key", "/etc/passwd" }, "--auth-key" },
	{ "migrate", { "--to", "unix:/tmp/x", "--auth-key", "/nonexistent/key" }, "--auth-key" },
	{ "migrate", { "--to", "unix:/tmp/x", "--auth-key" }, "--auth-key" },
	{ "migrate", { "--link", "pipe" }, "--link" },
	{ "migrate", { "--pipeline", "yes" }, "--pipeline" },
	{ "migrate", { "--pipeline" }, "--pipeline" },
	{ "recv", { "--listen", "tcp:1", "--pipeline", "1" }, "--pipeline" },
	{ "migrate", { "--link" }, "--link" },
	{ "migrate", { "--link", "" }, "--link" },
	{ "migrate", { "--to", "unix:/tmp/x", "--link", "shm" }, "--link" },
	{ "migrate", { "--to", "tcp:127.0.0.1:4444", "--link", "socket" }, "--link" },
	/* ---- recv ---- */
	{ "recv", { "--vcpus", "1" }, "--listen" },
	{ "recv", { "--listen", "local" }, "--listen" },
	{ "recv", { "--listen", "tcp:" }, "--listen" },
	{ "recv", { "--listen", "tcp:0" }, "--listen" },
	{ "recv", { "--listen", "tcp:70000" }, "--listen" },
	{ "recv", { "--listen", "tcp:host:" }, "--listen" },
	{ "recv", { "--listen", "unix:" }, "--listen" },
	{ "recv", { "--listen", "http://x" }, "--listen" },
	{ "recv", { "--listen" }, "--listen" },
	{ "recv", { "--listen", "tcp:4444", "--accept-timeout", "-1" }, "--accept-timeout" },
	{ "recv", { "--listen", "tcp:4444", "--accept-timeout", "25h" }, "--accept-timeout" },
	{ "recv", { "--listen", "tcp:4444", "--accept-timeout", "soon" }, "--accept-timeout" },
	{ "recv", { "--listen", "tcp:4444", "--accept-timeout" }, "--accept-timeout" },
	{ "recv", { "--listen", "tcp:4444", "--post-run", "0" }, "--post-run" },
	{ "recv", { "--listen", "tcp:4444", "--post-run" }, "--post-run" },
	{ "recv", { "--listen", "tcp:4444", "--dirty", "ring" }, "--dirty" },
	{ "recv", { "--listen", "tcp:4444", "--to", "local" }, "--to" },
	{ "recv", { "--listen", "tcp:4444", "--migrate-after", "1s" }, "--migrate-after" },
	{ "recv", { "--listen", "tcp:4444", "--then-migrate-to", "local" }, "--then-migrate-to" },
	{ "recv", { "--listen", "tcp:4444", "--then-migrate-to", "tcp:" }, "--then-migrate-to" },
	{ "recv", { "--listen", "tcp:4444", "--then-migrate-to" }, "--then-migrate-to" },
	{ "recv", { "--listen", "tcp:4444", "--then-migrate-to", "tcp:10.0.0.1:1" }, "--auth-key" },
	{ "recv",
	  { "--listen", "tcp:4444", "--then-migrate-to", "unix:/x", "--migrate-after", "0" },
	  "--migrate-after" },
	{ "recv", { "--listen", "tcp:4444", "--then-migrate-to", "unix:/x", "--dirty", "often" }, "--dirty" },
	{ "recv", { "--listen", "tcp:4444", "--then-migrate-to", "unix:/x", "--max-rounds", "0" }, "--max-rounds" },
	{ "recv", { "--listen", "tcp:4444", "--then-migrate-to", "unix:/x", "--verify", "maybe" }, "--verify" },
	{ "recv",
	  { "--listen", "tcp:4444", "--then-migrate-to", "unix:/x", "--connect-timeout", "0" },
	  "--connect-timeout" },
	{ "migrate", { "--connect-timeout", "forever" }, "--connect-timeout" },
	{ "recv", { "--listen", "tcp:4444", "--max-rounds", "5" }, "--max-rounds" },
	{ "recv", { "--listen", "tcp:4444", "--mem", "0" }, "--mem" },
	{ "recv", { "--listen", "tcp:4444", "--frobnicate" }, "--frobnicate" },
	{ "recv", { "--listen", "tcp:0.0.0.0:4444" }, "--auth-key" },
	{ "recv", { "--listen", "tcp:192.168.1.2:4444" }, "--auth-key" },
	{ "recv", { "--listen", "tcp:4444", "--auth-key", "/etc/passwd" }, "--auth-key" },
	{ "recv", { "--listen", "tcp:4444", "--auth-key", "" }, "--auth-key" },
	{ "recv", { "--listen", "tcp:0.0.0.0:4444", "--auth-key", "/nonexistent/key" }, "--auth-key" },
	/* ---- bench ---- */
	{ "bench", { "--dirty", "log" }, "--dirty" },
	{ "bench", { "--dirty" }, "--dirty" },
	{ "bench", { "--passes", "0" }, "--passes" },
	{ "bench", { "--passes", "17" }, "--passes" },
	{ "bench", { "--passes", "-1" }, "--passes" },
	{ "bench", { "--passes" }, "--passes" },
	{ "bench", { "--clear-chunk", "100K" }, "--clear-chunk" },
	{ "bench", { "--clear-chunk", "0" }, "--clear-chunk" },
	{ "bench", { "--clear-chunk", "-2M" }, "--clear-chunk" },
	{ "bench", { "--clear-chunk", "whole" }, "--clear-chunk" },
	{ "bench", { "--clear-chunk" }, "--clear-chunk" },
	{ "bench", { "--ring-size", "63" }, "--ring-size" },
	{ "bench", { "--ring-size", "3000" }, "--ring-size" },
	{ "bench", { "--ring-size", "2097152" }, "--ring-size" },
	{ "bench", { "--ring-size" }, "--ring-size" },
	{ "bench", { "--clean-harvests", "17" }, "--clean-harvests" },
	{ "bench", { "--clean-harvests", "-1" }, "--clean-harvests" },
	{ "bench", { "--clean-harvests" }, "--clean-harvests" },
	{ "bench", { "--label" }, "--label" },
	{ "bench", { "--json" }, "--json" },
	{ "bench", { "--json-only=1" }, "--json-only" },
	{ "bench", { "--enable-running=1" }, "--enable-running" },
	{ "bench", { "--enable-running", "--enable-running=yes" }, "--enable-running" },
	{ "bench", { "--no-park=no" }, "--no-park" },
	{ "bench", { "--dirty-log" }, "--dirty-log" },
	{ "bench", { "--mem", "1Q" }, "--mem" },
	{ "bench", { "--frobnicate" }, "--frobnicate" },
};

/* The child: what each command's main does with its arguments (the VM is never reached). */
static int run_row(const struct bad_row *row)
{
	char *argv[MAX_ARGS + 2] = { (char *)row->cmd };
	char err[512] = "";
	int argc = 1;

	for (int i = 0; i < MAX_ARGS && row->args[i]; i++)
		argv[argc++] = (char *)row->args[i];
	if (!strcmp(row->cmd, "run")) {
		struct run_opts o;

		return cli_exit_status(cli_parse_run(argc, argv, &o, err, sizeof(err)), "run", err, cli_run_help);
	}
	if (!strcmp(row->cmd, "migrate")) {
		struct migrate_opts o;

		return cli_exit_status(cli_parse_migrate(argc, argv, &o, err, sizeof(err)), "migrate", err,
				       cli_migrate_help);
	}
	if (!strcmp(row->cmd, "recv")) {
		struct recv_opts o;

		return cli_exit_status(cli_parse_recv(argc, argv, &o, err, sizeof(err)), "recv", err, cli_recv_help);
	}
	struct bench_opts o;

	return cli_exit_status(bench_parse(argc, argv, &o, err, sizeof(err)), "bench", err, bench_help);
}

/* Forks the row with stderr on a pipe; its exit status (or -signal, or -1000 on a timeout). */
static int fork_row(const struct bad_row *row, char *out, size_t outlen)
{
	int fds[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return -2000;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		alarm(10); /* a hang ends as SIGALRM */
		status = run_row(row);
		_exit(status < 0 ? 100 : status); /* -1: the parser accepted the line */
	}
	close(fds[1]);
	while (got + 1 < outlen && (n = read(fds[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -2000;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static int has_hint(const char *msg)
{
	for (size_t i = 0; i < sizeof(hint_words) / sizeof(hint_words[0]); i++)
		if (strstr(msg, hint_words[i]))
			return 1;
	return 0;
}

static void describe(const struct bad_row *row, char *buf, size_t len)
{
	int n = snprintf(buf, len, "rvmig %s", row->cmd);

	for (int i = 0; i < MAX_ARGS && row->args[i] && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, " '%s'", row->args[i]);
}

int main(void)
{
	size_t nrows = sizeof(rows) / sizeof(rows[0]), bad = 0;

	for (size_t i = 0; i < nrows; i++) {
		const struct bad_row *row = &rows[i];
		char out[2048], what[256], prefix[32];
		int status = fork_row(row, out, sizeof(out));
		char *nl = strchr(out, '\n');
		int one_line = nl && nl[1] == '\0';

		describe(row, what, sizeof(what));
		for (char *p = what; *p; p++)
			*p = *p == '\n' ? '|' : *p;
		snprintf(prefix, sizeof(prefix), "rvmig %s: ", row->cmd);
		if (nl)
			*nl = '\0';
		bad += status != RVMIG_EXIT_USAGE || !one_line;
		CHECK(status == RVMIG_EXIT_USAGE && one_line && !strncmp(out, prefix, strlen(prefix)) &&
			      strstr(out, row->names) && has_hint(out),
		      "%s: exit %d, \"%s\"", what, status, out);
	}
	CHECK(bad == 0, "all %zu bad command lines: exit status 2 and one line", nrows);
	CHECK_DONE();
}
