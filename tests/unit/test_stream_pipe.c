/*
 * Unit tests of the pipelined stream: the writer's sender thread (stream_writer_start_sender: double
 * buffering, drain, a sender failure coming back from the next call) and the landing reader's checker
 * thread (stream_reader_start_checker: a corrupted batch named, nothing after it returned before the
 * check, a batch re-sending pages of the batch in the check landing only after that check).
 * Streams go through socketpairs with tiny buffers, so that writes are partial and both sides wait.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mig/stream.h"
#include "mig/stream_probe.h"
#include "rvmig_abi.h"
#include "stream_rig.h"
#include "stream_shape.h"

#define PS       4096u
#define RAM_SIZE (4u << 20) /* 1024 pages */
#define NPAGES   (RAM_SIZE / PS)
#define ODD      37u /* round 1's batch size: many batches, none aligned with anything */

static const struct stream_header shape = STREAM_TEST_SHAPE(PS, RAM_SIZE, 1, STREAM_BACKING_HUGETLB_2M, 2u << 20);

static uint8_t *src_ram;

/* What the writer sends in every mode: round 1 all RAM in batches of ODD pages (zero copy when asked),
 * round 2 a few pages copied (precopy's way), then END. */
static int send_stream(struct stream_writer *w, bool zero_copy)
{
	uint64_t idx[STREAM_BATCH_MAX];
	int rc = stream_write_header(w, &shape);

	w->zero_copy = zero_copy;
	for (uint32_t p = 0; !rc && p < NPAGES;) {
		uint32_t n = 0;

		while (n < ODD && p < NPAGES)
			idx[n++] = p++;
		rc = stream_write_batch(w, 1, idx, n, src_ram);
	}
	w->zero_copy = false;
	if (!rc)
		rc = stream_write_round_end(w, 1);
	idx[0] = 7;
	idx[1] = 0;
	idx[2] = NPAGES - 2;
	if (!rc)
		rc = stream_write_batch(w, 2, idx, 3, src_ram);
	if (!rc)
		rc = stream_write_round_end(w, 2);
	if (!rc)
		rc = stream_write_end(w);
	return rc;
}

static size_t capture(bool zero_copy, bool sender, uint8_t **out, int *short_writes)
{
	return rig_capture(send_stream, zero_copy, sender, RAM_SIZE * 2, out, short_writes);
}

/* Landing, with the checker thread or not. */
static struct rig_decoded decode(const uint8_t *bytes, size_t len, uint8_t *ram, bool checker)
{
	return rig_decode(bytes, len, ram, RAM_SIZE, PS, true, checker);
}

/* Stream offset of record #seq (HEADER = 1) in a captured stream, or 0. */
static size_t record_at(const uint8_t *b, size_t len, uint64_t seq)
{
	size_t off = STREAM_PREAMBLE_LEN;

	for (uint64_t s = 1; off + 8 <= len; s++) {
		if (s == seq)
			return off;
		off += 8 + stream_get_le32(b + off + 4) + 8;
	}
	return 0;
}

/* ---- the sender thread ---- */

