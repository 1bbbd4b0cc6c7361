/* SPDX-License-Identifier: MIT */
/* The stream's writer: encodes each record, checks the order the caller sends them in. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/util.h"
#include "mig/stream_priv.h"

static int w_preamble(struct stream_writer *w)
{
	uint8_t p[STREAM_PREAMBLE_LEN] = { 0 };

	if (w->preamble_sent)
		return 0;
	memcpy(p, STREAM_MAGIC, 8);
	stream_put_le32(p + 8, STREAM_VERSION);
	w->preamble_sent = true;
	return stream_w_put(w, p, sizeof(p), false);
}

static int rec_begin(struct stream_writer *w, uint32_t type, uint64_t len)
{
	uint8_t h[8];

	if (stream_w_failed(w))
		return w->error;
	if (len > UINT32_MAX)
		return stream_w_err(w, -EINVAL, false, "%s record of %" PRIu64 " bytes is too long",
				    stream_rec_name(type), len);
	stream_put_le32(h, STREAM_TAG_BASE | type);
	stream_put_le32(h + 4, (uint32_t)len);
	XXH64_reset(&w->csum, 0);
	w->rec_start = w->bytes;
	w->rec_len = len;
	return stream_w_put(w, h, sizeof(h), true);
}

static int rec_end(struct stream_writer *w)
{
	uint8_t c[CHECKSUM_LEN];

	if (w->error)
		return w->error;
	if (w->bytes - w->rec_start != 8 + w->rec_len)
		return stream_w_err(w, -EPROTO, true,
				    "internal: record #%" PRIu64 " announced %" PRIu64 " payload bytes, wrote %" PRIu64,
				    w->seq + 1, w->rec_len, w->bytes - w->rec_start - 8);
	stream_put_le64(c, XXH64_digest(&w->csum));
	w->seq++;
	return stream_w_put(w, c, sizeof(c), false);
}

int stream_write_record(struct stream_writer *w, uint32_t type, const void *payload, uint32_t len)
{
	int rc = w_preamble(w);

	if (!rc)
		rc = rec_begin(w, type, len);
	if (!rc)
		rc = stream_w_put(w, payload, len, true);
	return rc ? rc : rec_end(w);
}

/* Writer-side order check: header first, nothing after END. */
/* The stream's last record: flushed and, with a sender thread, written, so its error is known now. */
static int w_flush_out(struct stream_writer *w)
{
	int rc = stream_flush(w), drained = stream_writer_drain(w);

	return rc ? rc : drained;
}

static int w_ready(struct stream_writer *w, const char *what)
{
	if (stream_w_failed(w))
		return w->error;
	if (!w->header_sent || w->ended)
		return stream_w_err(w, -EINVAL, false, "%s record %s", what,
				    w->ended ? "after the end record" : "before the header");
	return 0;
}

int stream_write_header(struct stream_writer *w, const struct stream_header *h)
{
	uint8_t p[HEADER_LEN] = { 0 };
	int rc;

	if (stream_w_failed(w))
		return w->error;
	if (w->header_sent)
		return stream_w_err(w, -EINVAL, false, "header written twice");
	if (stream_header_sane(h, w->err, sizeof(w->err)))
		return -EINVAL;
	stream_put_le32(p, h->page_size);
	stream_put_le32(p + 4, h->nr_vcpus);
	stream_put_le64(p + 8, h->ram_base);
	stream_put_le64(p + 16, h->ram_size);
	stream_put_le32(p + 24, h->backing);
	stream_put_le32(p + 28, h->abi_version);
	stream_put_le64(p + 32, h->backing_page_size);
	stream_put_le64(p + 40, h->flags);
	rc = stream_write_record(w, STREAM_REC_HEADER, p, sizeof(p));
	if (rc)
		return rc;
	w->header_sent = true;
	w->page_size = h->page_size;
	w->ram_pages = h->ram_size / h->page_size;
	w->nr_vcpus = h->nr_vcpus;
	return 0;
}

