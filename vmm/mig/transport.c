/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE 1 /* accept4 */
#include "mig/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/util.h"

static uint64_t xport_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int xport_sockaddr(const struct xport_addr *a, bool listen, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->kind == XPORT_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;

		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, a->path, sizeof(un->sun_path) - 1); /* a->path is NUL-terminated within 107 */
		*len = sizeof(*un);
		return 0;
	}
	if (a->kind == XPORT_TCP) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(a->port);
		if (!a->host[0] && listen)
			in->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, a->host[0] ? a->host : "127.0.0.1", &in->sin_addr) != 1) {
			warn_msg("tcp address '%s': want a dotted IPv4 address such as 127.0.0.1", a->host);
			return -EINVAL;
		}
		*len = sizeof(*in);
		return 0;
	}
	return -EINVAL;
}

/* Bigger buffers than the default (see XPORT_SOCKBUF); a refusal costs speed, not correctness. */
static void xport_size_buffers(int fd)
{
	int want = XPORT_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want)))
		warn_errno(-errno,
			   "setsockopt SO_SNDBUF/SO_RCVBUF %d on the migration socket (going on with the default)",
			   want);
}

static void xport_tune(int fd, const struct xport_addr *a)
{
	int one = 1;

	xport_size_buffers(fd);
	/* Records are flushed whole; do not hold the last segment of a round back. */
	if (a->kind == XPORT_TCP)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

uint64_t xport_sndbuf(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 && v > 0 ? (uint64_t)v : 0;
}

int xport_connect(const struct xport_addr *a, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t deadline = xport_now_ms() + (uint64_t)timeout_ms;
	char name[160];
	int r = xport_sockaddr(a, false, &ss, &len);

	if (r)
		return r;
	for (;;) {
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			r = -errno;
			warn_errno(r, "socket for %s", xport_format(a, name, sizeof(name)));
			return r;
		}
		if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
			xport_tune(fd, a);
			return fd;
		}
		r = -errno;
		close(fd);
		if ((r != -ECONNREFUSED && r != -ENOENT) || xport_now_ms() >= deadline) {
			warn_errno(r, "connect to %s (for %d ms)", xport_format(a, name, sizeof(name)), timeout_ms);
			return r;
		}
		usleep(50 * 1000);
	}
}

int xport_accept_one(const struct xport_addr *a, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char name[160];
	int one = 1, fd, c, r = xport_sockaddr(a, true, &ss, &len);

	if (r)
		return r;
	xport_format(a, name, sizeof(name));
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		warn_errno(r, "socket for %s", name);
		return r;
	}
	if (a->kind == XPORT_UNIX)
		unlink(a->path); /* a stale socket file from an earlier run */
	else
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1)) {
		r = -errno;
		warn_errno(r, "bind/listen on %s", name);
		close(fd);
		return r;
	}
	r = fd_wait(fd, POLLIN, timeout_ms); /* a pending connection makes the listener readable */
	if (r == -ETIMEDOUT) {
		warn_msg("no sender connected to %s within %g s (--accept-timeout)", name, timeout_ms / 1000.0);
	} else if (r) {
		warn_errno(r, "waiting for a connection on %s", name);
	} else {
		do
			c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		while (c < 0 && errno == EINTR);
		r = c < 0 ? -errno : c;
		if (c < 0)
			warn_errno(r, "accept on %s", name);
		else
			xport_tune(c, a);
	}
	close(fd);
	if (a->kind == XPORT_UNIX)
		unlink(a->path);
	return r;
}

int xport_pair(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds)) {
		int r = -errno;

		warn_errno(r, "socketpair AF_UNIX SOCK_STREAM");
		return r;
	}
	xport_size_buffers(fds[0]);
	xport_size_buffers(fds[1]);
	return 0;
}
