/* SPDX-License-Identifier: MIT */
/* The migration stream: format and error conventions are described in stream.h. */
#include "mig/stream.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/util.h"

#define HEADER_LEN    48
#define BATCH_HDR     STREAM_BATCH_HDR
#define PAGE_ENTRY    STREAM_PAGE_ENTRY
#define VCPU_HDR      8
#define REG_ENTRY     12
#define HASHES_HDR    24
#define IO_BUF        (256 * 1024)
#define PAGE_SIZE_MIN 4096u
#define PAGE_SIZE_MAX 65536u

/* ---- small helpers ------------------------------------------------------------------------ */

static void fmt(char *buf, size_t len, const char *f, va_list ap)
{
	if (len)
		vsnprintf(buf, len, f, ap);
}

/* Native 64-bit load of little-endian bytes: memcpy keeps it alignment-safe on any host. */
static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

uint32_t stream_crc32(uint32_t crc, const void *p, size_t n)
{
	/* zlib takes uInt lengths: feed big buffers in pieces. */
	while (n) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;

		crc = (uint32_t)crc32(crc, p, k);
		p = (const uint8_t *)p + k;
		n -= k;
	}
	return crc;
}

const char *stream_backing_name(uint32_t backing)
{
	static const char *const names[] = { "anon", "thp", "hugetlb-2M", "hugetlb-1G" };

	return backing < sizeof(names) / sizeof(names[0]) ? names[backing] : "unknown";
}

int stream_backing_parse(const char *name, uint32_t *backing)
{
	for (uint32_t b = STREAM_BACKING_ANON; b <= STREAM_BACKING_HUGETLB_1G; b++) {
		if (!strcmp(name, stream_backing_name(b))) {
			*backing = b;
			return 0;
		}
	}
	return -EINVAL;
}

const char *stream_rec_name(uint32_t type)
{
	static const char *const names[] = { NULL, "header", "batch", "vcpu", "hashes", "round-end",
					     "end", "abort" };

	return type >= 1 && type <= STREAM_REC_ABORT ? names[type] : "unknown";
}

/* ---- header checks -------------------------------------------------------------------------- */

/* Appends one "what differs: sender X, receiver Y" item to why (hex for addresses). */
static void differs(char *why, size_t len, size_t *used, const char *what, bool hex, uint64_t s,
		    uint64_t r)
{
	int n;

	if (*used >= len)
		return;
	if (hex)
		n = snprintf(why + *used, len - *used, "%s%s differs: sender 0x%" PRIx64 ", receiver 0x%"
			     PRIx64, *used ? "; " : "", what, s, r);
	else
		n = snprintf(why + *used, len - *used, "%s%s differs: sender %" PRIu64 ", receiver %"
			     PRIu64, *used ? "; " : "", what, s, r);
	*used += n > 0 ? (size_t)n : 0;
}

int stream_check_header(const struct stream_header *want, const struct stream_header *got, char *why,
			size_t len)
{
	size_t used = 0;
	int bad = 0;

	if (len)
		why[0] = '\0';
#define CMP(field, what, hex)                                                                \
	do {                                                                                 \
		if (want->field != got->field) {                                             \
			bad = 1;                                                             \
			differs(why, len, &used, what, hex, got->field, want->field);       \
		}                                                                            \
	} while (0)
	CMP(version, "stream version", false);
	CMP(page_size, "page size", false);
	CMP(ram_base, "RAM base", true);
	CMP(ram_size, "RAM size", false);
	CMP(nr_vcpus, "vCPU count", false);
	CMP(abi_version, "guest ABI version", false);
#undef CMP
	return bad ? -EINVAL : 0;
}

/* Sanity of one side's header on its own (either side: writer refuses, reader rejects). */
static int header_sane(const struct stream_header *h, char *why, size_t len)
{
	const char *bad = NULL;

	if (!is_pow2(h->page_size) || h->page_size < PAGE_SIZE_MIN || h->page_size > PAGE_SIZE_MAX)
		bad = "page size is not a power of two in 4096..65536";
	else if (h->ram_size == 0 || h->ram_size % h->page_size)
		bad = "RAM size is not a non-zero multiple of the page size";
	else if (h->ram_base % h->page_size)
		bad = "RAM base is not page aligned";
	else if (h->nr_vcpus == 0 || h->nr_vcpus > STREAM_MAX_VCPUS)
		bad = "vCPU count is not in 1..256";
	if (bad)
		snprintf(why, len, "header: %s (page size %u, RAM base 0x%" PRIx64 ", RAM size %" PRIu64
			 ", %u vCPUs)", bad, h->page_size, h->ram_base, h->ram_size, h->nr_vcpus);
	return bad ? -EBADMSG : 0;
}

