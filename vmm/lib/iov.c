/* SPDX-License-Identifier: MIT */
/* Resuming a partial writev/sendmsg (see iov.h). */
#include "lib/iov.h"

#include <stdint.h>

size_t iov_advance(struct iovec **iov, size_t n, size_t done)
{
	struct iovec *v = *iov;

	/* Empty entries are skipped too: a zero-length iovec left at the front would make the next
	 * writev of "the rest" look like a write of nothing. */
	while (n && done >= v->iov_len) {
		done -= v->iov_len;
		v++;
		n--;
	}
	if (n && done) {
		v->iov_base = (uint8_t *)v->iov_base + done;
		v->iov_len -= done;
	}
	*iov = v;
	return n;
}

size_t iov_bytes(const struct iovec *iov, size_t n)
{
	size_t b = 0;

	for (size_t i = 0; i < n; i++)
		b += iov[i].iov_len;
	return b;
}
