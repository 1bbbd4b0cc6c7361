/*
 * Every single-bit flip of a small valid version-3 stream is rejected, with a message naming the
 * record (number) and the stream offset it starts at, or the preamble; once reading batches into the
 * reader's buffer and once landing them in a RAM buffer (stream_reader_land), as rvmig recv reads. The stream has what a
 * migration sends: batches of two rounds (data and zero pages), ROUND_ENDs, a VCPU record, HASHES
 * and END. The reserved fields are checked on their own with forged records whose checksum is right.
 * No fork per case: each variant goes through a pipe (the stream fits in its buffer).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lib/hash.h"
#include "mig/stream.h"
#include "rvmig_abi.h"
#include "stream_shape.h"

#define PS       4096u
#define RAM_SIZE (4u << 20) /* 1024 pages, 2 blocks of 2M */
#define BLOCK    (2u << 20)
#define MAX_RECS 16

static const struct stream_header shape = STREAM_TEST_SHAPE(PS, RAM_SIZE, 1, STREAM_BACKING_ANON, PS);

static uint8_t *ram, *land;         /* the source's RAM; the landing area, when landing */
static struct stream_reader reader; /* reset for each stream: no allocation per case */

/* Where a writer's bytes go: a file we read back (tmpfile), so the whole stream is at hand. */
static size_t slurp(FILE *f, uint8_t **out)
{
	long n = ftell(f);

	*out = malloc((size_t)n);
	rewind(f);
	return fread(*out, 1, (size_t)n, f);
}

typedef void (*writer_fn)(struct stream_writer *w);

static size_t write_stream(writer_fn fn, uint8_t **out)
{
	FILE *f = tmpfile();
	struct stream_writer w;
	size_t n = 0;

	if (!f || stream_writer_init(&w, fileno(f)))
		return 0;
	fn(&w);
	stream_flush(&w);
	stream_writer_free(&w);
	fseek(f, 0, SEEK_END);
	n = slurp(f, out);
	fclose(f);
	return n;
}

