/* SPDX-License-Identifier: MIT */
/* Small shared definitions: time units, a power-of-two test, waiting on an fd. */
#ifndef RVMIG_UTIL_H
#define RVMIG_UTIL_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#define NS_PER_S  ((uint64_t)1000000000)
#define NS_PER_MS ((uint64_t)1000000)

static inline bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Waits until fd is ready for `ev`: 0, -ETIMEDOUT, or -errno; timeout_ms <= 0 waits forever.
 * A signal restarts the whole wait. */
static inline int fd_wait(int fd, short ev, int timeout_ms)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = ev };
		int n = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);

		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

#endif
