/* SPDX-License-Identifier: MIT */
/*
 * The reader's BATCH records: header and page entries checked, then either read whole into r->rec or
 * landed straight in guest RAM (stream_reader_land), checked by the reader or its checker thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/util.h"
#include "mig/stream_priv.h"

/*
 * A batch's header (round, count, reserved word) at p, and whether its count entries fit the record;
 * everything a landing reader needs to know before it reads the entries.
 */
static int r_batch_head(struct stream_reader *r, uint32_t type, uint32_t len, const uint8_t *p, struct stream_batch *b)
{
	b->round = stream_get_le64(p);
	b->count = stream_get_le32(p + 8);
	b->pages = r->pages;
	b->landed = false;
	if (stream_get_le32(p + 12))
		return RFAIL(r, "round %" PRIu64 ": reserved word 0x%08x, must be 0", b->round,
			     stream_get_le32(p + 12));
	if (b->count == 0 || b->count > STREAM_BATCH_MAX)
		return RFAIL(r, "round %" PRIu64 ": page count %u out of range 1..%u", b->round, b->count,
			     STREAM_BATCH_MAX);
	if (BATCH_HDR + (uint64_t)b->count * PAGE_ENTRY > len)
		return RFAIL(r, "page %u of %u runs past the end of the %u-byte record",
			     (uint32_t)((len - BATCH_HDR) / PAGE_ENTRY), b->count, len);
	return 0;
}

/*
 * The page entries after the batch header at p: flags, indices (against the RAM and, landing, the
 * landing area), the record's length against the data they announce, and the round order (stepped on
 * *rounds). Data pointers are left for the caller. *zeros: the zero pages among them.
 */
static int r_batch_pages(struct stream_reader *r, uint32_t type, uint32_t len, const uint8_t *p,
			 const struct stream_batch *b, struct stream_rounds *rounds, uint32_t *zeros)
{
	uint32_t ps = r->hdr.page_size, ndata = 0;
	uint64_t need, dup, sorted[STREAM_BATCH_MAX];
	char why[160];

	*zeros = 0;
	for (uint32_t i = 0; i < b->count; i++) {
		struct stream_page *pg = &r->pages[i];
		const uint8_t *e = p + BATCH_HDR + (size_t)i * PAGE_ENTRY;

		pg->index = stream_get_le64(e);
		pg->flags = stream_get_le32(e + 8);
		pg->data = NULL;
		if (pg->flags & ~STREAM_PAGE_ZERO)
			return RFAIL(r, "page %u of %u: unknown flags 0x%x (only bit 0, zero page, is defined)", i,
				     b->count, pg->flags);
		if (pg->index >= r->ram_pages)
			return RFAIL(r,
				     "round %" PRIu64 ", page %u of %u: index %" PRIu64 " out of range "
				     "(RAM has %" PRIu64 " pages)",
				     b->round, i, b->count, pg->index, r->ram_pages);
		if (r->land.base && pg->index >= r->land.size / ps)
			return RFAIL(r,
				     "round %" PRIu64 ", page %u of %u: index %" PRIu64 " past the landing area "
				     "(%" PRIu64 " pages)",
				     b->round, i, b->count, pg->index, r->land.size / ps);
		if (pg->flags & STREAM_PAGE_ZERO)
			(*zeros)++;
		else
			ndata++;
		sorted[i] = pg->index;
	}
	/* A page at most once per batch: applied in entry order or landed (data first, zero pages after the
	 * checksum), a page sent twice would end differently, and its first stretch be hashed after the
	 * second overwrote it. No writer sends one (a batch comes from a dirty bitmap). */
	if (stream_index_repeats(sorted, b->count, &dup))
		return RFAIL(r, "round %" PRIu64 ": page index %" PRIu64 " appears twice in the batch", b->round, dup);
	need = BATCH_HDR + (uint64_t)b->count * PAGE_ENTRY + (uint64_t)ndata * ps;
	if (need > len)
		return RFAIL(r, "the data of %u pages (%" PRIu64 " bytes) runs past the end of the %u-byte record",
			     ndata, (uint64_t)ndata * ps, len);
	if (need < len)
		return RFAIL(r, "%" PRIu64 " trailing bytes after %u pages", len - need, b->count);
	if (stream_round_step(rounds, b->round, false, why, sizeof(why)))
		return RFAIL(r, "%s", why);
	rounds->pages += b->count;
	return 0;
}

/* A batch read whole into r->rec (no landing area): its data pages point into it. */
int stream_r_batch(struct stream_reader *r, uint32_t type, uint32_t len, struct stream_batch *b)
{
	const uint8_t *data = r->rec + BATCH_HDR;
	uint32_t zeros;
	int rc = r_batch_head(r, type, len, r->rec, b);

	if (!rc)
		rc = r_batch_pages(r, type, len, r->rec, b, &r->rounds, &zeros);
	if (rc)
		return rc;
	data += (size_t)b->count * PAGE_ENTRY;
	for (uint32_t i = 0; i < b->count; i++) {
		if (r->pages[i].flags & STREAM_PAGE_ZERO)
			continue;
		r->pages[i].data = data;
		data += r->hdr.page_size;
	}
	r->totals.pages += b->count;
	r->totals.zero_pages += zeros;
	return 0;
}