/*
 * Round bookkeeping shared by writer and reader: batches of a round carry one number, a round ends
 * with ROUND_END, and round numbers strictly increase. `end` says whether this is a ROUND_END.
 */
struct rounds {
	bool *open, *any_ended;
	uint64_t *cur, *pages, *last;
};

static int round_step(struct rounds s, uint64_t round, bool end, char *why, size_t len)
{
	const char *what = end ? "round-end" : "batch";

	if (*s.open && round != *s.cur) {
		snprintf(why, len, "%s for round %" PRIu64 " while round %" PRIu64 " is open", what, round,
			 *s.cur);
		return -EBADMSG;
	}
	if (!*s.open && *s.any_ended && round <= *s.last) {
		snprintf(why, len, "%s for round %" PRIu64 " after round %" PRIu64 " already ended", what,
			 round, *s.last);
		return -EBADMSG;
	}
	if (!*s.open) {
		*s.open = true;
		*s.cur = round;
		*s.pages = 0;
	}
	if (end) {
		*s.open = false;
		*s.any_ended = true;
		*s.last = round;
	}
	return 0;
}

/* ---- writer --------------------------------------------------------------------------------- */

static int w_set(struct stream_writer *w, int rc, bool sticky, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	fmt(w->err, sizeof(w->err), f, ap);
	va_end(ap);
	if (sticky)
		w->error = rc;
	return rc;
}

int stream_writer_init(struct stream_writer *w, int fd)
{
	struct stat st;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->is_sock = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	w->cap = IO_BUF;
	w->buf = malloc(w->cap);
	return w->buf ? 0 : -ENOMEM;
}

void stream_writer_free(struct stream_writer *w)
{
	free(w->buf);
	w->buf = NULL;
}

int stream_flush(struct stream_writer *w)
{
	size_t off = 0;

	if (w->error)
		return w->error;
	while (off < w->len) {
		ssize_t n;
		int rc = w->timeout_ms > 0 ? fd_wait(w->fd, POLLOUT, w->timeout_ms) : 0;

		if (rc)
			return w_set(w, rc, true, "write: %s", strerror(-rc));
		/* MSG_NOSIGNAL: a vanished peer must be an -EPIPE here, not a SIGPIPE for the VMM.
		 * MSG_DONTWAIT: POLLOUT means some room, not room for all; a blocking send of the rest
		 * would wait for a stalled reader forever, past timeout_ms. */
		n = w->is_sock ? send(w->fd, w->buf + off, w->len - off,
				      MSG_NOSIGNAL | (w->timeout_ms > 0 ? MSG_DONTWAIT : 0))
			       : write(w->fd, w->buf + off, w->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = fd_wait(w->fd, POLLOUT, w->timeout_ms);
			if (rc)
				return w_set(w, rc, true, "write: %s", strerror(-rc));
			continue;
		}
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return w_set(w, -EPIPE, true, "peer closed the stream (write: %s)", strerror(errno));
		if (n <= 0)
			return w_set(w, n < 0 ? -errno : -EIO, true, "write: %s",
				     n < 0 ? strerror(errno) : "wrote nothing");
		off += (size_t)n;
	}
	w->len = 0;
	return 0;
}

/* Buffers bytes; with `crc`, adds them to the record crc, computed on the buffered copy (see below). */
static int w_raw(struct stream_writer *w, const void *p, size_t n, bool crc)
{
	const uint8_t *s = p;

	while (n) {
		size_t k = w->cap - w->len;
		int rc;

		if (k == 0) {
			rc = stream_flush(w);
			if (rc)
				return rc;
			k = w->cap;
		}
		if (k > n)
			k = n;
		memcpy(w->buf + w->len, s, k);
		/* The guest may rewrite a page while we copy it: checksum what is sent, not the source. */
		if (crc)
			w->crc = stream_crc32(w->crc, w->buf + w->len, k);
		w->len += k;
		w->bytes += k;
		s += k;
		n -= k;
	}
	return 0;
}

static int w_preamble(struct stream_writer *w)
{
	uint8_t p[STREAM_PREAMBLE_LEN] = { 0 };

	if (w->preamble_sent)
		return 0;
	memcpy(p, STREAM_MAGIC, 8);
	stream_put_le32(p + 8, STREAM_VERSION);
	w->preamble_sent = true;
	return w_raw(w, p, sizeof(p), false);
}

