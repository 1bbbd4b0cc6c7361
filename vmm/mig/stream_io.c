/* SPDX-License-Identifier: MIT */
/*
 * The stream's buffered fd I/O: a write buffer flushed with send/write (never SIGPIPE, never past
 * timeout_ms), a read-ahead buffer, and the error messages they leave in w->err / r->err.
 */
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/iov.h"
#include "lib/util.h"
#include "mig/shm_link.h"
#include "mig/stream_priv.h"

#ifndef IOV_MAX
#define IOV_MAX 1024 /* Linux UIO_MAXIOV */
#endif

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
	w->iov = calloc(STREAM_IOV_MAX, sizeof(*w->iov));
	if (w->buf && w->iov)
		return 0;
	stream_writer_free(w);
	return -ENOMEM;
}

void stream_writer_free(struct stream_writer *w)
{
	stream_sender_stop(w); /* first: the thread may be writing from one of the buffers */
	free(w->buf);
	free(w->iov);
	w->buf = NULL;
	w->iov = NULL;
}

/* The buffered bytes since the last reference become one gather entry (they precede what comes next). */
static void w_close_seg(struct stream_writer *w)
{
	if (w->len > w->seg_off) {
		w->iov[w->niov++] = (struct iovec){ .iov_base = w->buf + w->seg_off, .iov_len = w->len - w->seg_off };
		w->seg_off = w->len;
	}
}

/*
 * Writes iov[0..n) whole. A write may take only part of it (a full socket buffer, MSG_DONTWAIT after
 * POLLOUT, a signal): iov_advance drops what went out and the rest is written again from there.
 */
static int w_send_all(struct stream_writer *w, struct iovec *v, size_t n)
{
	if (w->shm) { /* all of it, or the reader is gone / stalled: no partial writes to resume */
		int rc = shm_link_write(w->shm, v, n, w->fd, w->timeout_ms);

		if (rc == -EPIPE)
			return stream_w_err(w, rc, true, "peer closed the stream (shm link)");
		if (rc)
			return stream_w_err(w, rc, true, "write (shm link): %s", strerror(-rc));
		return 0;
	}
	while (n) {
		int cnt = n > IOV_MAX ? IOV_MAX : (int)n;
		ssize_t k;
		int rc = w->timeout_ms > 0 ? fd_wait(w->fd, POLLOUT, w->timeout_ms) : 0;

		if (rc)
			return stream_w_err(w, rc, true, "write: %s", strerror(-rc));
		if (w->is_sock) {
			struct msghdr m = { .msg_iov = v, .msg_iovlen = (size_t)cnt };

			/* MSG_NOSIGNAL: a vanished peer must be an -EPIPE here, not a SIGPIPE for the VMM.
			 * MSG_DONTWAIT: POLLOUT means some room, not room for all; a blocking send of the
			 * rest would wait for a stalled reader forever, past timeout_ms. */
			k = sendmsg(w->fd, &m, MSG_NOSIGNAL | (w->timeout_ms > 0 ? MSG_DONTWAIT : 0));
		} else {
			k = writev(w->fd, v, cnt);
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = fd_wait(w->fd, POLLOUT, w->timeout_ms);
			if (rc)
				return stream_w_err(w, rc, true, "write: %s", strerror(-rc));
			continue;
		}
		if (k < 0 && (errno == EPIPE || errno == ECONNRESET))
			return stream_w_err(w, -EPIPE, true, "peer closed the stream (write: %s)", strerror(errno));
		if (k <= 0)
			return stream_w_err(w, k < 0 ? -errno : -EIO, true, "write: %s",
					    k < 0 ? strerror(errno) : "wrote nothing");
		if ((size_t)k < iov_bytes(v, (size_t)cnt))
			w->t.short_writes++;
		n = iov_advance(&v, n, (size_t)k);
	}
	return 0;
}

int stream_w_send(struct stream_writer *w, struct iovec *v, size_t n)
{
	return w_send_all(w, v, n);
}