/*
 * A batch into the landing area (stream_reader_land; its SAFETY note says why data may land before
 * its checksum is checked). Header and entries first, all checked; then the data with readv straight
 * into the pages, one gather entry per stretch of pages that follow each other in RAM; then the
 * checksum over the frame head, header, entries and the data where it landed; then, only if it
 * matched, the zero pages cleared and the round's bookkeeping committed.
 * With a checker thread, the checksum and the zero pages are its work (stream_checker_hand) while
 * this thread reads the next batch; the bookkeeping is committed at once (a failure ends the stream
 * anyway), and a batch whose pages the checked one has lands only after that check.
 */
int stream_r_batch_land(struct stream_reader *r, const uint8_t h[8], uint32_t type, uint32_t len, const char *what,
			struct stream_batch *b)
{
	struct stream_rounds rounds = r->rounds;
	uint64_t lo = UINT64_MAX, hi = 0;
	uint32_t ps = r->hdr.page_size, zeros;
	size_t got, ents = 0, nv = 0, done = 8;
	struct iovec *v = r->land.iov;
	XXH64_state_t st;
	uint8_t c[CHECKSUM_LEN];
	int rc = stream_r_room(r, BATCH_HDR + STREAM_BATCH_MAX * PAGE_ENTRY, what);

	if (rc)
		return rc;
	r->seq++; /* the messages below name this record; after any failure the stream is over */
	rc = stream_r_get(r, r->rec, BATCH_HDR, &got);
	if (!rc) {
		done += got;
		rc = r_batch_head(r, type, len, r->rec, b);
		if (rc)
			return rc;
		ents = (size_t)b->count * PAGE_ENTRY;
		rc = stream_r_get(r, r->rec + BATCH_HDR, ents, &got);
	}
	if (rc)
		return stream_r_io_fail(r, rc, done + got, (size_t)len + 8 + CHECKSUM_LEN, what);
	done += got;
	rc = r_batch_pages(r, type, len, r->rec, b, &rounds, &zeros);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < b->count; i++) {
		struct stream_page *pg = &r->pages[i];
		uint8_t *at = r->land.base + pg->index * ps;

		lo = pg->index < lo ? pg->index : lo;
		hi = pg->index > hi ? pg->index : hi;
		if (pg->flags & STREAM_PAGE_ZERO)
			continue;
		pg->data = at;
		if (nv && (uint8_t *)v[nv - 1].iov_base + v[nv - 1].iov_len == at)
			v[nv - 1].iov_len += ps;
		else
			v[nv++] = (struct iovec){ .iov_base = at, .iov_len = ps };
	}
	/* Within a round a source sends indices in increasing order, but nothing here relies on it. */
	rc = stream_checker_before_land(r, lo, hi);
	if (rc)
		return rc;
	XXH64_reset(&st, 0);
	hash_stream_update(&st, h, 8);
	hash_stream_update(&st, r->rec, BATCH_HDR + ents);
	rc = stream_r_getv(r, v, nv, r->checker ? NULL : &st, &got);
	if (!rc) {
		done += got;
		rc = stream_r_get(r, c, CHECKSUM_LEN, &got);
	}
	if (rc)
		return stream_r_io_fail(r, rc, done + got, (size_t)len + 8 + CHECKSUM_LEN, what);
	if (r->checker) {
		rc = stream_checker_hand(r, h, stream_get_le64(c), what);
	} else {
		rc = stream_sum_check(stream_get_le64(c), XXH64_digest(&st), what, r->err, sizeof(r->err));
		for (uint32_t i = 0; i < b->count && !rc; i++)
			if (r->pages[i].flags & STREAM_PAGE_ZERO)
				memset(r->land.base + r->pages[i].index * ps, 0, ps);
	}
	if (rc)
		return rc;
	r->rounds = rounds;
	r->totals.pages += b->count;
	r->totals.zero_pages += zeros;
	b->landed = true;
	return 0;
}

int stream_reader_land(struct stream_reader *r, void *ram, uint64_t size)
{
	if (ram && !size)
		return stream_r_err(r, -EINVAL, "landing area of 0 bytes");
	/* The batch in the check, if any, is the old area's: done with it before the area changes. */
	if (stream_checker_wait(r))
		return -EBADMSG;
	r->land.base = ram;
	r->land.size = ram ? size : 0;
	return 0;
}

void stream_batch_apply(const struct stream_batch *b, void *ram, uint32_t page_size)
{
	if (b->landed)
		return; /* the reader put it there already (stream_reader_land) */
	for (uint32_t i = 0; i < b->count; i++) {
		uint8_t *dst = (uint8_t *)ram + b->pages[i].index * page_size;

		if (b->pages[i].data)
			memcpy(dst, b->pages[i].data, page_size);
		else
			memset(dst, 0, page_size);
	}
}
