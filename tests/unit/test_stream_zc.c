/*
 * Unit tests of the zero-copy paths: lib/iov.c (resuming a partial writev), the stop-and-copy writer
 * (w->zero_copy: pages go from RAM through a gather list, no copy) over a socketpair whose send buffer
 * is tiny and whose writer does not block (MSG_DONTWAIT), so that nearly every sendmsg is partial: the
 * stream must come out byte for byte as the copying writer's, and decode into the same RAM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "lib/hash.h"
#include "lib/iov.h"
#include "mig/stream.h"
#include "mig/stream_probe.h"
#include "rvmig_abi.h"
#include "stream_rig.h"
#include "stream_shape.h"

#define PS       4096u
#define RAM_SIZE (4u << 20) /* 1024 pages: two full batches */
#define NPAGES   (RAM_SIZE / PS)

static const struct stream_header shape = STREAM_TEST_SHAPE(PS, RAM_SIZE, 1, STREAM_BACKING_HUGETLB_2M, 2u << 20);

static uint8_t *src_ram;

/* ---- iov_advance ---- */

static void test_iov_advance(void)
{
	char a[10], b[5], c[7];
	struct iovec v[4] = { { a, 10 }, { b, 5 }, { NULL, 0 }, { c, 7 } }, *p = v;
	size_t n = iov_advance(&p, 4, 0);

	CHECK(n == 4 && p == v && p->iov_len == 10, "iov_advance: nothing written leaves the list as it was");
	n = iov_advance(&p, n, 3);
	CHECK(n == 4 && p == v && p->iov_base == a + 3 && p->iov_len == 7,
	      "iov_advance: a partly written first entry is trimmed in place");
	n = iov_advance(&p, n, 7);
	CHECK(n == 3 && p == &v[1] && p->iov_base == b && p->iov_len == 5,
	      "iov_advance: the rest of an entry exactly: the next entry is first, untouched");
	n = iov_advance(&p, n, 6);
	CHECK(n == 1 && p == &v[3] && p->iov_base == c + 1 && p->iov_len == 6,
	      "iov_advance: across an entry and an empty one into the last (%zu left)", n);
	CHECK(iov_bytes(p, n) == 6, "iov_bytes: 6 bytes left");
	n = iov_advance(&p, n, 6);
	CHECK(n == 0, "iov_advance: everything written leaves no entry");
}

/* ---- page_is_zero: the word loop for aligned pages, the byte loop for the rest ---- */

static void test_page_is_zero(void)
{
	static uint64_t words[PS / 8 + 8]; /* 8-aligned */
	uint8_t *buf = (uint8_t *)words;
	int ok = 1;

	ok &= page_is_zero(buf, PS) && page_is_zero(buf + 1, PS - 1) && page_is_zero(buf + 8, 100);
	for (size_t i = 0; i < PS + 1; i += 13) {
		buf[i] = 0x40;
		ok &= !page_is_zero(buf, PS + 1);           /* aligned, a tail past the last 64-byte group */
		ok &= i == 0 || !page_is_zero(buf + 1, PS); /* unaligned start: bytes only */
		buf[i] = 0;
	}
	buf[PS] = 1;
	ok &= page_is_zero(buf, PS) && !page_is_zero(buf, PS + 1);
	buf[PS] = 0;
	CHECK(ok, "page_is_zero: one set byte found anywhere, aligned or not, in the 64-byte groups and the tail");
}

/* ---- the writer over a socketpair ---- */

/*
 * Header, round 1 = every page (two full batches: neighbours, merged into one gather entry per stretch
 * between zero pages), round 2 = 3 scattered pages, round 3 = stretches of neighbours out of order
 * (10..12, 40, 13, 41..42: 12 and 13 are neighbours in RAM but not in the batch, 40 follows 13), END.
 */
/* Pages decoded, or the failure. */
static long decoded_pages(struct rig_decoded d)
{
	return d.rc ? d.rc : d.pages;
}

static int send_stream(struct stream_writer *w, bool zero_copy)
{
	uint64_t idx[STREAM_BATCH_MAX];
	int rc;

	rc = stream_write_header(w, &shape);
	w->zero_copy = zero_copy;
	for (uint32_t b = 0; !rc && b < NPAGES / STREAM_BATCH_MAX; b++) {
		for (uint32_t i = 0; i < STREAM_BATCH_MAX; i++)
			idx[i] = b * STREAM_BATCH_MAX + i;
		rc = stream_write_batch(w, 1, idx, STREAM_BATCH_MAX, src_ram);
	}
	if (!rc)
		rc = stream_write_round_end(w, 1);
	idx[0] = 5;
	idx[1] = 0; /* a zero page */
	idx[2] = NPAGES - 1;
	if (!rc)
		rc = stream_write_batch(w, 2, idx, 3, src_ram);
	if (!rc)
		rc = stream_write_round_end(w, 2);
	{
		const uint64_t mix[] = { 10, 11, 12, 40, 13, 41, 42 };

		if (!rc)
			rc = stream_write_batch(w, 3, mix, 7, src_ram);
	}
	if (!rc)
		rc = stream_write_round_end(w, 3);
	if (!rc)
		rc = stream_write_end(w);
	return rc;
}

