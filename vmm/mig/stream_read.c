/* SPDX-License-Identifier: MIT */
/* The stream's reader: frames, checks (checksum, bounds, reserved fields, order, totals) and decodes each record. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "mig/stream_priv.h"

/* Payload length bounds of each record type; HEADER and fixed records need an exact length. */
static void len_bounds(const struct stream_reader *r, uint32_t type, uint64_t *min, uint64_t *max)
{
	uint64_t ps = r->hdr.page_size;

	*min = 0;
	*max = 0;
	switch (type) {
	case STREAM_REC_HEADER:
		*min = *max = HEADER_LEN;
		break;
	case STREAM_REC_BATCH:
		*min = BATCH_HDR + PAGE_ENTRY;
		*max = BATCH_HDR + STREAM_BATCH_MAX * (PAGE_ENTRY + ps);
		break;
	case STREAM_REC_VCPU:
		*min = VCPU_HDR;
		*max = VCPU_HDR + STREAM_VCPU_MAX_REGS * (REG_ENTRY + STREAM_REG_MAX);
		break;
	case STREAM_REC_HASHES:
		*min = HASHES_HDR + 8;
		*max = HASHES_HDR + STREAM_HASHES_MAX * 8ULL;
		break;
	case STREAM_REC_ROUND_END:
		*min = *max = 16;
		break;
	case STREAM_REC_END:
		*min = *max = 24;
		break;
	case STREAM_REC_VERIFIED:
		*min = *max = 16;
		break;
	case STREAM_REC_ABORT:
		*max = STREAM_REASON_MAX;
		break;
	}
}

/*
 * Reads the next record's frame head into h and checks its tag, its place (only HEADER and ABORT may
 * come before the header is known: the other bounds need the page size) and its length; what names
 * the record and the stream offset it starts at, for every message about it.
 */
static int r_frame(struct stream_reader *r, uint8_t h[8], uint32_t *type, uint32_t *len, char *what, size_t wlen)
{
	uint64_t seq = r->seq + 1, min, max;
	uint32_t tag;
	size_t got;
	int rc;

	r->rec_start = r->bytes;
	snprintf(what, wlen, "record #%" PRIu64 " at byte %" PRIu64, seq, r->rec_start);
	rc = stream_r_get(r, h, 8, &got);
	if (rc)
		return stream_r_io_fail(r, rc, got, 8, what);
	tag = stream_get_le32(h);
	*len = stream_get_le32(h + 4);
	*type = tag & 0xffff;
	if ((tag & 0xffff0000u) != STREAM_TAG_BASE || *type < 1 || *type > STREAM_REC_LAST)
		return stream_r_err(r, -EBADMSG,
				    "%s: bad tag 0x%08x (unknown record type, or the stream is out of sync)", what,
				    tag);
	if (!r->header_done && *type != STREAM_REC_HEADER && *type != STREAM_REC_ABORT)
		return stream_r_err(r, -EBADMSG, "%s: expected a header, got a %s record", what,
				    stream_rec_name(*type));
	snprintf(what, wlen, "record #%" PRIu64 " (%s) at byte %" PRIu64, seq, stream_rec_name(*type), r->rec_start);
	len_bounds(r, *type, &min, &max);
	if (*len < min || *len > max)
		return stream_r_err(r, -EBADMSG, "%s: length %u out of range %" PRIu64 "..%" PRIu64, what, *len, min,
				    max);
	return 0;
}

int stream_r_room(struct stream_reader *r, size_t n, const char *what)
{
	uint8_t *p;

	if (r->rec_cap >= n)
		return 0;
	p = realloc(r->rec, n);
	if (!p)
		return stream_r_err(r, -ENOMEM, "%s: no memory for %zu bytes", what, n);
	r->rec = p;
	r->rec_cap = n;
	return 0;
}

/* The checksum the record carries against the one computed over what arrived. */
static int r_sum(struct stream_reader *r, uint64_t want_sum, uint64_t sum, const char *what)
{
	return stream_sum_check(want_sum, sum, what, r->err, sizeof(r->err));
}

