/* SPDX-License-Identifier: MIT */
/*
 * streamfault: a test tool for the lab's fault-injection tests, never shipped. It sits between
 * `rvmig migrate --to unix:IN` and `rvmig recv --listen unix:OUT`, forwards both directions of one
 * connection and damages the source-to-destination direction in one chosen way:
 *
 *   pass              forward untouched
 *   truncate:N        forward the first N bytes, then end the stream (EOF to the receiver), and close
 *                     the source's side once the receiver has hung up
 *   reset:N           after N bytes close both sides at once, the source's with a reset (SO_LINGER 0)
 *   flip:TYPE:K       invert byte K of the payload of the first record of TYPE (1 header, 2 batch,
 *                     3 vcpu: stream.h's enum stream_rec_type)
 *   version:V         rewrite the preamble's version word to V
 *   hold:TYPE         stop forwarding once the first record of TYPE begins (its tag and length have
 *                     gone through) and say so: the test kills a side while the stream stands there
 *   silent            a peer that never answers: accept, read and drop everything, write nothing
 *                     (TARGET is not used); exits when the source hangs up
 *
 * It parses only the record framing (u32 tag | u32 len | payload | u64 checksum, after a 16-byte
 * preamble), so it finds a record type without knowing the payloads. It prints to stderr the stream
 * offset it damaged, so the test can check the receiver names the same record.
 * LISTEN and TARGET are unix socket paths, or tcp:PORT (127.0.0.1) where the transport's own faults
 * matter: a reset there is a TCP RST (SO_LINGER 0 on both sides).
 * Usage: streamfault LISTEN TARGET ACTION
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum action { PASS, TRUNCATE, RESET, FLIP, VERSION, HOLD, SILENT };

static enum action act;
static unsigned long long act_n; /* truncate/reset byte count, or flip payload byte      */
static unsigned act_type;        /* flip: record type                                   */
static unsigned act_version;

/* Record-framing state of the forward direction. */
static unsigned long long off;       /* bytes seen so far                                  */
static unsigned long long rec_start; /* stream offset of the current record               */
static unsigned long long rec_total; /* its full length: 8 + len + 8                       */
static unsigned char rec_head[8];    /* tag and len as they arrive                         */
static unsigned rec_type;
static unsigned long long rec_nr;
static int flipped;
static int holding; /* hold: the record to stop at has begun */

static void die(const char *what)
{
	fprintf(stderr, "streamfault: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (unsigned)p[3] << 24;
}

/* Looks at byte b at stream offset off, damages it if the action says so. */
static unsigned char inspect(unsigned char b)
{
	if (off < 16) {
		if (act == VERSION && off >= 8 && off < 12) {
			b = (act_version >> (8 * (off - 8))) & 0xff;
			if (off == 8)
				fprintf(stderr, "streamfault: version word rewritten to %u at byte 8\n", act_version);
		}
		if (off == 15)
			rec_start = 16;
		return b;
	}
	unsigned long long in_rec = off - rec_start;
	if (in_rec < 8) {
		rec_head[in_rec] = b;
		if (in_rec == 7) {
			rec_type = le32(rec_head) & 0xffff;
			rec_total = 16ull + le32(rec_head + 4);
			rec_nr++;
			if (act == HOLD && rec_type == act_type && !holding) {
				holding = 1;
				fprintf(stderr, "streamfault: holding at record #%llu (type %u at byte %llu)\n", rec_nr,
					rec_type, rec_start);
			}
		}
	} else if (act == FLIP && !flipped && rec_type == act_type && in_rec - 8 == act_n && in_rec < rec_total - 8) {
		b ^= 0xff;
		flipped = 1;
		fprintf(stderr,
			"streamfault: flipped byte %llu of record #%llu (type %u at byte %llu), stream byte %llu\n",
			act_n, rec_nr, rec_type, rec_start, off);
	}
	if (in_rec >= 7 && in_rec == rec_total - 1)
		rec_start = off + 1;
	return b;
}

/* A stream socket for path (a unix path, or tcp:PORT on 127.0.0.1) and its address in a. */
static int addr_socket(const char *path, struct sockaddr_storage *a, socklen_t *len)
{
	int fd;

	memset(a, 0, sizeof(*a));
	if (!strncmp(path, "tcp:", 4)) {
		struct sockaddr_in *in = (struct sockaddr_in *)a;
		int one = 1;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)atoi(path + 4));
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*in);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	} else {
		struct sockaddr_un *un = (struct sockaddr_un *)a;

		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", path);
		*len = sizeof(*un);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
	}
	if (fd < 0)
		die("socket");
	return fd;
}

