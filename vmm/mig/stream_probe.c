/* SPDX-License-Identifier: MIT */
/* The stop-and-copy stream over a socketpair, timed, next to memcpy, XXH64, the bare socket and the bare shm ring
 * (see stream_probe.h). */
#include "mig/stream_probe.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/hash.h"
#include "mig/shm_link.h"
#include "mig/stream_priv.h"
#include "mig/transport.h"
#include "rvmig_abi.h"

#define PROBE_PAGE  4096u
#define PROBE_CHUNK (1u << 20) /* the bare socket's and the bare ring's writes and reads */

/* What one transfer is: bytes only over the socket, the stream over it (one thread a side, or with its sender
 * and checker threads too), bytes only over the shm ring, or the stream over the shm ring. */
enum probe_kind { PROBE_RAW, PROBE_STREAM, PROBE_STREAM_PIPE, PROBE_RING_RAW, PROBE_STREAM_SHM };

struct probe_rx {
	int fd;
	bool pipelined;
	struct shm_link *shm; /* PROBE_RING_RAW, PROBE_STREAM_SHM: the reader's ring (fd: only its liveness) */
	void *dst;
	size_t len;
	int rc;
	char err[STREAM_ERR_LEN];
};

/*
 * A reader that gives up says so to the writer, as a dead destination would: its end of the ring closed
 * and its socket shut down (the ring's liveness check), so a writer blocked on a full ring or socket
 * fails instead of waiting forever (the probe's writer has no timeout).
 */
static void probe_reader_gone(struct probe_rx *rx)
{
	if (rx->shm)
		shm_link_close(rx->shm, SHM_READER);
	shutdown(rx->fd, SHUT_RDWR);
}

/* The destination's half: every record read and checked, batches landed in dst, up to END. */
static void *probe_receive(void *arg)
{
	struct probe_rx *rx = arg;
	struct stream_reader r;
	struct stream_header h;
	struct stream_record rec;

	rx->rc = stream_reader_init(&r, rx->fd);
	if (rx->rc) {
		snprintf(rx->err, sizeof(rx->err), "no memory for the reader");
		probe_reader_gone(rx);
		return NULL;
	}
	if (rx->shm)
		stream_reader_use_shm(&r, rx->shm);
	rx->rc = stream_read_header(&r, &h);
	/* dst plays a destination's guest RAM that nothing runs on: safe to land in (stream_reader_land). */
	if (!rx->rc)
		rx->rc = stream_reader_land(&r, rx->dst, rx->len);
	if (!rx->rc && rx->pipelined)
		rx->rc = stream_reader_start_checker(&r);
	while (!rx->rc && !(rx->rc = stream_next(&r, &rec)) && rec.type != STREAM_REC_END)
		if (rec.type == STREAM_REC_BATCH)
			stream_batch_apply(&rec.u.batch, rx->dst, PROBE_PAGE); /* nothing to do: landed */
	if (rx->rc)
		snprintf(rx->err, sizeof(rx->err), "%s", r.err);
	stream_reader_free(&r);
	if (rx->rc)
		probe_reader_gone(rx);
	return NULL;
}

/* The bare socket's reader: len bytes into dst, PROBE_CHUNK at a time. */
static void *probe_receive_raw(void *arg)
{
	struct probe_rx *rx = arg;
	uint8_t *d = rx->dst;

	for (size_t got = 0; got < rx->len;) {
		size_t want = rx->len - got < PROBE_CHUNK ? rx->len - got : PROBE_CHUNK;
		ssize_t k = read(rx->fd, d + got, want);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rx->rc = k < 0 ? -errno : -EPIPE;
			snprintf(rx->err, sizeof(rx->err), "read after %zu of %zu bytes: %s", got, rx->len,
				 k < 0 ? strerror(errno) : "peer closed");
			probe_reader_gone(rx);
			return NULL;
		}
		got += (size_t)k;
	}
	return NULL;
}

/*
 * The bare ring's reader: len bytes into dst, PROBE_CHUNK at a time, as probe_receive_raw over the socket.
 * No timeout, as the stream's reader over the ring: a writer that fails closes its end (-EPIPE here once
 * the ring is drained), and the socket end it stands by on is the liveness check.
 */
static void *probe_receive_ring(void *arg)
{
	struct probe_rx *rx = arg;
	uint8_t *d = rx->dst;

	for (size_t got = 0; got < rx->len;) {
		size_t want = rx->len - got < PROBE_CHUNK ? rx->len - got : PROBE_CHUNK;
		struct iovec v = { .iov_base = d + got, .iov_len = want };
		ssize_t k = shm_link_read(rx->shm, &v, 1, rx->fd, 0);

		if (k <= 0) {
			rx->rc = k < 0 ? (int)k : -EPIPE; /* > 0 or -errno by its contract: 0 is not expected */
			snprintf(rx->err, sizeof(rx->err), "ring read after %zu of %zu bytes: %s", got, rx->len,
				 strerror(-rx->rc));
			probe_reader_gone(rx);
			return NULL;
		}
		got += (size_t)k;
	}
	return NULL;
}

