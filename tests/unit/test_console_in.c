/* SPDX-License-Identifier: MIT */
/*
 * The guest's keyboard (vmm/core/console_in.c) on a pseudo-terminal: raw mode while rvmig runs, typed
 * bytes read without waiting, the terminal's settings back after exit() and after a fatal signal;
 * and no input, no change, when stdin is not a terminal; what the VMM types itself (the Linux
 * workload's commands) read first, in order, in pieces as small as the guest asks for, and refused
 * when it does not fit.
 */
#include <errno.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"
#include "core/console_in.h"

enum child_end { END_EXIT, END_SIGTERM };

/*
 * A child with the pty's slave as stdin opens the console, reports its state through a pipe, reads
 * what the parent typed, then ends as told. The parent checks the slave's termios after.
 */
static void run_child(int slave, int report, enum child_end end)
{
	char buf[16] = { 0 }, line[64];
	size_t n = 0;
	struct termios t;

	dup2(slave, STDIN_FILENO);
	console_in_open();
	tcgetattr(STDIN_FILENO, &t);
	snprintf(line, sizeof(line), "%d %d %d\n", console_in_interactive(), !(t.c_lflag & ICANON),
		 !(t.c_lflag & ECHO));
	if (write(report, line, strlen(line)) < 0)
		_exit(3);
	n = console_in_read(buf, sizeof(buf)); /* nothing typed yet: 0, at once */
	for (int i = 0; i < 200 && n == 0; i++) {
		usleep(10000);
		n = console_in_read(buf, sizeof(buf));
	}
	snprintf(line, sizeof(line), "%zu %.*s\n", n, (int)n, buf);
	if (write(report, line, strlen(line)) < 0)
		_exit(3);
	if (end == END_SIGTERM)
		raise(SIGTERM);
	exit(0);
}

static void test_pty(enum child_end end, const char *how)
{
	int master, slave, p[2], status;
	struct termios before, after;
	char rep[128] = { 0 };
	ssize_t got = 0, n;
	pid_t pid;

	if (openpty(&master, &slave, NULL, NULL, NULL) || pipe(p)) {
		CHECK(0, "%s: openpty/pipe", how);
		return;
	}
	tcgetattr(slave, &before);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		run_child(slave, p[1], end);
	}
	close(p[1]);
	usleep(100000);
	if (write(master, "ls\r", 3) != 3)
		CHECK(0, "%s: typing into the pty", how);
	while ((n = read(p[0], rep + got, sizeof(rep) - 1 - (size_t)got)) > 0)
		got += n;
	waitpid(pid, &status, 0);
	tcgetattr(slave, &after);
	CHECK(!strncmp(rep, "1 1 1\n", 6), "%s: a terminal stdin: interactive, no canonical mode, no echo (%.5s)", how,
	      rep);
	CHECK(strstr(rep, "\n3 ls\r\n") != NULL, "%s: the typed bytes as typed, CR and all", how);
	CHECK(end == END_EXIT ? WIFEXITED(status) && WEXITSTATUS(status) == 0
			      : WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	      "%s: the child ended as told (status 0x%x)", how, status);
	CHECK(after.c_lflag == before.c_lflag && after.c_iflag == before.c_iflag &&
		      after.c_cc[VMIN] == before.c_cc[VMIN] && after.c_cc[VSUSP] == before.c_cc[VSUSP],
	      "%s: the terminal's settings are back", how);
	close(master);
	close(slave);
	close(p[0]);
}

static void test_not_a_tty(void)
{
	int p[2];
	char buf[8];

	if (pipe(p) || write(p[1], "abc", 3) != 3)
		return;
	dup2(p[0], STDIN_FILENO);
	console_in_open();
	CHECK(!console_in_interactive(), "a pipe on stdin: no keyboard");
	CHECK(console_in_read(buf, sizeof(buf)) == 0, "a pipe on stdin: nothing read, nothing taken from it");
	CHECK(read(p[0], buf, 3) == 3 && !memcmp(buf, "abc", 3), "the pipe's bytes are still there for others");
}

/* Without a keyboard (stdin a pipe, after test_not_a_tty): only what the VMM typed is read. */
static void test_inject(void)
{
	char buf[300], big[200];
	size_t n;

	CHECK(console_in_inject("verify\n") == 0 && console_in_inject("exit\n") == 0, "two commands typed");
	n = console_in_read(buf, 4);
	CHECK(n == 4 && !memcmp(buf, "veri", 4), "a 4-byte read takes the first 4 bytes (%zu)", n);
	n = console_in_read(buf, sizeof(buf));
	CHECK(n == 8 && !memcmp(buf, "fy\nexit\n", 8), "the next read the rest, in order (%zu)", n);
	CHECK(console_in_read(buf, sizeof(buf)) == 0, "then nothing");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(console_in_inject(big) == 0, "199 bytes fit");
	CHECK(console_in_inject(big) == -ENOSPC, "another 199 do not: -ENOSPC, nothing half-typed");
	CHECK(console_in_read(buf, sizeof(buf)) == 199, "the first 199 are read whole");
}

int main(void)
{
	test_pty(END_EXIT, "exit()");
	test_pty(END_SIGTERM, "SIGTERM");
	test_not_a_tty();
	test_inject();
	CHECK_DONE();
}
