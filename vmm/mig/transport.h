/* SPDX-License-Identifier: MIT */
/* Migration transports: one connected stream socket per migration (unix, tcp, or a socketpair). */
#ifndef RVMIG_TRANSPORT_H
#define RVMIG_TRANSPORT_H

#include "mig/migrate_plan.h"

/* Connects, retrying refused/missing endpoints until timeout_ms (the receiver may start late). fd or -errno. */
int xport_connect(const struct xport_addr *a, int timeout_ms);
/* Listens, accepts one connection, stops listening. fd or -errno (-ETIMEDOUT after timeout_ms > 0). */
int xport_accept_one(const struct xport_addr *a, int timeout_ms);
/* A connected pair for `--to local`: fds[0] the source's, fds[1] the destination's. 0 or -errno. */
int xport_pair(int fds[2]);

#endif