static void test_sender_round_trip(void)
{
	uint8_t *plain = NULL, *zc = NULL, *piped = NULL, *piped_zc = NULL, *ram = malloc(RAM_SIZE);
	int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t n0 = capture(false, false, &plain, &s0), n1 = capture(true, false, &zc, &s1);
	size_t n2 = capture(false, true, &piped, &s2), n3 = capture(true, true, &piped_zc, &s3);
	uint32_t batches = (NPAGES + ODD - 1) / ODD;
	struct rig_decoded d;

	CHECK(n0 > RAM_SIZE / 2 && s0 != 255 && s1 != 255, "one thread: %zu bytes copying, %zu zero copy", n0, n1);
	CHECK(s2 != 255 && s3 != 255 && s3 > 0,
	      "sender thread: both streams written, drained; partial writes resumed on it (%d, %d)", s2, s3);
	CHECK(n2 == n0 && !memcmp(plain, piped, n0),
	      "sender thread, copying: byte for byte the one-thread stream (%zu bytes, %u batches)", n2, batches + 1);
	CHECK(n3 == n0 && !memcmp(plain, piped_zc, n0) && n1 == n0 && !memcmp(plain, zc, n0),
	      "sender thread, zero copy: byte for byte the one-thread stream");
	memset(ram, 0x5a, RAM_SIZE);
	d = decode(piped_zc, n3, ram, true);
	CHECK(d.rc == 0 && d.pages == NPAGES + 3 && d.batches == batches + 1,
	      "pipelined both ends: %ld pages in %llu batches landed and checked (%s)", d.pages,
	      (unsigned long long)d.batches, d.err);
	CHECK(!memcmp(ram, src_ram, RAM_SIZE), "pipelined both ends: RAM equals the source's, zero pages cleared");
	free(plain);
	free(zc);
	free(piped);
	free(piped_zc);
	free(ram);
}

/* Nobody reads: the batch call hands its 2 MiB over and returns; the sender's timeout comes back from
 * drain, and again (sticky, same message) from every call after it. */
static void test_sender_error(void)
{
	int sv[2], small = 4096;
	struct stream_writer w;
	uint64_t idx[STREAM_BATCH_MAX];
	struct stream_reg reg = { .id = 1, .size = 8, .value = "12345678" };
	int rc, again, later;

	for (uint32_t i = 0; i < STREAM_BATCH_MAX; i++)
		idx[i] = i + 1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || stream_writer_init(&w, sv[0])) {
		CHECK(0, "socketpair and writer");
		return;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	rc = stream_writer_start_sender(&w);
	w.timeout_ms = 300;
	if (!rc)
		rc = stream_write_header(&w, &shape);
	w.zero_copy = true;
	if (!rc)
		rc = stream_write_batch(&w, 1, idx, STREAM_BATCH_MAX, src_ram);
	CHECK(rc == 0 && w.len == 0 && w.niov == 0,
	      "sender thread: a 2 MiB zero-copy batch to a reader that never reads is handed over, the call returns");
	rc = stream_writer_drain(&w);
	CHECK(rc == -ETIMEDOUT && strstr(w.err, "write:"), "drain: the sender's timeout, with its message: %s", w.err);
	again = stream_write_batch(&w, 1, idx, 4, src_ram);
	later = stream_write_vcpu(&w, 0, &reg, 1);
	CHECK(again == -ETIMEDOUT && later == -ETIMEDOUT && strstr(w.err, "write:"),
	      "the sender's failure is sticky: the next calls return it (%d, %d)", again, later);
	stream_writer_free(&w);
	close(sv[0]);
	close(sv[1]);

	/* The peer closes while the sender writes: the next writer call (no flush of its own) says so. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || stream_writer_init(&w, sv[0])) {
		CHECK(0, "socketpair and writer");
		return;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	rc = stream_writer_start_sender(&w);
	w.timeout_ms = 5000;
	if (!rc)
		rc = stream_write_header(&w, &shape);
	w.zero_copy = true;
	if (!rc)
		rc = stream_write_batch(&w, 1, idx, STREAM_BATCH_MAX, src_ram);
	close(sv[1]);
	for (int i = 0; i < 200 && !rc; i++) { /* the sender finds out on its next write */
		usleep(5000);
		rc = stream_write_vcpu(&w, 0, &reg, 1); /* buffered: it flushes nothing */
	}
	CHECK(rc == -EPIPE && strstr(w.err, "peer closed"),
	      "a sender's EPIPE comes back from a later buffered call with its message: %s", w.err);
	stream_writer_free(&w);
	close(sv[0]);
}

