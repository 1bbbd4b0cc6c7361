/* SPDX-License-Identifier: MIT */
/* Transport addresses as --to and --listen write them: parsing and printing, no sockets. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "lib/units.h"
#include "mig/transport.h"

static int xport_parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (parse_uint(s, 1, 65535, &v))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int xport_parse(const char *s, bool listen, struct xport_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!strcmp(s, "local")) {
		a->kind = XPORT_LOCAL;
		return listen ? -1 : 0; /* a local destination is forked, never listened for */
	}
	if (!strncmp(s, "unix:", 5)) {
		a->kind = XPORT_UNIX;
		if (!s[5] || strlen(s + 5) >= sizeof(a->path))
			return -1;
		strcpy(a->path, s + 5);
		return 0;
	}
	if (!strncmp(s, "tcp:", 4)) {
		const char *rest = s + 4, *colon = strrchr(rest, ':');

		a->kind = XPORT_TCP;
		if (!colon) {
			/* "tcp:PORT": this host only, for listening as for connecting; other hosts are reached
			 * only by naming an address (tcp:0.0.0.0:PORT), which then needs --auth-key */
			strcpy(a->host, "127.0.0.1");
			return xport_parse_port(rest, &a->port);
		}
		if (colon == rest || (size_t)(colon - rest) >= sizeof(a->host))
			return -1;
		memcpy(a->host, rest, (size_t)(colon - rest));
		a->host[colon - rest] = 0;
		return xport_parse_port(colon + 1, &a->port);
	}
	return -1;
}

const char *xport_format(const struct xport_addr *a, char *buf, size_t len)
{
	switch (a->kind) {
	case XPORT_UNIX:
		snprintf(buf, len, "unix:%s", a->path);
		break;
	case XPORT_TCP:
		snprintf(buf, len, "tcp:%s:%u", a->host[0] ? a->host : "0.0.0.0", a->port);
		break;
	default:
		snprintf(buf, len, "local");
		break;
	}
	return buf;
}

bool xport_is_loopback(const struct xport_addr *a)
{
	struct in_addr in;

	if (a->kind != XPORT_TCP)
		return true; /* unix sockets and socketpairs never leave this host */
	if (!a->host[0] || inet_pton(AF_INET, a->host, &in) != 1)
		return false; /* any address, or one we cannot read: treat it as reachable */
	return (ntohl(in.s_addr) >> 24) == 127;
}