int stream_write_batch(struct stream_writer *w, uint64_t round, const uint64_t *idx, uint32_t count, const void *ram)
{
	bool zero[STREAM_BATCH_MAX];
	uint8_t e[BATCH_HDR];
	uint64_t len = BATCH_HDR, t0 = stream_now_ns(), t1, send0 = w->t.send_ns, dup, seen[STREAM_BATCH_MAX];
	int rc = w_ready(w, "batch");

	if (rc)
		return rc;
	if (count == 0 || count > STREAM_BATCH_MAX)
		return stream_w_err(w, -EINVAL, false, "batch of %u pages (1..%u)", count, STREAM_BATCH_MAX);
	if (w->rounds.open ? round != w->rounds.cur : (w->rounds.any_ended && round <= w->rounds.last))
		return stream_w_err(w, -EINVAL, false, "batch for round %" PRIu64 " out of order", round);
	/* A page twice in one batch: the reader rejects the record, and only after the bytes went out. */
	memcpy(seen, idx, count * sizeof(idx[0]));
	if (stream_index_repeats(seen, count, &dup))
		return stream_w_err(w, -EINVAL, false,
				    "batch of round %" PRIu64 ": page index %" PRIu64 " appears twice", round, dup);
	/* First pass: bounds and zero detection, which fix the record length before any byte goes out. */
	for (uint32_t i = 0; i < count; i++) {
		if (idx[i] >= w->ram_pages)
			return stream_w_err(w, -EINVAL, false,
					    "batch page %u: index %" PRIu64 " out of range (RAM has %" PRIu64 " pages)",
					    i, idx[i], w->ram_pages);
		zero[i] = page_is_zero((const uint8_t *)ram + idx[i] * w->page_size, w->page_size);
		len += PAGE_ENTRY + (zero[i] ? 0 : w->page_size);
	}
	t1 = stream_now_ns();
	w->t.zero_ns += t1 - t0;
	stream_put_le64(e, round);
	stream_put_le32(e + 8, count);
	stream_put_le32(e + 12, 0);
	rc = rec_begin(w, STREAM_REC_BATCH, len);
	if (!rc)
		rc = stream_w_put(w, e, BATCH_HDR, true);
	/* Every entry first (version 3): the destination knows where each page goes before its data. */
	for (uint32_t i = 0; i < count && !rc; i++) {
		stream_put_le64(e, idx[i]);
		stream_put_le32(e + 8, zero[i] ? STREAM_PAGE_ZERO : 0);
		rc = stream_w_put(w, e, PAGE_ENTRY, true);
		w->totals.zero_pages += zero[i];
	}
	/* Then the data, in entry order. Precopy copies (the guest runs: the checksum must be of the bytes
	 * sent); stop-and-copy points the gather list into RAM, which the paused vCPUs cannot change, one
	 * entry per stretch of pages that follow each other in RAM as they do in the batch. */
	for (uint32_t i = 0; i < count && !rc; i++) {
		const uint8_t *page = (const uint8_t *)ram + idx[i] * w->page_size;
		uint32_t n = 1;

		if (zero[i])
			continue;
		if (!w->zero_copy) {
			rc = stream_w_put(w, page, w->page_size, true);
			continue;
		}
		while (i + n < count && !zero[i + n] && idx[i + n] == idx[i] + n)
			n++;
		rc = stream_w_ref(w, page, (size_t)n * w->page_size);
		i += n - 1;
	}
	if (!rc)
		rc = rec_end(w);
	/* Zero copy: RAM leaves now, so no reference outlives the call in the pending list. Without a
	 * sender thread it is written before we return, and the caller's promise ends with this call; with
	 * one it is in flight while the caller encodes the next batch, until stream_writer_drain. */
	if (!rc && w->zero_copy)
		rc = stream_flush(w);
	w->t.copy_ns += stream_now_ns() - t1 - (w->t.send_ns - send0);
	if (rc)
		return rc;
	stream_round_step(&w->rounds, round, false, w->err, sizeof(w->err)); /* checked above */
	w->rounds.pages += count;
	w->totals.pages += count;
	return 0;
}

int stream_write_round_end(struct stream_writer *w, uint64_t round)
{
	uint8_t p[16];
	uint64_t pages = w->rounds.open ? w->rounds.pages : 0;
	int rc = w_ready(w, "round-end");

	if (rc)
		return rc;
	if (w->rounds.open ? round != w->rounds.cur : (w->rounds.any_ended && round <= w->rounds.last))
		return stream_w_err(w, -EINVAL, false, "round-end for round %" PRIu64 " out of order", round);
	stream_put_le64(p, round);
	stream_put_le64(p + 8, pages);
	rc = stream_write_record(w, STREAM_REC_ROUND_END, p, sizeof(p));
	if (rc)
		return rc;
	stream_round_step(&w->rounds, round, true, w->err, sizeof(w->err));
	return stream_flush(w);
}