/* After drain nothing refers to RAM any more: what the caller writes there then is not in the stream. */
static void test_drain(void)
{
	uint8_t *ram = malloc(RAM_SIZE), *copy = malloc(RAM_SIZE), *out = malloc(RAM_SIZE * 2);
	uint64_t idx[STREAM_BATCH_MAX];
	int sv[2], small = 4096, st = 0;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	memcpy(ram, src_ram, RAM_SIZE);
	memcpy(copy, src_ram, RAM_SIZE);
	for (uint32_t i = 0; i < STREAM_BATCH_MAX; i++)
		idx[i] = i;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		CHECK(0, "socketpair");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct stream_writer w;
		int rc;

		close(sv[0]);
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
		if (stream_writer_init(&w, sv[1]) || stream_writer_start_sender(&w))
			_exit(2);
		w.timeout_ms = 10000;
		rc = stream_write_header(&w, &shape);
		w.zero_copy = true;
		if (!rc)
			rc = stream_write_batch(&w, 1, idx, STREAM_BATCH_MAX, ram);
		if (!rc)
			rc = stream_writer_drain(&w);
		memset(ram, 0xee, RAM_SIZE); /* "the vCPUs run again" */
		if (!rc)
			rc = stream_write_round_end(&w, 1);
		if (!rc)
			rc = stream_write_end(&w);
		stream_writer_free(&w);
		_exit(rc ? 1 : 0);
	}
	close(sv[1]);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	while ((n = read(sv[0], out + len, len < 65536 ? 1000 : RAM_SIZE * 2 - len)) > 0) {
		len += (size_t)n;
		if (len < 65536)
			usleep(200); /* the batch is still in flight when drain is called */
	}
	close(sv[0]);
	waitpid(pid, &st, 0);
	{
		uint8_t *land = calloc(1, RAM_SIZE);
		struct rig_decoded d = decode(out, len, land, true);

		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && d.rc == 0 && d.pages == STREAM_BATCH_MAX,
		      "drain: the batch went out whole and checks (%s)", d.err);
		CHECK(!memcmp(land, copy, (size_t)STREAM_BATCH_MAX * PS),
		      "drain: RAM written after drain returned is not in the stream");
		free(land);
	}
	free(ram);
	free(copy);
	free(out);
}

/* ---- the checker thread ---- */

static void test_checker_corrupt(void)
{
	uint8_t *bytes = NULL, *ram = malloc(RAM_SIZE);
	int sw = 0;
	size_t len = capture(true, false, &bytes, &sw);
	uint32_t batches = (NPAGES + ODD - 1) / ODD;
	/* Record #2 is round 1's first batch: corrupt the 6th and the last batch of round 1. */
	const uint64_t victims[] = { 2 + 5, 2 + batches - 1 };

	for (size_t v = 0; v < sizeof(victims) / sizeof(victims[0]); v++) {
		uint64_t seq = victims[v];
		size_t off = record_at(bytes, len, seq), rlen = stream_get_le32(bytes + off + 4);
		char want[64];
		struct rig_decoded d, one;

		bytes[off + 8 + rlen - 100] ^= 0x10; /* a data byte of its last page */
		memset(ram, 0x5a, RAM_SIZE);
		d = decode(bytes, len, ram, true);
		one = decode(bytes, len, ram, false);
		snprintf(want, sizeof(want), "record #%llu (batch) at byte %zu: checksum", (unsigned long long)seq,
			 off);
		CHECK(d.rc == -EBADMSG && strstr(d.err, want), "checker: corrupted batch #%llu named: %s",
		      (unsigned long long)seq, d.err);
		CHECK(d.round_ends == 0 && d.batches <= seq - 1,
		      "checker: no round-end after it, and at most the batches up to it returned (%llu)",
		      (unsigned long long)d.batches);
		CHECK(one.rc == -EBADMSG && !strcmp(one.err, d.err), "one thread: the same verdict and message");
		bytes[off + 8 + rlen - 100] ^= 0x10;
	}
	free(bytes);
	free(ram);
}

/*
 * A batch re-sending pages of the batch before it (in one round: the reader allows it, in another
 * round after a ROUND_END it is ordinary), many times over: the later data wins and no check fails, so
 * no batch ever landed over a batch still in its check.
 */