static int rec_begin(struct stream_writer *w, uint32_t type, uint64_t len)
{
	uint8_t h[8];

	if (w->error)
		return w->error;
	if (len > UINT32_MAX)
		return w_set(w, -EINVAL, false, "%s record of %" PRIu64 " bytes is too long",
			     stream_rec_name(type), len);
	stream_put_le32(h, STREAM_TAG_BASE | type);
	stream_put_le32(h + 4, (uint32_t)len);
	w->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	w->rec_start = w->bytes;
	w->rec_len = len;
	return w_raw(w, h, sizeof(h), true);
}

static int rec_end(struct stream_writer *w)
{
	uint8_t c[4];

	if (w->error)
		return w->error;
	if (w->bytes - w->rec_start != 8 + w->rec_len)
		return w_set(w, -EPROTO, true, "internal: record #%" PRIu64 " announced %" PRIu64
			     " payload bytes, wrote %" PRIu64, w->seq + 1, w->rec_len,
			     w->bytes - w->rec_start - 8);
	stream_put_le32(c, w->crc);
	w->seq++;
	return w_raw(w, c, sizeof(c), false);
}

int stream_write_record(struct stream_writer *w, uint32_t type, const void *payload, uint32_t len)
{
	int rc = w_preamble(w);

	if (!rc)
		rc = rec_begin(w, type, len);
	if (!rc)
		rc = w_raw(w, payload, len, true);
	return rc ? rc : rec_end(w);
}

/* Writer-side order check: header first, nothing after END. */
static int w_ready(struct stream_writer *w, const char *what)
{
	if (w->error)
		return w->error;
	if (!w->header_sent || w->ended)
		return w_set(w, -EINVAL, false, "%s record %s", what,
			     w->ended ? "after the end record" : "before the header");
	return 0;
}

int stream_write_header(struct stream_writer *w, const struct stream_header *h)
{
	uint8_t p[HEADER_LEN] = { 0 };
	int rc;

	if (w->error)
		return w->error;
	if (w->header_sent)
		return w_set(w, -EINVAL, false, "header written twice");
	if (header_sane(h, w->err, sizeof(w->err)))
		return -EINVAL;
	stream_put_le32(p, h->page_size);
	stream_put_le32(p + 4, h->nr_vcpus);
	stream_put_le64(p + 8, h->ram_base);
	stream_put_le64(p + 16, h->ram_size);
	stream_put_le32(p + 24, h->backing);
	stream_put_le32(p + 28, h->abi_version);
	stream_put_le64(p + 32, h->backing_page_size);
	rc = stream_write_record(w, STREAM_REC_HEADER, p, sizeof(p));
	if (rc)
		return rc;
	w->header_sent = true;
	w->page_size = h->page_size;
	w->ram_pages = h->ram_size / h->page_size;
	w->nr_vcpus = h->nr_vcpus;
	return 0;
}

static struct rounds w_rounds(struct stream_writer *w)
{
	return (struct rounds){ &w->round_open, &w->any_round_ended, &w->round, &w->round_pages,
				&w->last_round };
}

int stream_write_batch(struct stream_writer *w, uint64_t round, const uint64_t *idx, uint32_t count,
		       const void *ram)
{
	bool zero[STREAM_BATCH_MAX];
	uint8_t e[BATCH_HDR];
	uint64_t len = BATCH_HDR;
	int rc = w_ready(w, "batch");

	if (rc)
		return rc;
	if (count == 0 || count > STREAM_BATCH_MAX)
		return w_set(w, -EINVAL, false, "batch of %u pages (1..%u)", count, STREAM_BATCH_MAX);
	if (w->round_open ? round != w->round : (w->any_round_ended && round <= w->last_round))
		return w_set(w, -EINVAL, false, "batch for round %" PRIu64 " out of order", round);
	/* First pass: bounds and zero detection, which fix the record length before any byte goes out. */
	for (uint32_t i = 0; i < count; i++) {
		if (idx[i] >= w->ram_pages)
			return w_set(w, -EINVAL, false, "batch page %u: index %" PRIu64
				     " out of range (RAM has %" PRIu64 " pages)", i, idx[i], w->ram_pages);
		zero[i] = stream_page_is_zero((const uint8_t *)ram + idx[i] * w->page_size, w->page_size);
		len += PAGE_ENTRY + (zero[i] ? 0 : w->page_size);
	}
	stream_put_le64(e, round);
	stream_put_le32(e + 8, count);
	stream_put_le32(e + 12, 0);
	rc = rec_begin(w, STREAM_REC_BATCH, len);
	if (!rc)
		rc = w_raw(w, e, BATCH_HDR, true);
	for (uint32_t i = 0; i < count && !rc; i++) {
		stream_put_le64(e, idx[i]);
		stream_put_le32(e + 8, zero[i] ? STREAM_PAGE_ZERO : 0);
		rc = w_raw(w, e, PAGE_ENTRY, true);
		if (!rc && !zero[i])
			rc = w_raw(w, (const uint8_t *)ram + idx[i] * w->page_size, w->page_size, true);
		w->totals.zero_pages += zero[i];
	}
	if (!rc)
		rc = rec_end(w);
	if (rc)
		return rc;
	round_step(w_rounds(w), round, false, w->err, sizeof(w->err)); /* checked above */
	w->round_pages += count;
	w->totals.pages += count;
	return 0;
}