int stream_write_vcpu(struct stream_writer *w, uint32_t vcpu_id, const struct stream_reg *regs, uint32_t nregs)
{
	uint8_t e[REG_ENTRY];
	uint64_t len = VCPU_HDR;
	int rc = w_ready(w, "vcpu");

	if (rc)
		return rc;
	if (vcpu_id >= w->nr_vcpus || nregs > STREAM_VCPU_MAX_REGS)
		return stream_w_err(w, -EINVAL, false, "vCPU %u with %u registers (limits %u, %u)", vcpu_id, nregs,
				    w->nr_vcpus, STREAM_VCPU_MAX_REGS);
	for (uint32_t i = 0; i < nregs; i++) {
		if (regs[i].size == 0 || regs[i].size > STREAM_REG_MAX)
			return stream_w_err(w, -EINVAL, false, "vCPU %u register 0x%" PRIx64 ": size %u (1..%u)",
					    vcpu_id, regs[i].id, regs[i].size, STREAM_REG_MAX);
		len += REG_ENTRY + regs[i].size;
	}
	stream_put_le32(e, vcpu_id);
	stream_put_le32(e + 4, nregs);
	rc = rec_begin(w, STREAM_REC_VCPU, len);
	if (!rc)
		rc = stream_w_put(w, e, VCPU_HDR, true);
	for (uint32_t i = 0; i < nregs && !rc; i++) {
		stream_put_le64(e, regs[i].id);
		stream_put_le32(e + 8, regs[i].size);
		rc = stream_w_put(w, e, REG_ENTRY, true);
		if (!rc)
			rc = stream_w_put(w, regs[i].value, regs[i].size, true);
	}
	return rc ? rc : rec_end(w);
}

int stream_write_hashes(struct stream_writer *w, uint64_t block_size, uint64_t first, const uint64_t *hashes,
			size_t count)
{
	uint8_t e[HASHES_HDR];
	int rc = w_ready(w, "hashes");

	if (rc)
		return rc;
	if (!is_pow2(block_size) || block_size < w->page_size || count == 0)
		return stream_w_err(w, -EINVAL, false, "hashes: block size %" PRIu64 ", %zu blocks", block_size, count);
	while (count && !rc) {
		uint32_t n = count > STREAM_HASHES_MAX ? STREAM_HASHES_MAX : (uint32_t)count;

		stream_put_le64(e, block_size);
		stream_put_le64(e + 8, first);
		stream_put_le32(e + 16, n);
		stream_put_le32(e + 20, 0);
		rc = rec_begin(w, STREAM_REC_HASHES, HASHES_HDR + (uint64_t)n * 8);
		if (!rc)
			rc = stream_w_put(w, e, HASHES_HDR, true);
		for (uint32_t i = 0; i < n && !rc; i++) {
			stream_put_le64(e, hashes[i]);
			rc = stream_w_put(w, e, 8, true);
		}
		if (!rc)
			rc = rec_end(w);
		hashes += n;
		first += n;
		count -= n;
	}
	return rc;
}

int stream_write_end(struct stream_writer *w)
{
	uint8_t p[24];
	int rc = w_ready(w, "end");

	if (rc)
		return rc;
	if (w->rounds.open)
		return stream_w_err(w, -EINVAL, false, "end record while round %" PRIu64 " is open", w->rounds.cur);
	w->totals.bytes = w->bytes;
	stream_put_le64(p, w->totals.pages);
	stream_put_le64(p + 8, w->totals.zero_pages);
	stream_put_le64(p + 16, w->totals.bytes);
	rc = stream_write_record(w, STREAM_REC_END, p, sizeof(p));
	if (rc)
		return rc;
	w->ended = true;
	return w_flush_out(w);
}

int stream_write_abort(struct stream_writer *w, const char *reason)
{
	size_t n = strlen(reason);
	int rc;

	if (n > STREAM_REASON_MAX)
		n = STREAM_REASON_MAX;
	rc = stream_write_record(w, STREAM_REC_ABORT, reason, (uint32_t)n);
	if (rc)
		return rc;
	w->ended = true;
	return w_flush_out(w);
}

int stream_write_verified(struct stream_writer *w, const struct stream_verified *v)
{
	uint8_t p[16];
	int rc = w_ready(w, "verified");

	if (rc)
		return rc;
	stream_put_le64(p, v->hash_ns);
	stream_put_le64(p + 8, v->wait_ns);
	return stream_write_record(w, STREAM_REC_VERIFIED, p, sizeof(p));
}