static int listen_on(const char *path)
{
	struct sockaddr_storage a;
	socklen_t len;
	int fd = addr_socket(path, &a, &len);

	if (strncmp(path, "tcp:", 4))
		unlink(path);
	if (bind(fd, (struct sockaddr *)&a, len) || listen(fd, 1))
		die(path);
	return fd;
}

static int connect_to(const char *path)
{
	struct sockaddr_storage a;
	socklen_t len;
	int fd = addr_socket(path, &a, &len);

	/* The receiver may still be starting: try for a while (a refused TCP connect spoils the socket). */
	for (int i = 0; i < 600; i++) {
		if (!connect(fd, (struct sockaddr *)&a, len))
			return fd;
		close(fd);
		usleep(100000);
		fd = addr_socket(path, &a, &len);
	}
	die(path);
	return -1;
}

/* silent: the source's bytes go nowhere and nothing comes back, until it hangs up. */
static int be_silent(int src)
{
	static unsigned char buf[1 << 16];
	ssize_t n;

	fprintf(stderr, "streamfault: accepted, answering nothing\n");
	while ((n = read(src, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
	fprintf(stderr, "streamfault: the source hung up\n");
	close(src);
	return 0;
}

static void write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the peer went away: the tests look at what the peers say */
		p += w, n -= (size_t)w;
	}
}

static void parse_action(const char *s)
{
	if (!strcmp(s, "pass"))
		act = PASS;
	else if (sscanf(s, "truncate:%llu", &act_n) == 1)
		act = TRUNCATE;
	else if (sscanf(s, "reset:%llu", &act_n) == 1)
		act = RESET;
	else if (sscanf(s, "flip:%u:%llu", &act_type, &act_n) == 2)
		act = FLIP;
	else if (sscanf(s, "version:%u", &act_version) == 1)
		act = VERSION;
	else if (sscanf(s, "hold:%u", &act_type) == 1)
		act = HOLD;
	else if (!strcmp(s, "silent"))
		act = SILENT;
	else {
		fprintf(stderr, "streamfault: unknown action %s\n", s);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: streamfault LISTEN TARGET ACTION\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	parse_action(argv[3]);
	int lfd = listen_on(argv[1]);
	int src = accept(lfd, NULL, NULL);
	if (src < 0)
		die("accept");
	if (act == SILENT)
		return be_silent(src);
	int dst = connect_to(argv[2]);
	unsigned long long limit = (act == TRUNCATE || act == RESET) ? act_n : ~0ull;
	int fwd_open = 1, back_open = 1;
	static unsigned char buf[1 << 16];

	while (fwd_open || back_open) {
		struct pollfd p[2] = { { fwd_open ? src : -1, POLLIN, 0 }, { back_open ? dst : -1, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[0].revents) {
			size_t want = sizeof(buf);
			if (limit - off < want)
				want = (size_t)(limit - off);
			ssize_t n = read(src, buf, want);
			if (n <= 0) {
				shutdown(dst, SHUT_WR);
				fwd_open = 0;
			} else {
				ssize_t i;

				for (i = 0; i < n && !holding; i++, off++)
					buf[i] = inspect(buf[i]);
				write_all(dst, buf, (size_t)i); /* the rest of a held read is dropped */
				if (holding)
					fwd_open = 0; /* read no more: the source waits on a full socket */
			}
			if (off >= limit && fwd_open) {
				fprintf(stderr,
					"streamfault: stream cut at byte %llu (record #%llu, type %u, at byte %llu)\n",
					off, rec_nr, rec_type, rec_start);
				if (act == RESET) {
					struct linger l = { 1, 0 };
					/* Over TCP both peers see a reset (RST); a unix socket knows only close. */
					setsockopt(src, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
					setsockopt(dst, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
					close(src);
					close(dst);
					return 0;
				}
				shutdown(dst, SHUT_WR);
				fwd_open = 0;
			}
		}
		if (p[1].revents) {
			ssize_t n = read(dst, buf, sizeof(buf));
			if (n <= 0) {
				shutdown(src, SHUT_WR);
				back_open = 0;
				if (act == TRUNCATE || act == HOLD)
					fwd_open = 0; /* the receiver is gone: close the source's side too */
			} else {
				write_all(src, buf, (size_t)n);
			}
		}
	}
	close(src);
	close(dst);
	return 0;
}