static void small_stream(struct stream_writer *w)
{
	uint64_t a[2] = { 1, 2 }, b[1] = { 3 }, c[1] = { 5 }, h[2];
	uint8_t v0[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, v1[16] = { 9 };
	struct stream_reg regs[2] = { { 0x8030000002000000ULL, 8, v0 }, { 0x8030000002000001ULL, 16, v1 } };

	stream_write_header(w, &shape);
	stream_write_batch(w, 0, a, 2, ram); /* page 1 data, page 2 zero */
	stream_write_round_end(w, 0);
	stream_write_batch(w, 1, b, 1, ram); /* zero */
	stream_write_batch(w, 1, c, 1, ram); /* zero */
	stream_write_round_end(w, 1);
	stream_write_vcpu(w, 0, regs, 2);
	hash_ram(ram, RAM_SIZE, BLOCK, h);
	stream_write_hashes(w, BLOCK, 0, h, 2);
	stream_write_end(w);
}

struct outcome {
	int rc; /* 0: END reached */
	char err[STREAM_ERR_LEN];
	uint64_t starts[MAX_RECS + 1]; /* starts[seq]: stream offset of record seq */
	uint64_t nrecs;
	unsigned zero_pages, vcpus, hash_records;
};

/* Reads bytes through a pipe with the stream reader, to END or the first error. */
static void read_stream(const uint8_t *s, size_t len, struct outcome *o)
{
	struct stream_reader *r = &reader;
	struct stream_header h;
	struct stream_record rec;
	int p[2];

	memset(o, 0, sizeof(*o));
	if (pipe(p) || (size_t)write(p[1], s, len) != len) {
		o->rc = -EIO;
		snprintf(o->err, sizeof(o->err), "test setup: pipe");
		return;
	}
	close(p[1]);
	stream_reader_reset(r, p[0]);
	o->rc = stream_read_header(r, &h);
	if (!o->rc && land)
		o->rc = stream_reader_land(r, land, RAM_SIZE);
	o->starts[1] = r->rec_start;
	o->nrecs = o->rc ? 0 : 1;
	while (!o->rc) {
		o->rc = stream_next(r, &rec);
		if (o->rc)
			break;
		if (rec.seq <= MAX_RECS)
			o->starts[rec.seq] = r->rec_start;
		o->nrecs = rec.seq;
		if (rec.type == STREAM_REC_BATCH)
			for (uint32_t i = 0; i < rec.u.batch.count; i++)
				o->zero_pages += rec.u.batch.pages[i].data == NULL;
		o->vcpus += rec.type == STREAM_REC_VCPU;
		o->hash_records += rec.type == STREAM_REC_HASHES;
		if (rec.type == STREAM_REC_END)
			break;
	}
	memcpy(o->err, r->err, sizeof(o->err));
	close(p[0]);
}

/* "needle" in msg, not followed by another digit (so "byte 80" does not match "byte 8000"). */
static int names(const char *msg, const char *needle)
{
	for (const char *m = strstr(msg, needle); m; m = strstr(m + 1, needle)) {
		char next = m[strlen(needle)];

		if (next < '0' || next > '9')
			return 1;
	}
	return 0;
}

/* The record that holds byte off of the valid stream (starts[] ascending), 0 for the preamble. */
static uint64_t record_at(const struct outcome *valid, uint64_t off)
{
	uint64_t k = 0;

	for (uint64_t i = 1; i <= valid->nrecs; i++)
		if (off >= valid->starts[i])
			k = i;
	return k;
}

static void test_every_bit(const char *mode)
{
	uint8_t *s;
	size_t len = write_stream(small_stream, &s);
	struct outcome valid, o;
	unsigned accepted = 0, unnamed = 0, tried = 0;
	char first_bad[STREAM_ERR_LEN + 64] = "";

	read_stream(s, len, &valid);
	CHECK(valid.rc == 0 && valid.nrecs == 9 && valid.zero_pages == 3 && valid.vcpus == 1 && valid.hash_records == 1,
	      "%sthe small stream is valid: 9 records (header, 3 batches, 2 round-ends, vcpu, hashes, end), 3 zero "
	      "pages, %zu bytes (rc %d, %s)",
	      mode, len, valid.rc, valid.err);
	for (size_t off = 0; off < len; off++) {
		uint64_t k = record_at(&valid, off);
		char rec_name[32], at[40];

		snprintf(rec_name, sizeof(rec_name), "record #%" PRIu64 " ", k);
		snprintf(at, sizeof(at), "at byte %" PRIu64, k ? valid.starts[k] : 0);
		for (int bit = 0; bit < 8; bit++) {
			int ok;

			s[off] ^= (uint8_t)(1u << bit);
			read_stream(s, len, &o);
			s[off] ^= (uint8_t)(1u << bit);
			tried++;
			accepted += o.rc == 0;
			ok = k ? names(o.err, rec_name) && names(o.err, at) : strstr(o.err, "preamble at byte") != NULL;
			if (o.rc && !ok && !unnamed++)
				snprintf(first_bad, sizeof(first_bad), "byte %zu bit %d: \"%s\"", off, bit, o.err);
		}
	}
	CHECK(tried == len * 8 && accepted == 0, "%severy one of %u single-bit flips rejected (%u accepted)", mode,
	      tried, accepted);
	CHECK(unnamed == 0, "%seach rejection names the record and its offset (or the preamble): %u do not%s%s", mode,
	      unnamed, unnamed ? ", first " : "", first_bad);
	free(s);
}

/* ---- reserved fields set, checksum right: the reader's own check must catch them ---- */

static void forged_batch_reserved(struct stream_writer *w)
{
	uint8_t p[16 + 12] = { 0 };

	stream_write_header(w, &shape);
	stream_put_le32(p + 8, 1); /* round 0, one page */
	stream_put_le32(p + 12, 0x100);
	stream_put_le64(p + 16, 2);
	stream_put_le32(p + 24, STREAM_PAGE_ZERO);
	stream_write_record(w, STREAM_REC_BATCH, p, sizeof(p));
}

static void forged_page_flags(struct stream_writer *w)
{
	uint8_t p[16 + 12] = { 0 };

	stream_write_header(w, &shape);
	stream_put_le32(p + 8, 1);
	stream_put_le64(p + 16, 2);
	stream_put_le32(p + 24, STREAM_PAGE_ZERO | 0x80000000u);
	stream_write_record(w, STREAM_REC_BATCH, p, sizeof(p));
}

static void forged_hashes_reserved(struct stream_writer *w)
{
	uint8_t p[24 + 8] = { 0 };

	stream_write_header(w, &shape);
	stream_put_le64(p, BLOCK);
	stream_put_le32(p + 16, 1);
	stream_put_le32(p + 20, 1);
	stream_write_record(w, STREAM_REC_HASHES, p, sizeof(p));
}

static void forged_header_flags(struct stream_writer *w)
{
	uint8_t p[48] = { 0 };

	stream_put_le32(p, PS);
	stream_put_le32(p + 4, 1);
	stream_put_le64(p + 8, RVMIG_RAM_BASE);
	stream_put_le64(p + 16, RAM_SIZE);
	stream_put_le64(p + 32, PS);
	stream_put_le64(p + 40, 1ULL << 63);
	stream_write_record(w, STREAM_REC_HEADER, p, sizeof(p));
}

static void test_reserved(void)
{
	static const struct {
		writer_fn fn;
		const char *msg, *what;
	} cases[] = {
		{ forged_batch_reserved, "record #2 (batch) at byte 80: round 0: reserved word 0x00000100, must be 0",
		  "batch reserved word" },
		{ forged_page_flags, "record #2 (batch) at byte 80: page 0 of 1: unknown flags 0x80000001",
		  "page flag bits other than ZERO" },
		{ forged_hashes_reserved, "record #2 (hashes) at byte 80: reserved word 0x00000001, must be 0",
		  "hashes reserved word" },
		{ forged_header_flags,
		  "record #1 (header) at byte 16: flags 0x8000000000000000, only bits 0 (no verify) and 1 (Linux guest) are defined",
		  "header flags" },
	};
	struct outcome o;
	uint8_t *s;
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = write_stream(cases[i].fn, &s);
		read_stream(s, len, &o);
		CHECK(o.rc == -EBADMSG && strstr(o.err, cases[i].msg), "%s%s set: refused (\"%s\")",
		      land ? "landing: " : "", cases[i].what, o.err);
		free(s);
	}
	len = write_stream(small_stream, &s);
	s[12] = 1;
	read_stream(s, len, &o);
	CHECK(o.rc == -EBADMSG && strstr(o.err, "preamble at byte 12: reserved word is 0x00000001, must be 0"),
	      "%spreamble reserved word set: refused (\"%s\")", land ? "landing: " : "", o.err);
	s[12] = 0;
	stream_put_le32(s + 8, 1);
	read_stream(s, len, &o);
	CHECK(o.rc == -EPROTONOSUPPORT && strstr(o.err, "stream version 1, this rvmig reads version 3"),
	      "%sa version-1 stream: refused naming both versions (\"%s\")", land ? "landing: " : "", o.err);
	stream_put_le32(s + 8, 2);
	read_stream(s, len, &o);
	CHECK(o.rc == -EPROTONOSUPPORT && strstr(o.err, "stream version 2, this rvmig reads version 3"),
	      "%sa version-2 stream: refused naming both versions (\"%s\")", land ? "landing: " : "", o.err);
	free(s);
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	if (!ram || stream_reader_init(&reader, -1))
		return 1;
	for (size_t i = 0; i < PS; i++)
		ram[PS + i] = (uint8_t)(i * 7 + 1); /* page 1 has data, the rest is zero */
	test_every_bit("");
	test_reserved();
	land = calloc(1, RAM_SIZE);
	if (!land)
		return 1;
	test_every_bit("landing: ");
	test_reserved();
	free(land);
	stream_reader_free(&reader);
	free(ram);
	CHECK_DONE();
}