void stream_writer_use_shm(struct stream_writer *w, struct shm_link *link)
{
	w->shm = link;
}

int stream_flush(struct stream_writer *w)
{
	uint64_t t0;
	int rc;

	if (stream_w_failed(w))
		return w->error;
	w_close_seg(w);
	if (!w->niov)
		return 0;
	t0 = stream_now_ns();
	/* With a sender thread this is the wait for its previous list (the link's share) and the hand-over:
	 * the list and its buffer are the sender's now, and w goes on with the spare pair. */
	rc = w->sender ? stream_sender_hand(w) : w_send_all(w, w->iov, w->niov);
	w->t.send_ns += stream_now_ns() - t0;
	if (rc)
		return rc;
	w->niov = 0;
	w->len = 0;
	w->seg_off = 0;
	return 0;
}

int stream_w_put(struct stream_writer *w, const void *p, size_t n, bool sum)
{
	const uint8_t *s = p;

	while (n) {
		size_t k = w->cap - w->len;
		int rc;

		/* Full buffer, or a full gather list (this stretch would need one more entry): send. */
		if (k == 0 || w->niov + 1 >= STREAM_IOV_MAX) {
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
			hash_stream_update(&w->csum, w->buf + w->len, k);
		w->len += k;
		w->bytes += k;
		s += k;
		n -= k;
	}
	return 0;
}

int stream_w_ref(struct stream_writer *w, const void *p, size_t n)
{
	int rc;

	if (stream_w_failed(w))
		return w->error;
	if (!n)
		return 0;
	/* Room for the buffered stretch before it, this reference, and the stretch flush closes. */
	if (w->niov + 3 > STREAM_IOV_MAX && (rc = stream_flush(w)))
		return rc;
	w_close_seg(w);
	hash_stream_update(&w->csum, p, n);
	w->iov[w->niov++] = (struct iovec){ .iov_base = (void *)p, .iov_len = n };
	w->bytes += n;
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
	r->land.iov = calloc(STREAM_BATCH_MAX + 1, sizeof(*r->land.iov));
	if (r->buf && r->pages && r->regs && r->hashes && r->land.iov)
		return 0;
	stream_reader_free(r);
	return -ENOMEM;
}

void stream_reader_reset(struct stream_reader *r, int fd)
{
	struct stream_reader keep;

	stream_checker_reset(r); /* idle, its verdict forgotten: the thread stays for the next stream */
	keep = *r;
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->buf = keep.buf;
	r->cap = keep.cap;
	r->rec = keep.rec;
	r->rec_cap = keep.rec_cap;
	r->pages = keep.pages;
	r->regs = keep.regs;
	r->hashes = keep.hashes;
	r->land.iov = keep.land.iov; /* the landing area itself is the old stream's: set it again */
	r->checker = keep.checker;
}

void stream_reader_use_shm(struct stream_reader *r, struct shm_link *link)
{
	r->shm = link;
}

void stream_reader_free(struct stream_reader *r)
{
	stream_checker_stop(r); /* first: the thread may be reading the landing area */
	free(r->buf);
	free(r->rec);
	free(r->pages);
	free(r->regs);
	free(r->hashes);
	free(r->land.iov);
	r->land.iov = NULL;
	r->land.base = NULL;
	r->buf = r->rec = NULL;
	r->pages = NULL;
	r->regs = NULL;
	r->hashes = NULL;
}

/*
 * One read into v[0..n) (readv: the landing reads gather guest RAM and the read-ahead buffer), waiting
 * for bytes (timeout_ms) and retrying EINTR and EAGAIN: the bytes read (> 0), or -EPIPE (peer closed),
 * -ETIMEDOUT or -errno. All of it, waits included, is the link's share (read_ns).
 */
static ssize_t r_read_some(struct stream_reader *r, const struct iovec *v, size_t n)
{
	uint64_t t0 = stream_now_ns();
	ssize_t k;

	for (;;) {
		int rc;

		if (r->shm) { /* a readv's answer: > 0 bytes, -EPIPE (closed or gone, ring drained), -ETIMEDOUT */
			k = shm_link_read(r->shm, v, n, r->fd, r->timeout_ms);
			break;
		}
		rc = r->timeout_ms > 0 ? fd_wait(r->fd, POLLIN, r->timeout_ms) : 0;

		if (rc) {
			k = rc;
			break;
		}
		k = readv(r->fd, v, (int)n);
		if (k < 0 && errno == EINTR)
			continue; /* nothing was read: back to the read */
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = fd_wait(r->fd, POLLIN, r->timeout_ms);
			if (!rc)
				continue;
			k = rc;
		} else if (k < 0) {
			k = errno == ECONNRESET ? -EPIPE : -errno;
		} else if (k == 0) {
			k = -EPIPE;
		}
		break;
	}
	r->t.read_ns += stream_now_ns() - t0;
	return k;
}

