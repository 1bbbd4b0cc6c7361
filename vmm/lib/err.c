/* SPDX-License-Identifier: MIT */
#include "lib/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void vmsg(int err, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err < 0)
		err = -err;
	/* One fprintf per message so lines from vCPU threads do not interleave mid-line. */
	if (err)
		fprintf(stderr, "rvmig: %s: %s\n", buf, strerror(err));
	else
		fprintf(stderr, "rvmig: %s\n", buf);
}

void die_status(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
	exit(status);
}

void die_errno(int err, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vmsg(err, fmt, ap);
	va_end(ap);
	exit(RVMIG_EXIT_FAIL);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
}

void warn_errno(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(err, fmt, ap);
	va_end(ap);
}

int err_first(char *buf, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (len && !buf[0]) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return rc < 0 ? rc : -EIO;
}