int stream_write_round_end(struct stream_writer *w, uint64_t round)
{
	uint8_t p[16];
	uint64_t pages = w->round_open ? w->round_pages : 0;
	int rc = w_ready(w, "round-end");

	if (rc)
		return rc;
	if (w->round_open ? round != w->round : (w->any_round_ended && round <= w->last_round))
		return w_set(w, -EINVAL, false, "round-end for round %" PRIu64 " out of order", round);
	stream_put_le64(p, round);
	stream_put_le64(p + 8, pages);
	rc = stream_write_record(w, STREAM_REC_ROUND_END, p, sizeof(p));
	if (rc)
		return rc;
	round_step(w_rounds(w), round, true, w->err, sizeof(w->err));
	return stream_flush(w);
}

int stream_write_vcpu(struct stream_writer *w, uint32_t vcpu_id, const struct stream_reg *regs,
		      uint32_t nregs)
{
	uint8_t e[REG_ENTRY];
	uint64_t len = VCPU_HDR;
	int rc = w_ready(w, "vcpu");

	if (rc)
		return rc;
	if (vcpu_id >= w->nr_vcpus || nregs > STREAM_VCPU_MAX_REGS)
		return w_set(w, -EINVAL, false, "vCPU %u with %u registers (limits %u, %u)", vcpu_id,
			     nregs, w->nr_vcpus, STREAM_VCPU_MAX_REGS);
	for (uint32_t i = 0; i < nregs; i++) {
		if (regs[i].size == 0 || regs[i].size > STREAM_REG_MAX)
			return w_set(w, -EINVAL, false, "vCPU %u register 0x%" PRIx64 ": size %u (1..%u)",
				     vcpu_id, regs[i].id, regs[i].size, STREAM_REG_MAX);
		len += REG_ENTRY + regs[i].size;
	}
	stream_put_le32(e, vcpu_id);
	stream_put_le32(e + 4, nregs);
	rc = rec_begin(w, STREAM_REC_VCPU, len);
	if (!rc)
		rc = w_raw(w, e, VCPU_HDR, true);
	for (uint32_t i = 0; i < nregs && !rc; i++) {
		stream_put_le64(e, regs[i].id);
		stream_put_le32(e + 8, regs[i].size);
		rc = w_raw(w, e, REG_ENTRY, true);
		if (!rc)
			rc = w_raw(w, regs[i].value, regs[i].size, true);
	}
	return rc ? rc : rec_end(w);
}

