/* SPDX-License-Identifier: MIT */
/* Terminal stdin as the guest's keyboard (console_in.h). */
#include "core/console_in.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/err.h"

static struct termios console_saved;
static volatile sig_atomic_t console_raw;
/* What the VMM types itself (console_in_inject), read before the keyboard; any thread may add. */
static pthread_mutex_t console_typed_lock = PTHREAD_MUTEX_INITIALIZER;
static char console_typed[256];
static size_t console_typed_len;

void console_in_restore(void)
{
	/* tcsetattr is async-signal-safe: this runs from the signal handler too. */
	if (console_raw && tcsetattr(STDIN_FILENO, TCSANOW, &console_saved) == 0)
		console_raw = 0;
}

/* The signals that end rvmig: the terminal back first, then the default action (death by it). */
static void console_in_on_signal(int sig)
{
	console_in_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void console_in_catch(int sig)
{
	struct sigaction sa = { .sa_handler = console_in_on_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		warn_errno(errno, "sigaction %s (terminal restore on exit)", strsignal(sig));
}

void console_in_open(void)
{
	static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	struct termios raw;

	if (console_raw || !isatty(STDIN_FILENO))
		return;
	if (tcgetattr(STDIN_FILENO, &console_saved)) {
		warn_errno(errno, "tcgetattr stdin: the guest gets no keyboard input");
		return;
	}
	raw = console_saved;
	/* Bytes as typed, no echo (the guest echoes), no CR/NL or flow-control translation. ISIG stays:
	 * Ctrl-C and Ctrl-\ still end rvmig; Ctrl-Z goes to the guest rather than leave a raw terminal
	 * behind a stopped rvmig. Reads return at once (VMIN 0, VTIME 0): a vCPU never waits on them. */
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | IEXTEN);
	raw.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR | IXON | ISTRIP);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	raw.c_cc[VSUSP] = _POSIX_VDISABLE;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		console_in_catch(fatal[i]);
	if (atexit(console_in_restore))
		warn_msg("atexit (terminal restore) failed: the guest gets no keyboard input");
	else if (tcsetattr(STDIN_FILENO, TCSANOW, &raw))
		warn_errno(errno, "tcsetattr stdin raw mode: the guest gets no keyboard input");
	else
		console_raw = 1;
}

bool console_in_interactive(void)
{
	return console_raw;
}

int console_in_inject(const char *s)
{
	size_t n = strlen(s);
	int rc = -ENOSPC;

	pthread_mutex_lock(&console_typed_lock);
	if (console_typed_len + n <= sizeof(console_typed)) {
		memcpy(console_typed + console_typed_len, s, n);
		console_typed_len += n;
		rc = 0;
	}
	pthread_mutex_unlock(&console_typed_lock);
	return rc;
}

size_t console_in_read(char *buf, size_t len)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	ssize_t n;
	size_t typed;

	pthread_mutex_lock(&console_typed_lock);
	typed = console_typed_len < len ? console_typed_len : len;
	if (typed) {
		memcpy(buf, console_typed, typed);
		memmove(console_typed, console_typed + typed, console_typed_len - typed);
		console_typed_len -= typed;
	}
	pthread_mutex_unlock(&console_typed_lock);
	if (typed)
		return typed;
	if (!console_raw || !len || poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
		return 0;
	n = read(STDIN_FILENO, buf, len);
	return n > 0 ? (size_t)n : 0;
}
