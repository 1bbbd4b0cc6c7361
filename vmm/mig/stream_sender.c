/* SPDX-License-Identifier: MIT */
/*
 * The writer's sender thread (stream_writer_start_sender in stream.h): stream_flush hands it the
 * pending gather list together with the buffer the list points into, and the writer goes on with a
 * spare buffer and list, so that the caller encodes, zero-checks and checksums batch k+1 while batch k
 * is in the kernel. One list in flight at a time: the next hand-over waits for the previous one.
 *
 * The thread writes with stream_w_send on a copy of the writer (io) made at each hand-over: the raw
 * write loop sets the writer's error, message and short-write count, and those are the caller's fields;
 * the copy keeps the two threads apart, and the writer takes the copy's outcome when it waits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/worker.h"
#include "mig/stream_priv.h"

struct stream_sender {
	struct worker k;
	struct stream_writer io; /* the thread's copy of the writer: fd, timeouts, its own message */
	struct iovec *job;
	size_t njob;
	uint8_t *spare_buf; /* the pair the writer does not hold: in flight, or free */
	struct iovec *spare_iov;
};

static int sender_job(void *arg)
{
	struct stream_sender *s = arg;

	return stream_w_send(&s->io, s->job, s->njob);
}

static void sender_free(struct stream_sender *s)
{
	if (!s)
		return;
	free(s->spare_buf);
	free(s->spare_iov);
	free(s);
}

int stream_writer_start_sender(struct stream_writer *w)
{
	struct stream_sender *s;
	int rc;

	if (w->sender)
		return 0;
	s = calloc(1, sizeof(*s));
	if (s) {
		s->spare_buf = malloc(w->cap);
		s->spare_iov = calloc(STREAM_IOV_MAX, sizeof(*s->spare_iov));
	}
	if (!s || !s->spare_buf || !s->spare_iov) {
		sender_free(s);
		return stream_w_err(w, -ENOMEM, false, "no memory for the sender thread's second buffer");
	}
	rc = worker_start(&s->k, sender_job, s);
	if (rc) {
		sender_free(s);
		return stream_w_err(w, rc, false, "starting the sender thread: pthread_create: %s", strerror(-rc));
	}
	w->sender = s;
	return 0;
}

int stream_sender_wait(struct stream_writer *w)
{
	struct stream_sender *s = w->sender;
	int rc;

	if (!s)
		return w->error;
	rc = worker_wait(&s->k);
	/* Idle: io is ours to read. */
	w->t.short_writes += s->io.t.short_writes;
	s->io.t.short_writes = 0;
	if (rc && !w->error) {
		w->error = rc;
		snprintf(w->err, sizeof(w->err), "%s", s->io.err);
	}
	return w->error;
}

int stream_w_failed(struct stream_writer *w)
{
	if (w->sender && !w->error && worker_failed(&w->sender->k))
		return stream_sender_wait(w);
	return w->error;
}

int stream_sender_hand(struct stream_writer *w)
{
	struct stream_sender *s = w->sender;
	uint8_t *buf = w->buf;
	struct iovec *iov = w->iov;
	int rc = stream_sender_wait(w);

	if (rc)
		return rc;
	/* The thread is idle: io and the spare pair are ours until the post. */
	s->io = *w;
	s->io.sender = NULL;
	s->io.error = 0;
	s->io.err[0] = '\0';
	s->io.t.short_writes = 0;
	s->job = iov;
	s->njob = w->niov;
	w->buf = s->spare_buf;
	w->iov = s->spare_iov;
	s->spare_buf = buf;
	s->spare_iov = iov;
	worker_post(&s->k);
	return 0;
}

int stream_writer_drain(struct stream_writer *w)
{
	uint64_t t0 = stream_now_ns();
	int rc = stream_sender_wait(w);

	w->t.send_ns += stream_now_ns() - t0;
	return rc;
}

void stream_sender_stop(struct stream_writer *w)
{
	if (!w->sender)
		return;
	worker_stop(&w->sender->k); /* a list in flight is finished first (bounded by timeout_ms) */
	sender_free(w->sender);
	w->sender = NULL;
}
