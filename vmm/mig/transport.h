/* SPDX-License-Identifier: MIT */
/* Migration transports: one connected stream socket per migration (unix, tcp, or a socketpair). */
#ifndef RVMIG_TRANSPORT_H
#define RVMIG_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xport_kind { XPORT_LOCAL, XPORT_UNIX, XPORT_TCP };

struct xport_addr {
	enum xport_kind kind;
	char path[108]; /* unix: sun_path                                        */
	char host[64];  /* tcp: 127.0.0.1 unless given; 0.0.0.0 = any   */
	uint16_t port;
};

/* "local", "unix:PATH", "tcp:HOST:PORT", and for listening also "tcp:PORT". 0 or -1. */
int xport_parse(const char *s, bool listen, struct xport_addr *a);
/* Whether a is reachable from this host only: unix:, local, tcp on 127.0.0.0/8 (not 0.0.0.0). */
bool xport_is_loopback(const struct xport_addr *a);
const char *xport_format(const struct xport_addr *a, char *buf, size_t len);

/* Connects, retrying refused/missing endpoints until timeout_ms (the receiver may start late). fd or -errno. */
int xport_connect(const struct xport_addr *a, int timeout_ms);
/* Listens, accepts one connection, stops listening. fd or -errno (-ETIMEDOUT after timeout_ms > 0). */
int xport_accept_one(const struct xport_addr *a, int timeout_ms);
/* A connected pair for `--to local`: fds[0] the source's, fds[1] the destination's. 0 or -errno. */
int xport_pair(int fds[2]);

/*
 * The socket buffer every migration socket asks for (SO_SNDBUF and SO_RCVBUF, bytes). Why: a batch is
 * 2 MiB, and the default unix-socket send buffer (~208 KiB) makes each batch ten hand-overs between
 * the sending and the receiving process; in the lab each hand-over wakes the other emulated hart, which
 * on a busy host waits for a host CPU. The kernel caps the request at net.core.wmem_max / rmem_max
 * (the lab raises both on its command line); xport_sndbuf says what was granted.
 */
#define XPORT_SOCKBUF (4u << 20)
/* SO_SNDBUF of fd as the kernel reports it (it doubles the request for its bookkeeping), or 0 if unknown. */
uint64_t xport_sndbuf(int fd);

#endif