int stream_write_hashes(struct stream_writer *w, uint64_t block_size, uint64_t first,
			const uint64_t *hashes, size_t count)
{
	uint8_t e[HASHES_HDR];
	int rc = w_ready(w, "hashes");

	if (rc)
		return rc;
	if (!is_pow2(block_size) || block_size < w->page_size || count == 0)
		return w_set(w, -EINVAL, false, "hashes: block size %" PRIu64 ", %zu blocks", block_size,
			     count);
	while (count && !rc) {
		uint32_t n = count > STREAM_HASHES_MAX ? STREAM_HASHES_MAX : (uint32_t)count;

		stream_put_le64(e, block_size);
		stream_put_le64(e + 8, first);
		stream_put_le32(e + 16, n);
		stream_put_le32(e + 20, 0);
		rc = rec_begin(w, STREAM_REC_HASHES, HASHES_HDR + (uint64_t)n * 8);
		if (!rc)
			rc = w_raw(w, e, HASHES_HDR, true);
		for (uint32_t i = 0; i < n && !rc; i++) {
			stream_put_le64(e, hashes[i]);
			rc = w_raw(w, e, 8, true);
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
	if (w->round_open)
		return w_set(w, -EINVAL, false, "end record while round %" PRIu64 " is open", w->round);
	w->totals.bytes = w->bytes;
	stream_put_le64(p, w->totals.pages);
	stream_put_le64(p + 8, w->totals.zero_pages);
	stream_put_le64(p + 16, w->totals.bytes);
	rc = stream_write_record(w, STREAM_REC_END, p, sizeof(p));
	if (rc)
		return rc;
	w->ended = true;
	return stream_flush(w);
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
	return stream_flush(w);
}

/* ---- reader --------------------------------------------------------------------------------- */

static int r_set(struct stream_reader *r, int rc, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	fmt(r->err, sizeof(r->err), f, ap);
	va_end(ap);
	return rc;
}

int stream_reader_init(struct stream_reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->cap = IO_BUF;
	r->buf = malloc(r->cap);
	r->pages = calloc(STREAM_BATCH_MAX, sizeof(*r->pages));
	r->regs = calloc(STREAM_VCPU_MAX_REGS, sizeof(*r->regs));
	r->hashes = calloc(STREAM_HASHES_MAX, sizeof(*r->hashes));
	if (r->buf && r->pages && r->regs && r->hashes)
		return 0;
	stream_reader_free(r);
	return -ENOMEM;
}

void stream_reader_free(struct stream_reader *r)
{
	free(r->buf);
	free(r->rec);
	free(r->pages);
	free(r->regs);
	free(r->hashes);
	r->buf = r->rec = NULL;
	r->pages = NULL;
	r->regs = NULL;
	r->hashes = NULL;
}

/*
 * Reads exactly n bytes; *got says how many arrived. 0, -EPIPE on end of file (the peer closed),
 * -ETIMEDOUT or -errno. Big reads bypass the read-ahead buffer to save a copy.
 */
static int r_read(struct stream_reader *r, void *dst, size_t n, size_t *got)
{
	uint8_t *d = dst;

	*got = 0;
	while (*got < n) {
		size_t want = n - *got, room;
		uint8_t *into;
		ssize_t k;
		int rc;

		if (r->pos < r->len) {
			size_t c = r->len - r->pos < want ? r->len - r->pos : want;

			memcpy(d + *got, r->buf + r->pos, c);
			r->pos += c;
			*got += c;
			r->bytes += c;
			continue;
		}
		into = want >= r->cap ? d + *got : r->buf;
		room = want >= r->cap ? want : r->cap;
		rc = r->timeout_ms > 0 ? fd_wait(r->fd, POLLIN, r->timeout_ms) : 0;
		if (rc)
			return rc;
		k = read(r->fd, into, room);
		if (k < 0 && errno == EINTR)
			continue;   /* the buffer is still empty: back to the read */
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rc = fd_wait(r->fd, POLLIN, r->timeout_ms);
			if (rc)
				return rc;
			continue;
		}
		if (k < 0)
			return errno == ECONNRESET ? -EPIPE : -errno;
		if (k == 0)
			return -EPIPE;
		if (into == r->buf) {
			r->pos = 0;
			r->len = (size_t)k;
		} else {
			*got += (size_t)k;
			r->bytes += (size_t)k;
		}
	}
	return 0;
}

/* Message for a failed r_read of `what`. */
static int r_io_fail(struct stream_reader *r, int rc, size_t got, size_t n, const char *what)
{
	if (rc == -EPIPE && got == 0)
		return r_set(r, rc, "peer closed the stream before %s (after %" PRIu64 " bytes, %" PRIu64
			     " records)", what, r->bytes, r->seq);
	if (rc == -EPIPE)
		return r_set(r, rc, "truncated: peer closed after %zu of %zu bytes of %s", got, n, what);
	return r_set(r, rc, "reading %s: %s", what, strerror(-rc));
}

/* Payload length bounds of each record type; HEADER and fixed records need an exact length. */
static void len_bounds(const struct stream_reader *r, uint32_t type, uint64_t *min, uint64_t *max)
{
	uint64_t ps = r->hdr.page_size;

	*min = 0;
	*max = 0;
	switch (type) {
	case STREAM_REC_HEADER:    *min = *max = HEADER_LEN; break;
	case STREAM_REC_BATCH:     *min = BATCH_HDR + PAGE_ENTRY;
				   *max = BATCH_HDR + STREAM_BATCH_MAX * (PAGE_ENTRY + ps); break;
	case STREAM_REC_VCPU:      *min = VCPU_HDR;
				   *max = VCPU_HDR + STREAM_VCPU_MAX_REGS * (REG_ENTRY + STREAM_REG_MAX); break;
	case STREAM_REC_HASHES:    *min = HASHES_HDR + 8;
				   *max = HASHES_HDR + STREAM_HASHES_MAX * 8ULL; break;
	case STREAM_REC_ROUND_END: *min = *max = 16; break;
	case STREAM_REC_END:       *min = *max = 24; break;
	case STREAM_REC_ABORT:     *max = STREAM_REASON_MAX; break;
	}
}

/*
 * Reads one record into r->rec and checks its framing and crc; the payload is then decoded by type.
 * Only HEADER and ABORT may come before the header is known (the other bounds need the page size).
 */
static int r_record(struct stream_reader *r, uint32_t *type, uint32_t *len)
{
	uint8_t h[8];
	uint64_t seq = r->seq + 1, min, max;
	uint32_t tag, want_crc, crc;
	size_t got;
	char what[64];
	int rc;

	r->rec_start = r->bytes;
	snprintf(what, sizeof(what), "record #%" PRIu64, seq);
	rc = r_read(r, h, sizeof(h), &got);
	if (rc)
		return r_io_fail(r, rc, got, sizeof(h), what);
	tag = stream_get_le32(h);
	*len = stream_get_le32(h + 4);
	*type = tag & 0xffff;
	if ((tag & 0xffff0000u) != STREAM_TAG_BASE || *type < 1 || *type > STREAM_REC_ABORT)
		return r_set(r, -EBADMSG, "record #%" PRIu64 " at byte %" PRIu64 ": bad tag 0x%08x "
			     "(unknown record type, or the stream is out of sync)", seq, r->rec_start, tag);
	if (!r->header_done && *type != STREAM_REC_HEADER && *type != STREAM_REC_ABORT)
		return r_set(r, -EBADMSG, "record #%" PRIu64 ": expected a header, got a %s record", seq,
			     stream_rec_name(*type));
	len_bounds(r, *type, &min, &max);
	if (*len < min || *len > max)
		return r_set(r, -EBADMSG, "record #%" PRIu64 " (%s): length %u out of range %" PRIu64
			     "..%" PRIu64, seq, stream_rec_name(*type), *len, min, max);
	if (r->rec_cap < (size_t)*len + 4) {
		uint8_t *p = realloc(r->rec, (size_t)*len + 4);

		if (!p)
			return r_set(r, -ENOMEM, "record #%" PRIu64 ": no memory for %u bytes", seq, *len);
		r->rec = p;
		r->rec_cap = (size_t)*len + 4;
	}
	snprintf(what, sizeof(what), "record #%" PRIu64 " (%s)", seq, stream_rec_name(*type));
	rc = r_read(r, r->rec, (size_t)*len + 4, &got);
	if (rc)
		return r_io_fail(r, rc, got + 8, (size_t)*len + 12, what);
	want_crc = stream_get_le32(r->rec + *len);
	crc = stream_crc32(stream_crc32((uint32_t)crc32(0L, Z_NULL, 0), h, sizeof(h)), r->rec, *len);
	if (crc != want_crc)
		return r_set(r, -EBADMSG, "%s: crc mismatch: record carries 0x%08x, computed 0x%08x", what,
			     want_crc, crc);
	r->seq = seq;
	return 0;
}

/* Copies the ABORT reason, made printable, and reports it. */
static int r_abort(struct stream_reader *r, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		r->abort_reason[i] = (r->rec[i] >= 0x20 && r->rec[i] < 0x7f) ? (char)r->rec[i] : '?';
	r->abort_reason[len] = '\0';
	r->ended = true;
	return r_set(r, -ECANCELED, "peer aborted: %s", r->abort_reason);
}

int stream_read_header(struct stream_reader *r, struct stream_header *h)
{
	uint8_t p[STREAM_PREAMBLE_LEN];
	uint32_t type, len;
	size_t got;
	int rc;

	memset(h, 0, sizeof(*h));
	if (r->header_done)
		return r_set(r, -EINVAL, "stream_read_header called twice");
	rc = r_read(r, p, sizeof(p), &got);
	if (rc)
		return r_io_fail(r, rc, got, sizeof(p), "the preamble");
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
		return r_set(r, -EBADMSG, "bad magic: expected \"%s\", got \"%s\" (not an rvmig stream)",
			     STREAM_MAGIC, shown);
	}
	h->version = stream_get_le32(p + 8);
	if (h->version != STREAM_VERSION)
		return r_set(r, -EPROTONOSUPPORT, "unsupported stream version %u (this build reads %u)",
			     h->version, STREAM_VERSION);
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
	rc = header_sane(h, r->err, sizeof(r->err));
	if (rc)
		return rc;
	r->hdr = *h;
	r->ram_pages = h->ram_size / h->page_size;
	r->header_done = true;
	return 0;
}