/* The payload (len bytes) and checksum of the record whose frame head is h, into r->rec, checked. */
static int r_payload(struct stream_reader *r, const uint8_t h[8], uint32_t len, const char *what)
{
	size_t got;
	int rc = stream_r_room(r, (size_t)len + CHECKSUM_LEN, what);

	if (rc)
		return rc;
	rc = stream_r_get(r, r->rec, (size_t)len + CHECKSUM_LEN, &got);
	if (rc)
		return stream_r_io_fail(r, rc, got + 8, (size_t)len + 8 + CHECKSUM_LEN, what);
	rc = r_sum(r, stream_get_le64(r->rec + len), stream_record_checksum(h, r->rec, len), what);
	if (rc)
		return rc;
	r->seq++;
	return 0;
}

/* A whole record into r->rec, framing and checksum checked; the payload is then decoded by type. */
static int r_record(struct stream_reader *r, uint32_t *type, uint32_t *len)
{
	uint8_t h[8];
	char what[96];
	int rc = r_frame(r, h, type, len, what, sizeof(what));

	return rc ? rc : r_payload(r, h, *len, what);
}

/* Copies the ABORT reason, made printable, and reports it. */
static int r_abort(struct stream_reader *r, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		r->abort_reason[i] = (r->rec[i] >= 0x20 && r->rec[i] < 0x7f) ? (char)r->rec[i] : '?';
	r->abort_reason[len] = '\0';
	r->ended = true;
	return stream_r_err(r, -ECANCELED, "peer aborted: %s", r->abort_reason);
}

int stream_read_header(struct stream_reader *r, struct stream_header *h)
{
	uint8_t p[STREAM_PREAMBLE_LEN];
	uint32_t type, len;
	size_t got;
	char why[STREAM_ERR_LEN - 64];
	int rc;

	memset(h, 0, sizeof(*h));
	if (r->header_done)
		return stream_r_err(r, -EINVAL, "stream_read_header called twice");
	rc = stream_r_get(r, p, sizeof(p), &got);
	if (rc)
		return stream_r_io_fail(r, rc, got, sizeof(p), "the preamble (byte 0)");
	if (memcmp(p, STREAM_MAGIC, 8)) {
		static const char hex[] = "0123456789abcdef";
		char shown[8 * 4 + 1];
		size_t n = 0;

		/* Printable bytes as is, others as \xNN: "GET / HT" or "\x00\x00..." both read well. */
		for (int i = 0; i < 8; i++) {
			if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
				shown[n++] = (char)p[i];
				continue;
			}
			shown[n++] = '\\';
			shown[n++] = 'x';
			shown[n++] = hex[p[i] >> 4];
			shown[n++] = hex[p[i] & 15];
		}
		shown[n] = '\0';
		return stream_r_err(r, -EBADMSG,
				    "preamble at byte 0: bad magic: expected \"%s\", got \"%s\" (not an rvmig stream)",
				    STREAM_MAGIC, shown);
	}
	h->version = stream_get_le32(p + 8);
	if (h->version != STREAM_VERSION)
		return stream_r_err(r, -EPROTONOSUPPORT,
				    "preamble at byte 8: stream version %u, this rvmig reads version %u "
				    "(source and destination must run the same rvmig)",
				    h->version, STREAM_VERSION);
	if (stream_get_le32(p + 12))
		return stream_r_err(r, -EBADMSG, "preamble at byte 12: reserved word is 0x%08x, must be 0",
				    stream_get_le32(p + 12));
	rc = r_record(r, &type, &len);
	if (rc)
		return rc;
	if (type == STREAM_REC_ABORT)
		return r_abort(r, len);
	h->page_size = stream_get_le32(r->rec);
	h->nr_vcpus = stream_get_le32(r->rec + 4);
	h->ram_base = stream_get_le64(r->rec + 8);
	h->ram_size = stream_get_le64(r->rec + 16);
	h->backing = stream_get_le32(r->rec + 24);
	h->abi_version = stream_get_le32(r->rec + 28);
	h->backing_page_size = stream_get_le64(r->rec + 32);
	h->flags = stream_get_le64(r->rec + 40);
	if (h->flags & ~STREAM_HDR_FLAGS)
		return stream_r_err(r, -EBADMSG,
				    "record #%" PRIu64 " (header) at byte %" PRIu64 ": flags 0x%" PRIx64
				    ", only bits 0 (no verify) and 1 (Linux guest) are defined",
				    r->seq, r->rec_start, h->flags);
	rc = stream_header_sane(h, why, sizeof(why));
	if (rc)
		return stream_r_err(r, rc, "record #%" PRIu64 " (header) at byte %" PRIu64 ": %s", r->seq, r->rec_start,
				    why);
	r->hdr = *h;
	r->ram_pages = h->ram_size / h->page_size;
	r->header_done = true;
	return 0;
}

