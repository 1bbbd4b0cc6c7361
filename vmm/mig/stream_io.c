/* SPDX-License-Identifier: MIT */
/*
 * The stream's buffered fd I/O: a write buffer flushed with send/write (never SIGPIPE, never past
 * timeout_ms), a read-ahead buffer, and the error messages they leave in w->err / r->err.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "mig/stream_priv.h"

static void stream_fmt(char *buf, size_t len, const char *f, va_list ap)
{
	if (len)
		vsnprintf(buf, len, f, ap);
}

/* ---- writer --------------------------------------------------------------------------------- */

int stream_w_err(struct stream_writer *w, int rc, bool sticky, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	stream_fmt(w->err, sizeof(w->err), f, ap);
	va_end(ap);
	if (sticky)
		w->error = rc;
	return rc;
}

int stream_writer_init(struct stream_writer *w, int fd)
{
	struct stat st;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->is_sock = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	w->cap = IO_BUF;
	w->buf = malloc(w->cap);
	return w->buf ? 0 : -ENOMEM;
}

void stream_writer_free(struct stream_writer *w)
{
	free(w->buf);
	w->buf = NULL;
}

int stream_flush(struct stream_writer *w)
{
	size_t off = 0;

	if (w->error)
		return w->error;
	while (off < w->len) {
		ssize_t n;
		int rc = w->timeout_ms > 0 ? fd_wait(w->fd, POLLOUT, w->timeout_ms) : 0;

		if (rc)
			return stream_w_err(w, rc, true, "write: %s", strerror(-rc));
		/* MSG_NOSIGNAL: a vanished peer must be an -EPIPE here, not a SIGPIPE for the VMM.
		 * MSG_DONTWAIT: POLLOUT means some room, not room for all; a blocking send of the rest
		 * would wait for a stalled reader forever, past timeout_ms. */
		n = w->is_sock ? send(w->fd, w->buf + off, w->len - off,
				      MSG_NOSIGNAL | (w->timeout_ms > 0 ? MSG_DONTWAIT : 0))
			       : write(w->fd, w->buf + off, w->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = fd_wait(w->fd, POLLOUT, w->timeout_ms);
			if (rc)
				return stream_w_err(w, rc, true, "write: %s", strerror(-rc));
			continue;
		}
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return stream_w_err(w, -EPIPE, true, "peer closed the stream (write: %s)", strerror(errno));
		if (n <= 0)
			return stream_w_err(w, n < 0 ? -errno : -EIO, true, "write: %s",
					    n < 0 ? strerror(errno) : "wrote nothing");
		off += (size_t)n;
	}
	w->len = 0;
	return 0;
}

int stream_w_put(struct stream_writer *w, const void *p, size_t n, bool sum)
{
	const uint8_t *s = p;

	while (n) {
		size_t k = w->cap - w->len;
		int rc;

		if (k == 0) {
			rc = stream_flush(w);
			if (rc)
				return rc;
			k = w->cap;
		}
		if (k > n)
			k = n;
		memcpy(w->buf + w->len, s, k);
		/* The guest may rewrite a page while we copy it: checksum what is sent, not the source. */
		if (sum)
			XXH64_update(&w->csum, w->buf + w->len, k);
		w->len += k;
		w->bytes += k;
		s += k;
		n -= k;
	}
	return 0;
}

/* ---- reader --------------------------------------------------------------------------------- */

int stream_r_err(struct stream_reader *r, int rc, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	stream_fmt(r->err, sizeof(r->err), f, ap);
	va_end(ap);
	return rc;
}

int stream_reader_init(struct stream_reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cap = IO_BUF;
	r->buf = malloc(r->cap);
	r->pages = calloc(STREAM_BATCH_MAX, sizeof(*r->pages));
	r->regs = calloc(STREAM_VCPU_MAX_REGS, sizeof(*r->regs));
	r->hashes = calloc(STREAM_HASHES_MAX, sizeof(*r->hashes));
	if (r->buf && r->pages && r->regs && r->hashes)
		return 0;
	stream_reader_free(r);
	return -ENOMEM;
}

void stream_reader_reset(struct stream_reader *r, int fd)
{
	struct stream_reader keep = *r;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->buf = keep.buf;
	r->cap = keep.cap;
	r->rec = keep.rec;
	r->rec_cap = keep.rec_cap;
	r->pages = keep.pages;
	r->regs = keep.regs;
	r->hashes = keep.hashes;
}

void stream_reader_free(struct stream_reader *r)
{
	free(r->buf);
	free(r->rec);
	free(r->pages);
	free(r->regs);
	free(r->hashes);
	r->buf = r->rec = NULL;
	r->pages = NULL;
	r->regs = NULL;
	r->hashes = NULL;
}

/* Big reads bypass the read-ahead buffer to save a copy. */
int stream_r_get(struct stream_reader *r, void *dst, size_t n, size_t *got)
{
	uint8_t *d = dst;

	*got = 0;
	while (*got < n) {
		size_t want = n - *got, room;
		uint8_t *into;
		ssize_t k;
		int rc;

		if (r->pos < r->len) {
			size_t c = r->len - r->pos < want ? r->len - r->pos : want;

			memcpy(d + *got, r->buf + r->pos, c);
			r->pos += c;
			*got += c;
			r->bytes += c;
			continue;
		}
		into = want >= r->cap ? d + *got : r->buf;
		room = want >= r->cap ? want : r->cap;
		rc = r->timeout_ms > 0 ? fd_wait(r->fd, POLLIN, r->timeout_ms) : 0;
		if (rc)
			return rc;
		k = read(r->fd, into, room);
		if (k < 0 && errno == EINTR)
			continue; /* the buffer is still empty: back to the read */
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = fd_wait(r->fd, POLLIN, r->timeout_ms);
			if (rc)
				return rc;
			continue;
		}
		if (k < 0)
			return errno == ECONNRESET ? -EPIPE : -errno;
		if (k == 0)
			return -EPIPE;
		if (into == r->buf) {
			r->pos = 0;
			r->len = (size_t)k;
		} else {
			*got += (size_t)k;
			r->bytes += (size_t)k;
		}
	}
	return 0;
}

/* Message for a failed stream_r_get of `what`. */
int stream_r_io_fail(struct stream_reader *r, int rc, size_t got, size_t n, const char *what)
{
	if (rc == -EPIPE && got == 0)
		return stream_r_err(r, rc, "peer closed the stream before %s (after %" PRIu64 " records)", what,
				    r->seq);
	if (rc == -EPIPE)
		return stream_r_err(r, rc, "truncated: peer closed after %zu of %zu bytes of %s", got, n, what);
	return stream_r_err(r, rc, "reading %s: %s", what, strerror(-rc));
}