static struct rounds r_rounds(struct stream_reader *r)
{
	return (struct rounds){ &r->round_open, &r->any_round_ended, &r->round, &r->round_pages,
				&r->last_round };
}

/* Prefix for decode errors: "record #7 (batch): ". */
#define RFAIL(r, f, ...) r_set(r, -EBADMSG, "record #%" PRIu64 " (%s): " f, (r)->seq, \
			       stream_rec_name(type), __VA_ARGS__)

static int r_batch(struct stream_reader *r, uint32_t type, uint32_t len, struct stream_batch *b)
{
	const uint8_t *p = r->rec;
	uint32_t ps = r->hdr.page_size, zeros = 0;
	size_t off = BATCH_HDR;
	char why[160];

	b->round = stream_get_le64(p);
	b->count = stream_get_le32(p + 8);
	b->pages = r->pages;
	if (b->count == 0 || b->count > STREAM_BATCH_MAX)
		return RFAIL(r, "round %" PRIu64 ": page count %u out of range 1..%u", b->round, b->count,
			     STREAM_BATCH_MAX);
	for (uint32_t i = 0; i < b->count; i++) {
		struct stream_page *pg = &r->pages[i];

		if (len - off < PAGE_ENTRY)
			return RFAIL(r, "page %u of %u runs past the end of the %u-byte record", i,
				     b->count, len);
		pg->index = stream_get_le64(p + off);
		pg->flags = stream_get_le32(p + off + 8);
		off += PAGE_ENTRY;
		if (pg->flags & ~STREAM_PAGE_ZERO)
			return RFAIL(r, "page %u of %u: unknown flags 0x%x", i, b->count, pg->flags);
		if (pg->index >= r->ram_pages)
			return RFAIL(r, "round %" PRIu64 ", page %u of %u: index %" PRIu64 " out of range "
				     "(RAM has %" PRIu64 " pages)", b->round, i, b->count, pg->index,
				     r->ram_pages);
		pg->data = NULL;
		if (pg->flags & STREAM_PAGE_ZERO) {
			zeros++;
			continue;
		}
		if (len - off < ps)
			return RFAIL(r, "page %u of %u: data runs past the end of the %u-byte record", i,
				     b->count, len);
		pg->data = p + off;
		off += ps;
	}
	if (off != len)
		return RFAIL(r, "%zu trailing bytes after %u pages", len - off, b->count);
	if (round_step(r_rounds(r), b->round, false, why, sizeof(why)))
		return RFAIL(r, "%s", why);
	r->round_pages += b->count;
	r->totals.pages += b->count;
	r->totals.zero_pages += zeros;
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
		return RFAIL(r, "vCPU %u: %u registers (at most %u)", v->id, v->nregs,
			     STREAM_VCPU_MAX_REGS);
	for (uint32_t i = 0; i < v->nregs; i++) {
		struct stream_reg *g = &r->regs[i];

		if (len - off < REG_ENTRY)
			return RFAIL(r, "vCPU %u: register %u of %u runs past the end of the record", v->id,
				     i, v->nregs);
		g->id = stream_get_le64(p + off);
		g->size = stream_get_le32(p + off + 8);
		off += REG_ENTRY;
		if (g->size == 0 || g->size > STREAM_REG_MAX || len - off < g->size)
			return RFAIL(r, "vCPU %u: register 0x%" PRIx64 " has size %u (1..%u, %zu bytes left)",
				     v->id, g->id, g->size, STREAM_REG_MAX, len - off);
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
	if (!is_pow2(hs->block_size) || hs->block_size < r->hdr.page_size)
		return RFAIL(r, "block size %" PRIu64 " is not a power of two >= the page size",
			     hs->block_size);
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
	uint64_t got = r->round_open && r->round == round ? r->round_pages : 0;
	char why[160];

	rec->u.round_end.round = round;
	rec->u.round_end.pages = pages;
	if (round_step(r_rounds(r), round, true, why, sizeof(why)))
		return RFAIL(r, "%s", why);
	if (pages != got)
		return RFAIL(r, "round %" PRIu64 ": sender sent %" PRIu64 " pages, received %" PRIu64,
			     round, pages, got);
	return 0;
}

static int r_end(struct stream_reader *r, uint32_t type, struct stream_totals *t)
{
	t->pages = stream_get_le64(r->rec);
	t->zero_pages = stream_get_le64(r->rec + 8);
	t->bytes = stream_get_le64(r->rec + 16);
	if (r->round_open)
		return RFAIL(r, "end while round %" PRIu64 " is open (no round-end)", r->round);
	if (t->pages != r->totals.pages)
		return RFAIL(r, "sender sent %" PRIu64 " pages, received %" PRIu64, t->pages,
			     r->totals.pages);
	if (t->zero_pages != r->totals.zero_pages)
		return RFAIL(r, "sender sent %" PRIu64 " zero pages, received %" PRIu64, t->zero_pages,
			     r->totals.zero_pages);
	if (t->bytes != r->rec_start)
		return RFAIL(r, "sender wrote %" PRIu64 " bytes before the end record, received %" PRIu64,
			     t->bytes, r->rec_start);
	r->totals.bytes = r->rec_start;
	r->ended = true;
	return 0;
}

int stream_next(struct stream_reader *r, struct stream_record *rec)
{
	uint32_t type, len;
	int rc;

	memset(rec, 0, sizeof(*rec));
	if (!r->header_done || r->ended)
		return r_set(r, -EINVAL, "stream_next %s", r->ended ? "after the end of the stream"
								   : "before stream_read_header");
	rc = r_record(r, &type, &len);
	if (rc)
		return rc;
	rec->type = type;
	rec->seq = r->seq;
	switch (type) {
	case STREAM_REC_HEADER:    return RFAIL(r, "%s", "second header in the stream");
	case STREAM_REC_BATCH:     return r_batch(r, type, len, &rec->u.batch);
	case STREAM_REC_VCPU:      return r_vcpu(r, type, len, &rec->u.vcpu);
	case STREAM_REC_HASHES:    return r_hashes(r, type, len, &rec->u.hashes);
	case STREAM_REC_ROUND_END: return r_round_end(r, type, rec);
	case STREAM_REC_END:       return r_end(r, type, &rec->u.end);
	default:                   return r_abort(r, len);
	}
}

void stream_batch_apply(const struct stream_batch *b, void *ram, uint32_t page_size)
{
	for (uint32_t i = 0; i < b->count; i++) {
		uint8_t *dst = (uint8_t *)ram + b->pages[i].index * page_size;

		if (b->pages[i].data)
			memcpy(dst, b->pages[i].data, page_size);
		else
			memset(dst, 0, page_size);
	}
}

/* ---- pages and hashes ----------------------------------------------------------------------- */

bool stream_page_is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i = 0;

	/* OR eight words at a time: one branch per 64 bytes, and most non-zero pages fail at once. */
	for (; i + 64 <= len; i += 64) {
		uint64_t acc = 0;

		for (int k = 0; k < 8; k++)
			acc |= load_le64(b + i + 8 * k);
		if (acc)
			return false;
	}
	for (; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* XXH64 (https://github.com/Cyan4973/xxHash, BSD-2): the reference algorithm with seed 0. */
#define XP1 0x9E3779B185EBCA87ULL
#define XP2 0xC2B2AE3D27D4EB4FULL
#define XP3 0x165667B19E3779F9ULL
#define XP4 0x85EBCA77C2B2AE63ULL
#define XP5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t xround(uint64_t acc, uint64_t in)
{
	return rotl64(acc + in * XP2, 31) * XP1;
}

static inline uint64_t xmerge(uint64_t h, uint64_t v)
{
	return (h ^ xround(0, v)) * XP1 + XP4;
}

uint64_t stream_hash_block(const void *p, size_t len)
{
	const uint8_t *b = p, *end = b + len;
	uint64_t h;

	if (len >= 32) {
		uint64_t v1 = XP1 + XP2, v2 = XP2, v3 = 0, v4 = -XP1;

		for (; end - b >= 32; b += 32) {
			v1 = xround(v1, load_le64(b));
			v2 = xround(v2, load_le64(b + 8));
			v3 = xround(v3, load_le64(b + 16));
			v4 = xround(v4, load_le64(b + 24));
		}
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xmerge(xmerge(xmerge(xmerge(h, v1), v2), v3), v4);
	} else {
		h = XP5;
	}
	h += len;
	for (; end - b >= 8; b += 8)
		h = rotl64(h ^ xround(0, load_le64(b)), 27) * XP1 + XP4;
	if (end - b >= 4) {
		h = rotl64(h ^ (uint64_t)stream_get_le32(b) * XP1, 23) * XP2 + XP3;
		b += 4;
	}
	for (; b < end; b++)
		h = rotl64(h ^ *b * XP5, 11) * XP1;
	h ^= h >> 33;
	h *= XP2;
	h ^= h >> 29;
	h *= XP3;
	return h ^ (h >> 32);
}

void stream_hash_ram(const void *ram, uint64_t ram_size, uint64_t block_size, uint64_t *out)
{
	for (uint64_t off = 0, i = 0; off < ram_size; off += block_size, i++)
		out[i] = stream_hash_block((const uint8_t *)ram + off,
					   ram_size - off < block_size ? ram_size - off : block_size);
}

size_t stream_hashes_compare(const uint64_t *a, const uint64_t *b, size_t n, size_t *bad,
			     size_t max_bad)
{
	size_t nbad = 0;

	for (size_t i = 0; i < n; i++) {
		if (a[i] == b[i])
			continue;
		if (nbad < max_bad)
			bad[nbad] = i;
		nbad++;
	}
	return nbad;
}