static void test_checker_overlap(void)
{
	uint8_t *ram = calloc(1, RAM_SIZE), *b = malloc(RAM_SIZE), *bytes = malloc(RAM_SIZE * 4);
	int sv[2];
	size_t len = 0;
	int ok = 1;

	rig_fill(b, RAM_SIZE, PS, 0x1234567, 5);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		CHECK(0, "socketpair");
		return;
	}
	{
		/* The stream, written by a child, into bytes. */
		pid_t pid = fork();

		if (pid == 0) {
			struct stream_writer w;
			uint64_t idx[STREAM_BATCH_MAX], tail[3] = { 3, 300, 511 };
			int rc;

			close(sv[0]);
			if (stream_writer_init(&w, sv[1]))
				_exit(1);
			rc = stream_write_header(&w, &shape);
			for (uint32_t i = 0; i < STREAM_BATCH_MAX; i++)
				idx[i] = i;
			for (int rep = 0; rep < 8 && !rc; rep++) {
				rc = stream_write_batch(&w, 1 + rep, idx, STREAM_BATCH_MAX, rep & 1 ? b : src_ram);
				if (!rc)
					rc = stream_write_batch(&w, 1 + rep, tail, 3, rep & 1 ? src_ram : b);
				if (!rc)
					rc = stream_write_round_end(&w, 1 + rep);
			}
			if (!rc)
				rc = stream_write_end(&w);
			_exit(rc ? 1 : 0);
		}
		close(sv[1]);
		for (ssize_t n; (n = read(sv[0], bytes + len, RAM_SIZE * 4 - len)) > 0;)
			len += (size_t)n;
		close(sv[0]);
		waitpid(pid, NULL, 0);
	}
	for (int run = 0; run < 10; run++) {
		struct rig_decoded d;

		memset(ram, 0x77, RAM_SIZE);
		d = decode(bytes, len, ram, true);
		ok &= d.rc == 0 && d.pages == 8 * (STREAM_BATCH_MAX + 3);
		/* Last round (rep 7): everything from b, then pages 3, 300, 511 from src_ram. */
		for (uint32_t p = 0; p < STREAM_BATCH_MAX && ok; p++) {
			const uint8_t *want = (p == 3 || p == 300 || p == 511 ? src_ram : b) + (size_t)p * PS;

			ok &= !memcmp(ram + (size_t)p * PS, want, PS);
		}
		if (!ok)
			printf("# run %d: %s\n", run, d.err);
	}
	CHECK(ok, "checker: batches re-sending pages of the batch in the check land after it, 10 runs x 16 "
		  "batches: all checked, the later data in RAM");
	free(ram);
	free(b);
	free(bytes);
}

/* The bench's probe, pipelined: dst holds src. */
static void test_probe_pipelined(void)
{
	uint8_t *dst = calloc(1, RAM_SIZE);
	struct stream_probe_ns t = { 0 };
	char err[320] = "";
	int rc = dst ? stream_probe(src_ram, dst, RAM_SIZE, &t, err, sizeof(err)) : -ENOMEM;

	CHECK(rc == 0 && t.stream_pipe_ns > 0 && t.stream_ns > 0,
	      "stream probe: one thread and pipelined both timed (%s)", rc ? err : "ok");
	CHECK(dst && !memcmp(dst, src_ram, RAM_SIZE), "stream probe: the pipelined stream left the source's bytes");
	free(dst);
}

int main(void)
{
	src_ram = malloc(RAM_SIZE);
	if (!src_ram)
		return 1;
	rig_fill(src_ram, RAM_SIZE, PS, 0x2545f4914f6cdd1dULL, 5);
	test_sender_round_trip();
	test_sender_error();
	test_drain();
	test_checker_corrupt();
	test_checker_overlap();
	test_probe_pipelined();
	free(src_ram);
	CHECK_DONE();
}