static int r_vcpu(struct stream_reader *r, uint32_t type, uint32_t len, struct stream_vcpu *v)
{
	const uint8_t *p = r->rec;
	size_t off = VCPU_HDR;

	v->id = stream_get_le32(p);
	v->nregs = stream_get_le32(p + 4);
	v->regs = r->regs;
	if (v->id >= r->hdr.nr_vcpus)
		return RFAIL(r, "vCPU id %u out of range (the VM has %u vCPUs)", v->id, r->hdr.nr_vcpus);
	if (r->vcpus_seen[v->id / 64] & (1ULL << (v->id % 64)))
		return RFAIL(r, "second state for vCPU %u", v->id);
	if (v->nregs > STREAM_VCPU_MAX_REGS)
		return RFAIL(r, "vCPU %u: %u registers (at most %u)", v->id, v->nregs, STREAM_VCPU_MAX_REGS);
	for (uint32_t i = 0; i < v->nregs; i++) {
		struct stream_reg *g = &r->regs[i];

		if (len - off < REG_ENTRY)
			return RFAIL(r, "vCPU %u: register %u of %u runs past the end of the record", v->id, i,
				     v->nregs);
		g->id = stream_get_le64(p + off);
		g->size = stream_get_le32(p + off + 8);
		off += REG_ENTRY;
		if (g->size == 0 || g->size > STREAM_REG_MAX || len - off < g->size)
			return RFAIL(r, "vCPU %u: register 0x%" PRIx64 " has size %u (1..%u, %zu bytes left)", v->id,
				     g->id, g->size, STREAM_REG_MAX, len - off);
		g->value = p + off;
		off += g->size;
	}
	if (off != len)
		return RFAIL(r, "vCPU %u: %zu trailing bytes", v->id, len - off);
	r->vcpus_seen[v->id / 64] |= 1ULL << (v->id % 64);
	return 0;
}

static int r_hashes(struct stream_reader *r, uint32_t type, uint32_t len, struct stream_hashes *hs)
{
	const uint8_t *p = r->rec;
	uint64_t nblocks;

	hs->block_size = stream_get_le64(p);
	hs->first = stream_get_le64(p + 8);
	hs->count = stream_get_le32(p + 16);
	hs->hashes = r->hashes;
	if (stream_get_le32(p + 20))
		return RFAIL(r, "reserved word 0x%08x, must be 0", stream_get_le32(p + 20));
	if (!is_pow2(hs->block_size) || hs->block_size < r->hdr.page_size)
		return RFAIL(r, "block size %" PRIu64 " is not a power of two >= the page size", hs->block_size);
	nblocks = r->hdr.ram_size / hs->block_size + (r->hdr.ram_size % hs->block_size != 0);
	if (hs->count == 0 || len != HASHES_HDR + (uint64_t)hs->count * 8)
		return RFAIL(r, "count %u does not fit the %u-byte record", hs->count, len);
	if (hs->first >= nblocks || hs->count > nblocks - hs->first)
		return RFAIL(r, "blocks %" PRIu64 "..%" PRIu64 " past the last block %" PRIu64, hs->first,
			     hs->first + hs->count - 1, nblocks - 1);
	for (uint32_t i = 0; i < hs->count; i++)
		r->hashes[i] = stream_get_le64(p + HASHES_HDR + 8 * (size_t)i);
	return 0;
}