/* Big reads bypass the read-ahead buffer to save a copy. */
int stream_r_get(struct stream_reader *r, void *dst, size_t n, size_t *got)
{
	uint8_t *d = dst;

	*got = 0;
	while (*got < n) {
		size_t want = n - *got;
		struct iovec v;
		ssize_t k;

		if (r->pos < r->len) {
			size_t c = r->len - r->pos < want ? r->len - r->pos : want;

			memcpy(d + *got, r->buf + r->pos, c);
			r->pos += c;
			*got += c;
			r->bytes += c;
			continue;
		}
		v = want >= r->cap ? (struct iovec){ d + *got, want } : (struct iovec){ r->buf, r->cap };
		k = r_read_some(r, &v, 1);
		if (k < 0)
			return (int)k;
		if (v.iov_base == r->buf) {
			r->pos = 0;
			r->len = (size_t)k;
		} else {
			*got += (size_t)k;
			r->bytes += (size_t)k;
		}
	}
	return 0;
}

/* The first k bytes of v[0..n) have arrived: into the checksum (unless a checker thread does it), then
 * off the list. */
static size_t r_landed(struct iovec **v, size_t n, size_t k, XXH64_state_t *st)
{
	for (size_t left = k, i = 0; st && left; i++) {
		size_t c = (*v)[i].iov_len < left ? (*v)[i].iov_len : left;

		hash_stream_update(st, (*v)[i].iov_base, c);
		left -= c;
	}
	return iov_advance(v, n, k);
}

int stream_r_getv(struct stream_reader *r, struct iovec *v, size_t n, XXH64_state_t *st, size_t *got)
{
	size_t rem = iov_bytes(v, n);

	*got = 0;
	/* What the read-ahead buffer already holds is copied: it was read before we knew where it goes. */
	while (rem && r->pos < r->len) {
		size_t c = r->len - r->pos < v->iov_len ? r->len - r->pos : v->iov_len;

		memcpy(v->iov_base, r->buf + r->pos, c);
		r->pos += c;
		r->bytes += c;
		*got += c;
		rem -= c;
		n = r_landed(&v, n, c, st);
	}
	/* The rest in place. The read-ahead buffer (empty now) is the readv's last entry, after the data:
	 * what follows it (the checksum, the next records) comes in the same call, never into guest RAM. */
	v[n] = (struct iovec){ .iov_base = r->buf, .iov_len = r->cap };
	while (rem) {
		ssize_t k = r_read_some(r, v, n + 1);

		if (k < 0)
			return (int)k;
		if ((size_t)k > rem) { /* all landed, and the read-ahead buffer holds what came after */
			r->pos = 0;
			r->len = (size_t)k - rem;
			k = (ssize_t)rem;
		}
		r->bytes += (size_t)k;
		*got += (size_t)k;
		rem -= (size_t)k;
		n = r_landed(&v, n, (size_t)k, st);
		v[n] = (struct iovec){ .iov_base = r->buf, .iov_len = r->cap };
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
