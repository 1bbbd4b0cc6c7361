/*
 * The reply path of a big guest: the destination's RAM hashes arrive over several HASHES records
 * (the writer splits at STREAM_HASHES_MAX) and the source takes them with stream_read_hashes. A forged
 * shape of 200,000 2M blocks (~390 GiB; no RAM behind it, only the hashes) goes through a file, then
 * every way the set can be wrong: a gap, an overlap, another block size, another record, an abort.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mig/hashes_collect.h"
#include "mig/stream.h"
#include "rvmig_abi.h"

#define BLOCK   (2ULL << 20)
#define NBLOCKS 200000ULL

static const struct stream_header big = {
	.version = STREAM_VERSION,
	.page_size = 4096,
	.ram_base = RVMIG_RAM_BASE,
	.ram_size = NBLOCKS * BLOCK,
	.nr_vcpus = 1,
	.backing = STREAM_BACKING_HUGETLB_2M,
	.backing_page_size = BLOCK,
	.abi_version = RVMIG_ABI_VERSION,
};

static uint64_t *sent, *got;

enum reply { FULL, GAP, OVERLAP, OTHER_BLOCK, END_EARLY, ABORT_MID };

/* Writes the destination's reply of the given kind into f. */
static void write_reply(FILE *f, enum reply kind)
{
	struct stream_writer w;

	if (stream_writer_init(&w, fileno(f)))
		return;
	stream_write_header(&w, &big);
	switch (kind) {
	case FULL:
		stream_write_hashes(&w, BLOCK, 0, sent, NBLOCKS);
		break;
	case GAP: /* the second record missing */
		stream_write_hashes(&w, BLOCK, 0, sent, STREAM_HASHES_MAX);
		stream_write_hashes(&w, BLOCK, 2 * STREAM_HASHES_MAX, sent + 2 * STREAM_HASHES_MAX,
				    NBLOCKS - 2 * STREAM_HASHES_MAX);
		break;
	case OVERLAP: /* the first record twice */
		stream_write_hashes(&w, BLOCK, 0, sent, STREAM_HASHES_MAX);
		stream_write_hashes(&w, BLOCK, 0, sent, NBLOCKS);
		break;
	case OTHER_BLOCK:
		stream_write_hashes(&w, BLOCK / 2, 0, sent, STREAM_HASHES_MAX);
		break;
	case END_EARLY:
		stream_write_hashes(&w, BLOCK, 0, sent, STREAM_HASHES_MAX);
		stream_write_end(&w);
		break;
	case ABORT_MID:
		stream_write_hashes(&w, BLOCK, 0, sent, STREAM_HASHES_MAX);
		stream_write_abort(&w, "destination out of memory");
		break;
	}
	stream_flush(&w);
	stream_writer_free(&w);
}

/* Reads a reply back as the source does. Returns stream_read_hashes' rc; err and seen filled. */
static int read_reply(enum reply kind, char *err, size_t len, unsigned *seen)
{
	FILE *f = tmpfile();
	struct stream_reader r;
	struct stream_header h;
	int rc;

	if (!f || stream_reader_init(&r, -1))
		return -ENOMEM;
	write_reply(f, kind);
	rewind(f);
	stream_reader_reset(&r, fileno(f));
	memset(got, 0, NBLOCKS * sizeof(uint64_t));
	rc = stream_read_header(&r, &h);
	if (!rc)
		rc = stream_read_hashes(&r, BLOCK, NBLOCKS, got, seen);
	snprintf(err, len, "%s", rc == -ECANCELED ? r.abort_reason : r.err);
	stream_reader_free(&r);
	fclose(f);
	return rc;
}

int main(void)
{
	char err[STREAM_ERR_LEN + 8];
	unsigned seen;
	int rc;

	sent = malloc(NBLOCKS * sizeof(uint64_t));
	got = malloc(NBLOCKS * sizeof(uint64_t));
	if (!sent || !got)
		return 1;
	for (uint64_t i = 0; i < NBLOCKS; i++)
		sent[i] = (i + 1) * 0x9e3779b97f4a7c15ULL;

	rc = read_reply(FULL, err, sizeof(err), &seen);
	CHECK(rc == 0 && seen == 4, "200000 hashes (~390 GiB of 2M blocks) taken over 4 HASHES records (rc %d, %u, %s)",
	      rc, seen, err);
	CHECK(!memcmp(sent, got, NBLOCKS * sizeof(uint64_t)), "every block's hash in place");
	rc = read_reply(GAP, err, sizeof(err), &seen);
	CHECK(rc == -EBADMSG && strstr(err, "record #3 (hashes) at byte") &&
		      strstr(err, "hashes of blocks 131072..196607, expected the next from block 65536"),
	      "a missing record is refused: \"%s\"", err);
	rc = read_reply(OVERLAP, err, sizeof(err), &seen);
	CHECK(rc == -EBADMSG && strstr(err, "hashes of blocks 0..65535, expected the next from block 65536"),
	      "a record sent twice is refused: \"%s\"", err);
	rc = read_reply(OTHER_BLOCK, err, sizeof(err), &seen);
	CHECK(rc == -EBADMSG && strstr(err, "hashes of 1048576-byte blocks, expected 2097152-byte blocks"),
	      "another block size is refused: \"%s\"", err);
	rc = read_reply(END_EARLY, err, sizeof(err), &seen);
	CHECK(rc == -EBADMSG && strstr(err, "record #3 (end) at byte") &&
		      strstr(err, "expected hashes of blocks 65536..199999"),
	      "an end before all blocks is refused: \"%s\"", err);
	rc = read_reply(ABORT_MID, err, sizeof(err), &seen);
	CHECK(rc == -ECANCELED && !strcmp(err, "destination out of memory"),
	      "an abort half way is the peer's abort: \"%s\"", err);
	free(sent);
	free(got);
	CHECK_DONE();
}
