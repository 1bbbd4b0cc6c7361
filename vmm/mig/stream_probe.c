/* SPDX-License-Identifier: MIT */
/* The stop-and-copy stream over a socketpair, timed (see stream_probe.h). */
#include "mig/stream_probe.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mig/stream_priv.h"
#include "rvmig_abi.h"

#define PROBE_PAGE 4096u

struct probe_rx {
	int fd;
	void *dst;
	int rc;
	char err[STREAM_ERR_LEN];
};

/* The destination's half: every record read and checked, batches applied into dst, up to END. */
static void *probe_receive(void *arg)
{
	struct probe_rx *rx = arg;
	struct stream_reader r;
	struct stream_header h;
	struct stream_record rec;

	rx->rc = stream_reader_init(&r, rx->fd);
	if (rx->rc) {
		snprintf(rx->err, sizeof(rx->err), "no memory for the reader");
		return NULL;
	}
	rx->rc = stream_read_header(&r, &h);
	while (!rx->rc && !(rx->rc = stream_next(&r, &rec)) && rec.type != STREAM_REC_END)
		if (rec.type == STREAM_REC_BATCH)
			stream_batch_apply(&rec.u.batch, rx->dst, PROBE_PAGE);
	if (rx->rc)
		snprintf(rx->err, sizeof(rx->err), "%s", r.err);
	stream_reader_free(&r);
	return NULL;
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

int stream_probe(const void *src, void *dst, size_t len, uint64_t *ns, char *err, size_t errlen)
{
	struct probe_rx rx = { .dst = dst };
	struct stream_writer w;
	pthread_t th;
	int sv[2], rc;
	uint64_t t0;

	*ns = 0;
	if (!len || len % PROBE_PAGE) {
		snprintf(err, errlen, "stream probe: %zu bytes is not a non-zero multiple of %u", len, PROBE_PAGE);
		return -EINVAL;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		rc = -errno;
		snprintf(err, errlen, "stream probe: socketpair AF_UNIX SOCK_STREAM: %s", strerror(-rc));
		return rc;
	}
	rx.fd = sv[1];
	rc = stream_writer_init(&w, sv[0]);
	if (rc) {
		snprintf(err, errlen, "stream probe: no memory for the writer");
		goto out;
	}
	rc = -pthread_create(&th, NULL, probe_receive, &rx);
	if (rc) {
		snprintf(err, errlen, "stream probe: pthread_create: %s", strerror(-rc));
		stream_writer_free(&w);
		goto out;
	}
	t0 = stream_now_ns();
	rc = probe_send(&w, src, len);
	if (rc) {
		snprintf(err, errlen, "stream probe: writing: %s", w.err);
		shutdown(sv[0], SHUT_RDWR); /* the reader sees the end instead of waiting */
	}
	pthread_join(th, NULL);
	*ns = stream_now_ns() - t0;
	stream_writer_free(&w);
	if (!rc && rx.rc) {
		rc = rx.rc;
		snprintf(err, errlen, "stream probe: reading: %s", rx.err);
	}
out:
	close(sv[0]);
	close(sv[1]);
	return rc;
}
