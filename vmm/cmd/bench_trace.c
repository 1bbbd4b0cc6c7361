/* SPDX-License-Identifier: MIT */
/*
 * rvmig bench --trace-marks: the name of each phase (enable, pass1, harvest1, ...) written to tracefs'
 * trace_marker as it starts, so that lab/ktrace.sh's kprobe events on KVM's fault and split paths can
 * be told apart by phase in the same trace (lab/report/ktrace.py reads "rvmig phase NAME" lines).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/bench.h"
#include "lib/err.h"

#define BENCH_TRACE_MARKER "/sys/kernel/tracing/trace_marker"

void bench_trace_open(struct bench *b)
{
	b->trace_fd = -1;
	if (!b->o.trace_marks)
		return;
	b->trace_fd = open(BENCH_TRACE_MARKER, O_WRONLY | O_CLOEXEC);
	if (b->trace_fd < 0)
		die_errno(errno, "opening %s for --trace-marks (tracefs mounted? root?)", BENCH_TRACE_MARKER);
}

void bench_mark(struct bench *b, const char *fmt, ...)
{
	char line[96];
	va_list ap;
	int n = snprintf(line, sizeof(line), "rvmig phase ");

	if (b->trace_fd < 0)
		return;
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* A lost mark would file the events after it under the previous phase: say so, and stop marking. */
	if (write(b->trace_fd, line, (size_t)n) != n) {
		warn_msg("writing '%.*s' to %s: %s; no more phase marks", n - 1, line, BENCH_TRACE_MARKER,
			 strerror(errno));
		close(b->trace_fd);
		b->trace_fd = -1;
	}
}

void bench_trace_close(struct bench *b)
{
	if (b->trace_fd >= 0)
		close(b->trace_fd);
	b->trace_fd = -1;
}