static void test_zero_copy_stream(void)
{
	uint8_t *copied = NULL, *zc = NULL, *ram = calloc(1, RAM_SIZE);
	int short_copy = 0, short_zc = 0;
	size_t ncopy = rig_capture(send_stream, false, false, RAM_SIZE * 2, &copied, &short_copy);
	size_t nzc = rig_capture(send_stream, true, false, RAM_SIZE * 2, &zc, &short_zc);
	long pages;

	CHECK(ncopy > RAM_SIZE / 2 && short_copy != 255, "copying writer: %zu bytes through a 4K socket buffer", ncopy);
	CHECK(short_zc != 255 && short_zc > 0, "zero-copy writer: partial sendmsg resumed %d times (or more)",
	      short_zc);
	CHECK(nzc == ncopy && !memcmp(copied, zc, ncopy),
	      "zero-copy stream is byte for byte the copying writer's (%zu and %zu bytes)", nzc, ncopy);
	pages = ram ? decoded_pages(rig_decode(zc, nzc, ram, RAM_SIZE, PS, false, false)) : -ENOMEM;
	CHECK(pages == NPAGES + 10, "zero-copy stream decodes: %ld pages (want %u)", pages, NPAGES + 10);
	CHECK(ram && !memcmp(ram, src_ram, RAM_SIZE), "decoded RAM equals the source's");
	if (ram)
		memset(ram, 0x5a, RAM_SIZE);
	pages = ram ? decoded_pages(rig_decode(zc, nzc, ram, RAM_SIZE, PS, true, false)) : -ENOMEM;
	CHECK(pages == NPAGES + 10, "zero-copy stream lands in RAM: %ld pages (want %u), every batch landed", pages,
	      NPAGES + 10);
	CHECK(ram && !memcmp(ram, src_ram, RAM_SIZE), "landed RAM equals the source's (zero pages cleared)");
	free(copied);
	free(zc);
	free(ram);
}

/* Timing figures add up: zero scan, encode and send each counted, and only where they happen. */
static void test_writer_stats(void)
{
	int sv[2];
	struct stream_writer w;
	uint64_t idx[4] = { 0, 1, 2, 3 };
	int rc;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || stream_writer_init(&w, sv[0])) {
		CHECK(0, "socketpair and writer");
		return;
	}
	rc = stream_write_header(&w, &shape);
	if (!rc)
		rc = stream_flush(&w);
	CHECK(!rc && w.t.zero_ns == 0 && w.t.copy_ns == 0 && w.t.send_ns > 0,
	      "header: only send time counted (zero %llu, copy %llu ns)", (unsigned long long)w.t.zero_ns,
	      (unsigned long long)w.t.copy_ns);
	w.zero_copy = true;
	rc = stream_write_batch(&w, 0, idx, 4, src_ram);
	CHECK(!rc && w.t.zero_ns > 0 && w.t.copy_ns > 0 && w.len == 0 && w.niov == 0,
	      "zero-copy batch: scanned, checksummed, and sent before the call returned");
	stream_writer_free(&w);
	close(sv[0]);
	close(sv[1]);
}

/* The bench's stream probe: the whole RAM arrives, checked, and every probe's time is there. */
static void test_stream_probe(void)
{
	uint8_t *dst = calloc(1, RAM_SIZE);
	struct stream_probe_ns t = { 0 };
	char err[320] = "";
	int rc = dst ? stream_probe(src_ram, dst, RAM_SIZE, &t, err, sizeof(err)) : -ENOMEM;

	CHECK(rc == 0 && t.stream_ns > 0 && t.memcpy_ns > 0 && t.xxh64_ns > 0 && t.socket_ns > 0 && t.shm_stream_ns > 0,
	      "stream probe: %u MiB through a socketpair and through the shm ring, with memcpy, XXH64 and the bare "
	      "socket over the same buffers (%s)",
	      RAM_SIZE >> 20, rc ? err : "ok");
	/* The bare ring's own bytes are not checked here (the last probe's stream fills dst after it): the
	 * ring's byte order is test_shm_link's, and the shm stream after it checksums every record. */
	CHECK(rc == 0 && t.ring_ns > 0, "stream probe: %u MiB through the bare shm ring, no records, timed (%s)",
	      RAM_SIZE >> 20, rc ? err : "ok");
	CHECK(dst && !memcmp(dst, src_ram, RAM_SIZE), "stream probe: the destination holds the source's bytes");
	rc = stream_probe(src_ram, dst, 1000, &t, err, sizeof(err));
	CHECK(rc == -EINVAL && strstr(err, "1000 bytes is not a non-zero multiple of 4096"),
	      "stream probe: a length of 1000 refused: %s", err);
	free(dst);
}

int main(void)
{
	src_ram = malloc(RAM_SIZE);
	if (!src_ram)
		return 1;
	rig_fill(src_ram, RAM_SIZE, PS, 0x2545f4914f6cdd1dULL, 3);
	test_iov_advance();
	test_page_is_zero();
	test_zero_copy_stream();
	test_writer_stats();
	test_stream_probe();
	free(src_ram);
	CHECK_DONE();
}
