/* SPDX-License-Identifier: MIT */
/* The fuzz targets' input as an fd, and their checks of a rejection (see harness.h). */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void fuzz_assert(int cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

void fuzz_outcome(int rc, const char *why)
{
	static int verbose = -1;

	if (verbose < 0) {
		const char *v = getenv("RVMIG_FUZZ_VERBOSE");

		verbose = v && !strcmp(v, "1");
	}
	if (!verbose)
		return;
	if (rc)
		fprintf(stderr, "fuzz: rejected: %s\n", why && why[0] ? why : strerror(-rc));
	else
		fprintf(stderr, "fuzz: accepted\n");
}

static void fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz harness: %s: %s\n", what, strerror(errno));
	abort();
}

int fuzz_input_fd(const uint8_t *data, size_t size)
{
	static int fd = -1;
	size_t off = 0;

	if (fd < 0 && (fd = memfd_create("rvmig-fuzz-input", MFD_CLOEXEC)) < 0)
		fuzz_die("memfd_create(\"rvmig-fuzz-input\")");
	if (ftruncate(fd, 0))
		fuzz_die("ftruncate of the input memfd to 0");
	while (off < size) {
		ssize_t n = pwrite(fd, data + off, size - off, (off_t)off);

		if (n <= 0)
			fuzz_die("pwrite of the input into its memfd");
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		fuzz_die("lseek of the input memfd to 0");
	return fd;
}

void fuzz_reader_reuse(struct stream_reader *r, int fd)
{
	if (!r->buf) {
		fuzz_assert(stream_reader_init(r, fd) == 0, "stream_reader_init");
		return;
	}
	stream_reader_reset(r, fd);
}

void fuzz_check_reader_error(const struct stream_reader *r, int rc)
{
	size_t n = strnlen(r->err, sizeof(r->err));

	fuzz_assert(rc == -EPIPE || rc == -EBADMSG || rc == -EPROTONOSUPPORT || rc == -ECANCELED || rc == -ENOMEM,
		    "a reader error outside stream.h's list");
	fuzz_assert(n > 0 && n < sizeof(r->err), "a reader error without a message");
	fuzz_assert(!memchr(r->err, '\n', n), "a reader message of more than one line");
	if (rc == -ECANCELED)
		fuzz_assert(strnlen(r->abort_reason, sizeof(r->abort_reason)) < sizeof(r->abort_reason),
			    "an abort reason without its NUL");
}