static int probe_send_ring(struct shm_link *l, int live_fd, const void *src, size_t len, char *err, size_t errlen)
{
	const uint8_t *s = src;

	for (size_t off = 0; off < len; off += PROBE_CHUNK) {
		size_t n = len - off < PROBE_CHUNK ? len - off : PROBE_CHUNK;
		struct iovec v = { .iov_base = (void *)(s + off), .iov_len = n };
		int rc = shm_link_write(l, &v, 1, live_fd, 0); /* all of it, or an error */

		if (rc) {
			snprintf(err, errlen, "ring write of %zu bytes at %zu of %zu: %s", n, off, len, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int probe_send_raw(int fd, const void *src, size_t len, char *err, size_t errlen)
{
	const uint8_t *s = src;

	for (size_t off = 0; off < len;) {
		size_t n = len - off < PROBE_CHUNK ? len - off : PROBE_CHUNK;
		ssize_t k = send(fd, s + off, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int rc = k < 0 ? -errno : -EIO;

			snprintf(err, errlen, "send of %zu bytes at %zu of %zu: %s", n, off, len, strerror(-rc));
			return rc;
		}
		off += (size_t)k;
	}
	return 0;
}

static int probe_send(struct stream_writer *w, const void *src, size_t len)
{
	const struct stream_header shape = {
		.version = STREAM_VERSION,
		.page_size = PROBE_PAGE,
		.ram_base = RVMIG_RAM_BASE,
		.ram_size = len,
		.nr_vcpus = 1,
		.backing = STREAM_BACKING_ANON,
		.backing_page_size = PROBE_PAGE,
		.abi_version = RVMIG_ABI_VERSION,
	};
	uint64_t idx[STREAM_BATCH_MAX], pages = len / PROBE_PAGE;
	int rc = stream_write_header(w, &shape);

	/* As stop-and-copy sends: src stands still, so no copy (see stream_write_batch). */
	w->zero_copy = true;
	for (uint64_t p = 0; !rc && p < pages;) {
		uint32_t n = 0;

		while (n < STREAM_BATCH_MAX && p < pages)
			idx[n++] = p++;
		rc = stream_write_batch(w, 0, idx, n, src);
	}
	if (!rc)
		rc = stream_write_round_end(w, 0);
	if (!rc)
		rc = stream_write_end(w);
	return rc;
}

/*
 * One transfer over a fresh socket pair: raw (bytes only) or the stream; or, through a fresh shm ring,
 * raw or the stream (the pair then only stands by as migrate's does); the reader is a second thread,
 * so both harts work as in a migration. *ns: first write -> the reader done.
 */
static int probe_pair(enum probe_kind kind, const void *src, void *dst, size_t len, uint64_t *ns, char *err,
		      size_t errlen)
{
	bool raw = kind == PROBE_RAW || kind == PROBE_RING_RAW;
	struct probe_rx rx = { .dst = dst, .len = len, .pipelined = kind == PROBE_STREAM_PIPE };
	struct stream_writer w;
	const char *what = kind == PROBE_RAW          ? "socket probe"
			   : kind == PROBE_RING_RAW   ? "shm ring probe"
			   : rx.pipelined             ? "pipelined stream probe"
			   : kind == PROBE_STREAM_SHM ? "shm stream probe"
						      : "stream probe";
	void *(*reader)(void *) = kind == PROBE_RAW        ? probe_receive_raw
				  : kind == PROBE_RING_RAW ? probe_receive_ring
							   : probe_receive;
	pthread_t th;
	int sv[2], rc;
	uint64_t t0;

	if (kind == PROBE_RING_RAW || kind == PROBE_STREAM_SHM) {
		char why[200];

		/* Made (and its pages populated) before the clock starts, as migrate makes it before the fork. */
		rx.shm = shm_link_create(0, why, sizeof(why));
		if (!rx.shm) {
			rc = errno ? -errno : -ENOMEM; /* taken before snprintf, which may change errno */
			snprintf(err, errlen, "%s: %s", what, why);
			return rc;
		}
	}

	/* The pair `--to local` migrates over, socket buffers included (xport_pair): the figure is the
	 * link a migration gets, not a default-sized socketpair's. */
	rc = xport_pair(sv);
	if (rc) {
		snprintf(err, errlen, "%s: socketpair AF_UNIX SOCK_STREAM: %s", what, strerror(-rc));
		shm_link_destroy(rx.shm);
		return rc;
	}
	rx.fd = sv[1];
	rc = raw ? 0 : stream_writer_init(&w, sv[0]);
	if (!rc && rx.shm)
		stream_writer_use_shm(&w, rx.shm);
	if (rc) {
		snprintf(err, errlen, "%s: no memory for the writer", what);
		goto out;
	}
	if (rx.pipelined && (rc = stream_writer_start_sender(&w))) {
		snprintf(err, errlen, "%s: %s", what, w.err);
		stream_writer_free(&w);
		goto out;
	}
	rc = -pthread_create(&th, NULL, reader, &rx);
	if (rc) {
		snprintf(err, errlen, "%s: pthread_create: %s", what, strerror(-rc));
		if (!raw)
			stream_writer_free(&w);
		goto out;
	}
	t0 = stream_now_ns();
	if (raw) {
		char why[200];

		rc = rx.shm ? probe_send_ring(rx.shm, sv[0], src, len, why, sizeof(why))
			    : probe_send_raw(sv[0], src, len, why, sizeof(why));
		if (rc)
			snprintf(err, errlen, "%s: writing: %s", what, why);
	} else {
		rc = probe_send(&w, src, len);
		if (rc)
			snprintf(err, errlen, "%s: writing: %s", what, w.err);
	}
	if (rc && rx.shm)
		shm_link_close(rx.shm, SHM_WRITER); /* as the shutdown below, for a reader on the ring */
	if (rc)
		shutdown(sv[0], SHUT_RDWR); /* the reader sees the end instead of waiting */
	pthread_join(th, NULL);
	*ns = stream_now_ns() - t0;
	if (!raw)
		stream_writer_free(&w);
	if (!rc && rx.rc) {
		rc = rx.rc;
		snprintf(err, errlen, "%s: reading: %s", what, rx.err);
	}
	/* The raw probes check nothing on the way (the stream's records carry checksums): their figure counts
	 * only if the bytes arrived where they belong. After the clock, so the check is not in the figure. */
	if (!rc && raw && memcmp(dst, src, len)) {
		size_t at = 0;

		while (((const uint8_t *)dst)[at] == ((const uint8_t *)src)[at])
			at++;
		rc = -EIO;
		snprintf(err, errlen, "%s: dst differs from src at byte %zu of %zu", what, at, len);
	}
out:
	close(sv[0]);
	close(sv[1]);
	shm_link_destroy(rx.shm);
	if (rc)
		*ns = 0; /* a failed probe has no time */
	return rc;
}

int stream_probe(const void *src, void *dst, size_t len, struct stream_probe_ns *t, char *err, size_t errlen)
{
	uint64_t t0, h;
	int rc, ring_rc, shm_rc;

	memset(t, 0, sizeof(*t));
	if (!len || len % PROBE_PAGE) {
		snprintf(err, errlen, "stream probe: %zu bytes is not a non-zero multiple of %u", len, PROBE_PAGE);
		return -EINVAL;
	}
	t0 = stream_now_ns();
	memcpy(dst, src, len);
	__asm__ volatile("" : : "r"(dst) : "memory");
	t->memcpy_ns = stream_now_ns() - t0;
	t0 = stream_now_ns();
	h = XXH64(src, len, 0);
	__asm__ volatile("" : : "r"(h));
	t->xxh64_ns = stream_now_ns() - t0;
	memset(dst, 0, len); /* the memcpy above filled it: the socket's bytes must be what makes dst src */
	rc = probe_pair(PROBE_RAW, src, dst, len, &t->socket_ns, err, errlen);
	if (rc)
		return rc;
	memset(dst, 0, len);
	/* The shm ring's probes: a failure (err says why) leaves its time 0; the others still run. */
	ring_rc = probe_pair(PROBE_RING_RAW, src, dst, len, &t->ring_ns, err, errlen);
	memset(dst, 0, len); /* what dst holds at the end is the stream's doing */
	shm_rc = probe_pair(PROBE_STREAM_SHM, src, dst, len, &t->shm_stream_ns, err, errlen);
	memset(dst, 0, len);
	rc = probe_pair(PROBE_STREAM, src, dst, len, &t->stream_ns, err, errlen);
	if (rc)
		return rc;
	memset(dst, 0, len);
	rc = probe_pair(PROBE_STREAM_PIPE, src, dst, len, &t->stream_pipe_ns, err, errlen);
	/* The last failure's, as err holds its words. */
	return rc ? rc : shm_rc ? shm_rc : ring_rc;
}
