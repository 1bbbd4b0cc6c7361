/*
 * What the stream tests that go through real sockets share (test_stream_zc.c, test_stream_pipe.c):
 * RAM filled with a pattern and zero pages, a stream written by a child through a socketpair with a
 * tiny send buffer (so writes are partial) and captured, and a captured stream decoded into RAM by a
 * reader fed from a second child (landing or not, with the checker thread or not).
 */
#ifndef RVMIG_TEST_STREAM_RIG_H
#define RVMIG_TEST_STREAM_RIG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mig/stream.h"

/* xorshift bytes from seed, then every zero_every-th page all zero (a ZERO marker in a batch). */
static inline void rig_fill(uint8_t *ram, size_t size, uint32_t ps, uint64_t seed, size_t zero_every)
{
	uint64_t x = seed;

	for (size_t i = 0; i < size; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(ram + i, &x, 8);
	}
	for (size_t p = 0; p < size / ps; p += zero_every)
		memset(ram + p * ps, 0, ps);
}

/*
 * A child writes a stream with send(w, zero_copy) (with a sender thread if asked, drained at the end)
 * into a socketpair with a 4K send buffer and timeout_ms set (sendmsg is MSG_DONTWAIT and takes what
 * fits); the parent reads it all into *out (cap bytes), slowly at first. Returns the bytes;
 * *short_writes: how many writes the child's writer resumed (its exit code; 255: it failed).
 */
static inline size_t rig_capture(int (*send_fn)(struct stream_writer *w, bool zero_copy), bool zero_copy, bool sender,
				 size_t cap, uint8_t **out, int *short_writes)
{
	int sv[2], st = 0, small = 4096;
	size_t len = 0;
	pid_t pid;
	ssize_t n;

	*out = malloc(cap);
	if (!*out || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	pid = fork();
	if (pid == 0) {
		struct stream_writer w;
		int rc;

		close(sv[0]);
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
		if (stream_writer_init(&w, sv[1]) || (sender && stream_writer_start_sender(&w)))
			_exit(255);
		w.timeout_ms = 10000;
		rc = send_fn(&w, zero_copy);
		if (!rc)
			rc = stream_writer_drain(&w);
		stream_writer_free(&w);
		_exit(rc ? 255 : (int)(w.t.short_writes > 254 ? 254 : w.t.short_writes));
	}
	close(sv[1]);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	while ((n = read(sv[0], *out + len, len < 65536 ? 1000 : cap - len)) > 0) {
		len += (size_t)n;
		if (len < 65536)
			usleep(200); /* a slow reader at first: the writer finds the socket full */
	}
	close(sv[0]);
	waitpid(pid, &st, 0);
	*short_writes = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
	return len;
}

/* How a decode went: the batches and pages stream_next returned, the ROUND_ENDs, the failure. */
struct rig_decoded {
	long pages;
	int rc;
	uint64_t batches, round_ends;
	char err[STREAM_ERR_LEN];
};

/*
 * Decodes bytes into ram (size bytes, page size ps) through a socketpair fed by a child: landing there
 * (with the checker thread if asked) or applied from the reader's buffer; every batch must say landed
 * exactly when it did (else rc -EPROTO).
 */
static inline struct rig_decoded rig_decode(const uint8_t *bytes, size_t len, uint8_t *ram, size_t size, uint32_t ps,
					    bool land, bool checker)
{
	struct rig_decoded d = { 0 };
	struct stream_reader r;
	struct stream_header h;
	struct stream_record rec;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		d.rc = -errno;
		return d;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (size_t off = 0; off < len;) {
			ssize_t k = send(sv[1], bytes + off, len - off, MSG_NOSIGNAL);

			if (k <= 0)
				_exit(1);
			off += (size_t)k;
		}
		_exit(0);
	}
	close(sv[1]);
	d.rc = stream_reader_init(&r, sv[0]);
	if (!d.rc)
		d.rc = stream_read_header(&r, &h);
	if (!d.rc && land)
		d.rc = stream_reader_land(&r, ram, size);
	if (!d.rc && checker)
		d.rc = stream_reader_start_checker(&r);
	while (!d.rc && !(d.rc = stream_next(&r, &rec)) && rec.type != STREAM_REC_END) {
		if (rec.type == STREAM_REC_BATCH) {
			if (rec.u.batch.landed != land)
				d.rc = -EPROTO;
			stream_batch_apply(&rec.u.batch, ram, ps);
			d.batches++;
			d.pages += rec.u.batch.count;
		}
		d.round_ends += rec.type == STREAM_REC_ROUND_END;
	}
	snprintf(d.err, sizeof(d.err), "%s", d.rc ? r.err : "");
	if (d.rc)
		printf("# decode: %s\n", d.err);
	stream_reader_free(&r);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return d;
}

#endif