static int r_round_end(struct stream_reader *r, uint32_t type, struct stream_record *rec)
{
	uint64_t round = stream_get_le64(r->rec), pages = stream_get_le64(r->rec + 8);
	uint64_t got = r->rounds.open && r->rounds.cur == round ? r->rounds.pages : 0;
	char why[160];

	rec->u.round_end.round = round;
	rec->u.round_end.pages = pages;
	if (stream_round_step(&r->rounds, round, true, why, sizeof(why)))
		return RFAIL(r, "%s", why);
	if (pages != got)
		return RFAIL(r, "round %" PRIu64 ": sender sent %" PRIu64 " pages, received %" PRIu64, round, pages,
			     got);
	return 0;
}

static int r_end(struct stream_reader *r, uint32_t type, struct stream_totals *t)
{
	t->pages = stream_get_le64(r->rec);
	t->zero_pages = stream_get_le64(r->rec + 8);
	t->bytes = stream_get_le64(r->rec + 16);
	if (r->rounds.open)
		return RFAIL(r, "end while round %" PRIu64 " is open (no round-end)", r->rounds.cur);
	if (t->pages != r->totals.pages)
		return RFAIL(r, "sender sent %" PRIu64 " pages, received %" PRIu64, t->pages, r->totals.pages);
	if (t->zero_pages != r->totals.zero_pages)
		return RFAIL(r, "sender sent %" PRIu64 " zero pages, received %" PRIu64, t->zero_pages,
			     r->totals.zero_pages);
	if (t->bytes != r->rec_start)
		return RFAIL(r, "sender wrote %" PRIu64 " bytes before the end record, received %" PRIu64, t->bytes,
			     r->rec_start);
	r->totals.bytes = r->rec_start;
	r->ended = true;
	return 0;
}

/* stream_next's work, timed by it. */
static int r_next(struct stream_reader *r, struct stream_record *rec)
{
	uint32_t type, len;
	uint8_t h[8];
	char what[96];
	int rc;

	memset(rec, 0, sizeof(*rec));
	if (!r->header_done || r->ended)
		return stream_r_err(r, -EINVAL, "stream_next %s",
				    r->ended ? "after the end of the stream" : "before stream_read_header");
	rc = r_frame(r, h, &type, &len, what, sizeof(what));
	if (rc)
		return rc;
	rec->type = type;
	rec->seq = r->seq + 1;
	if (type == STREAM_REC_BATCH && r->land.base)
		return stream_r_batch_land(r, h, type, len, what, &rec->u.batch);
	rc = r_payload(r, h, len, what);
	if (rc)
		return rc;
	switch (type) {
	case STREAM_REC_HEADER:
		return RFAIL(r, "%s", "second header in the stream");
	case STREAM_REC_BATCH:
		return stream_r_batch(r, type, len, &rec->u.batch);
	case STREAM_REC_VCPU:
		return r_vcpu(r, type, len, &rec->u.vcpu);
	case STREAM_REC_HASHES:
		return r_hashes(r, type, len, &rec->u.hashes);
	case STREAM_REC_ROUND_END:
		return r_round_end(r, type, rec);
	case STREAM_REC_END:
		return r_end(r, type, &rec->u.end);
	case STREAM_REC_VERIFIED:
		rec->u.verified.hash_ns = stream_get_le64(r->rec);
		rec->u.verified.wait_ns = stream_get_le64(r->rec + 8);
		return 0;
	default:
		return r_abort(r, len);
	}
}

int stream_next(struct stream_reader *r, struct stream_record *rec)
{
	uint64_t t0 = stream_now_ns(), read0 = r->t.read_ns;
	/* A checker's failure is an earlier record's: it comes first, and ends the stream. */
	int rc = stream_checker_failed(r) ? (memset(rec, 0, sizeof(*rec)), stream_checker_wait(r)) : r_next(r, rec);

	/* Anything but a landed batch waits for the checks: a ROUND_END, VCPU, END... is returned only
	 * once every batch before it matched its checksum (see stream_reader_land's SAFETY). */
	if (r->checker && (rc || rec->type != STREAM_REC_BATCH)) {
		int crc = stream_checker_wait(r);

		rc = crc ? crc : rc;
	}

	r->t.check_ns += stream_now_ns() - t0 - (r->t.read_ns - read0);
	return rc;
}
