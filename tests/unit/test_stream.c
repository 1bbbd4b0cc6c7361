/*
 * Unit tests of vmm/mig/stream*.c and vmm/lib/hash.c: round trips of every record over a socketpair
 * (a forked child is the sender, the test process the receiver), and every rejection path with its
 * message; the round trips and rejections twice, the second time with the receiver's RAM as the
 * reader's landing area (stream_reader_land), as rvmig recv reads.
 * Note: CHECK evaluates its condition twice, so calls with side effects happen before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "lib/hash.h"
#include "mig/stream.h"
#include "rvmig_abi.h"
#include "stream_shape.h"

#define PS       4096u
#define RAM_SIZE (8u << 20) /* 2048 pages, 4 blocks of 2M */
#define NPAGES   (RAM_SIZE / PS)
#define BLOCK    (2u << 20)

static const struct stream_header shape = STREAM_TEST_SHAPE(PS, RAM_SIZE, 2, STREAM_BACKING_HUGETLB_2M, 2u << 20);

static uint8_t *src_ram, *dst_ram;
static bool landing; /* receive() lands batches in dst_ram */
static const char *mode = "";

/* ---- sender side: a forked child writes into one end of a socketpair ---- */

typedef void (*sender_fn)(struct stream_writer *w);

/* Returns the receiving fd; the child runs fn with a writer and exits. */
static int spawn(sender_fn fn, pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	*pid = fork();
	if (*pid == 0) {
		struct stream_writer w;

		close(sv[0]);
		if (stream_writer_init(&w, sv[1]) == 0) {
			fn(&w);
			stream_flush(&w);
		}
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

/* Sends raw bytes (a captured, possibly modified or cut stream) from a child, then closes. */
static int feed(const uint8_t *bytes, size_t len, pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	*pid = fork();
	if (*pid == 0) {
		close(sv[0]);
		for (size_t off = 0; off < len;) {
			ssize_t n = send(sv[1], bytes + off, len - off, MSG_NOSIGNAL);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

/* Captures what a sender writes, through a pipe (so small streams only: < 64K unless read). */
static size_t capture(sender_fn fn, uint8_t **out)
{
	pid_t pid;
	int fd = spawn(fn, &pid);
	size_t len = 0, cap = 1 << 20;
	ssize_t n;

	*out = malloc(cap);
	while ((n = read(fd, *out + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap)
			*out = realloc(*out, cap *= 2);
	}
	close(fd);
	waitpid(pid, NULL, 0);
	return len;
}

/* ---- receiver side ---- */

struct result {
	int rc; /* first error, or 0 when END arrived */
	char err[STREAM_ERR_LEN];
	struct stream_header hdr;
	uint64_t batches, pages, zero_pages, round_ends, vcpus, hash_records, end_seq, landed;
	uint64_t hashes[4];
	int regs_ok;
	struct stream_totals totals;
	struct stream_verified verified;
	uint64_t verified_records;
};

/* Reads a whole stream from fd, applying batches to dst_ram; stops at END or the first error. */
static void receive(int fd, pid_t pid, struct result *res)
{
	struct stream_reader r;
	struct stream_record rec;

	memset(res, 0, sizeof(*res));
	res->regs_ok = 1;
	if (stream_reader_init(&r, fd)) {
		res->rc = -ENOMEM;
		return;
	}
	res->rc = stream_read_header(&r, &res->hdr);
	if (!res->rc && landing)
		res->rc = stream_reader_land(&r, dst_ram, RAM_SIZE);
	while (res->rc == 0) {
		res->rc = stream_next(&r, &rec);
		if (res->rc)
			break;
		if (rec.type == STREAM_REC_BATCH) {
			stream_batch_apply(&rec.u.batch, dst_ram, PS);
			res->landed += rec.u.batch.landed;
			res->batches++;
			res->pages += rec.u.batch.count;
			for (uint32_t i = 0; i < rec.u.batch.count; i++)
				res->zero_pages += rec.u.batch.pages[i].data == NULL;
		} else if (rec.type == STREAM_REC_ROUND_END) {
			res->round_ends++;
		} else if (rec.type == STREAM_REC_VCPU) {
			const struct stream_vcpu *v = &rec.u.vcpu;

			res->vcpus++;
			for (uint32_t i = 0; i < v->nregs; i++) {
				const uint8_t *val = v->regs[i].value;

				res->regs_ok &= v->regs[i].id == 0x8030000002000000ULL + i &&
						v->regs[i].size == (i == 2 ? 256u : 8u << (i % 2));
				for (uint32_t k = 0; k < v->regs[i].size; k++)
					res->regs_ok &= val[k] == (uint8_t)(v->id * 31 + i * 7 + k);
			}
		} else if (rec.type == STREAM_REC_HASHES) {
			res->hash_records++;
			for (uint32_t i = 0; i < rec.u.hashes.count && rec.u.hashes.first + i < 4; i++)
				res->hashes[rec.u.hashes.first + i] = rec.u.hashes.hashes[i];
		} else if (rec.type == STREAM_REC_VERIFIED) {
			res->verified = rec.u.verified;
			res->verified_records++;
		} else if (rec.type == STREAM_REC_END) {
			res->totals = rec.u.end;
			res->end_seq = rec.seq;
			break;
		}
	}
	snprintf(res->err, sizeof(res->err), "%s", r.err);
	stream_reader_free(&r);
	close(fd);
	waitpid(pid, NULL, 0);
}

static void run(sender_fn fn, struct result *res)
{
	pid_t pid;
	int fd = spawn(fn, &pid);

	receive(fd, pid, res);
}

static int has(const struct result *res, int rc, const char *msg)
{
	return res->rc == rc && strstr(res->err, msg) != NULL;
}

/* Reports a rejection test: expected code and message fragment. */
static void expect(sender_fn fn, int rc, const char *msg, const char *name)
{
	struct result res;

	run(fn, &res);
	CHECK(has(&res, rc, msg), "%s%s: rc %d, \"%s\"", mode, name, res.rc, res.err);
}

/* ---- senders ---- */

static void fill_src(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < RAM_SIZE; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(src_ram + i, &x, 8);
	}
	/* Every 5th page all zero, so batches mix zero markers and data. */
	for (size_t p = 0; p < NPAGES; p += 5)
		memset(src_ram + p * PS, 0, PS);
}

static void send_regs(struct stream_writer *w, uint32_t vcpu)
{
	static uint8_t vals[2][3][256];
	struct stream_reg regs[3];

	for (uint32_t i = 0; i < 3; i++) {
		regs[i].id = 0x8030000002000000ULL + i;
		regs[i].size = i == 2 ? 256 : 8u << (i % 2); /* 8, 16 and a 256-byte vector register */
		for (uint32_t k = 0; k < regs[i].size; k++)
			vals[vcpu][i][k] = (uint8_t)(vcpu * 31 + i * 7 + k);
		regs[i].value = vals[vcpu][i];
	}
	stream_write_vcpu(w, vcpu, regs, 3);
}

/* After the last round: both vCPUs' state, the block hashes of src_ram, END. */
static void send_state_and_end(struct stream_writer *w)
{
	uint64_t h[4];

	send_regs(w, 0);
	send_regs(w, 1);
	hash_ram(src_ram, RAM_SIZE, BLOCK, h);
	stream_write_hashes(w, BLOCK, 0, h, 4);
	stream_write_end(w);
}

/* The full migration: every page in round 1 (4 full batches), some again in round 2, an empty round 3. */
static void send_full(struct stream_writer *w)
{
	uint64_t idx[STREAM_BATCH_MAX];

	stream_write_header(w, &shape);
	for (uint32_t b = 0; b < NPAGES / STREAM_BATCH_MAX; b++) {
		for (uint32_t i = 0; i < STREAM_BATCH_MAX; i++)
			idx[i] = b * STREAM_BATCH_MAX + i;
		stream_write_batch(w, 1, idx, STREAM_BATCH_MAX, src_ram);
	}
	stream_write_round_end(w, 1);
	idx[0] = 7;
	idx[1] = 0;
	idx[2] = NPAGES - 1;
	stream_write_batch(w, 2, idx, 3, src_ram);
	stream_write_round_end(w, 2);
	stream_write_round_end(w, 3);
	send_state_and_end(w);
}

/*
 * Every page once, out of order: page (37 * k) % NPAGES for k = 0.., except that every 64th step
 * sends a run of 8 neighbours (some of them zero pages) instead, so that a batch has scattered
 * pages, descending ones, stretches of neighbours broken by zero pages, and full batches of 512.
 */
static void send_scattered(struct stream_writer *w)
{
	static uint64_t order[NPAGES];
	static bool sent[NPAGES];
	uint64_t n = 0;

	memset(sent, 0, sizeof(sent));
	for (uint64_t k = 0; n < NPAGES; k++) {
		uint64_t p = (37 * k) % NPAGES;

		for (uint64_t j = 0; j < (k % 64 ? 1 : 8) && n < NPAGES; j++) {
			if (p + j < NPAGES && !sent[p + j]) {
				sent[p + j] = true;
				order[n++] = p + j;
			}
		}
	} /* ends: 37 is coprime with NPAGES, so k = 0..NPAGES-1 alone visits every page */
	stream_write_header(w, &shape);
	for (uint64_t b = 0; b < n; b += STREAM_BATCH_MAX)
		stream_write_batch(w, 1, order + b, STREAM_BATCH_MAX, src_ram);
	stream_write_round_end(w, 1);
	send_state_and_end(w);
}

/* A small valid prefix: header and one batch of round 1 (page 1 data, page 5 zero), round ended. */
static void send_small(struct stream_writer *w)
{
	uint64_t idx[2] = { 1, 5 };

	stream_write_header(w, &shape);
	stream_write_batch(w, 1, idx, 2, src_ram);
	stream_write_round_end(w, 1);
}

static void send_small_end(struct stream_writer *w)
{
	send_small(w);
	stream_write_end(w);
}

/* Forged batch payload: round 1, given count, one page entry with index/flags, data if not zero. */
static void forge_batch(struct stream_writer *w, uint32_t count, uint64_t index, uint32_t flags, uint32_t extra)
{
	static uint8_t p[16 + 12 + PS + 8];
	uint32_t len = 16 + 12 + ((flags & STREAM_PAGE_ZERO) ? 0 : PS) + extra;

	memset(p, 0, sizeof(p));
	stream_put_le64(p, 1);
	stream_put_le32(p + 8, count);
	stream_put_le64(p + 16, index);
	stream_put_le32(p + 24, flags);
	stream_write_header(w, &shape);
	stream_write_record(w, STREAM_REC_BATCH, p, len);
	stream_write_end(w);
}

static void s_index_oor(struct stream_writer *w)
{
	forge_batch(w, 1, NPAGES, 0, 0);
}
static void s_count_big(struct stream_writer *w)
{
	forge_batch(w, 100000, 1, 0, 0);
}
static void s_count_two(struct stream_writer *w)
{
	forge_batch(w, 2, 1, 0, 0);
}
static void s_flags(struct stream_writer *w)
{
	forge_batch(w, 1, 1, 0x4, 0);
}
static void s_trailing(struct stream_writer *w)
{
	forge_batch(w, 1, 1, 0, 8);
}

/* Page 2 as data, then again as a zero page: a page twice in one batch. */
static void s_dup_index(struct stream_writer *w)
{
	static uint8_t p[16 + 2 * 12 + PS];

	memset(p, 0, sizeof(p));
	stream_put_le64(p, 1);
	stream_put_le32(p + 8, 2);
	stream_put_le64(p + 16, 2);
	stream_put_le64(p + 28, 2);
	stream_put_le32(p + 36, STREAM_PAGE_ZERO);
	stream_write_header(w, &shape);
	stream_write_record(w, STREAM_REC_BATCH, p, sizeof(p));
	stream_write_end(w);
}

/* Two pages announced, one entry and 4 bytes of the second: the entries do not fit the record. */
static void s_count_entries(struct stream_writer *w)
{
	forge_batch(w, 2, 1, STREAM_PAGE_ZERO, 4);
}

static void s_len_huge(struct stream_writer *w)
{
	uint8_t h[8];

	stream_write_header(w, &shape);
	stream_put_le32(h, STREAM_TAG_BASE | STREAM_REC_BATCH);
	stream_put_le32(h + 4, 0x7fffffff);
	/* Frame head only: the reader must refuse the length, not try to read 2 GiB. */
	stream_flush(w);
	(void)!write(w->fd, h, 8);
}

static void s_bad_tag(struct stream_writer *w)
{
	stream_write_header(w, &shape);
	stream_write_record(w, 0x1234, "x", 1);
}

static void forge_end(struct stream_writer *w, int64_t dpages, int64_t dzero, int64_t dbytes)
{
	uint8_t p[24];

	send_small(w);
	stream_put_le64(p, w->totals.pages + (uint64_t)dpages);
	stream_put_le64(p + 8, w->totals.zero_pages + (uint64_t)dzero);
	stream_put_le64(p + 16, w->bytes + (uint64_t)dbytes);
	stream_write_record(w, STREAM_REC_END, p, 24);
}

static void s_end_ok(struct stream_writer *w)
{
	forge_end(w, 0, 0, 0);
}
static void s_end_pages(struct stream_writer *w)
{
	forge_end(w, 1, 0, 0);
}
static void s_end_zero(struct stream_writer *w)
{
	forge_end(w, 0, -1, 0);
}
static void s_end_bytes(struct stream_writer *w)
{
	forge_end(w, 0, 0, -16);
}

static void s_end_open_round(struct stream_writer *w)
{
	uint64_t idx = 3;
	uint8_t b[24];

	stream_write_header(w, &shape);
	stream_write_batch(w, 1, &idx, 1, src_ram);
	stream_put_le64(b, 1);
	stream_put_le64(b + 8, 0);
	stream_put_le64(b + 16, w->bytes);
	stream_write_record(w, STREAM_REC_END, b, 24);
}

static void s_round_pages(struct stream_writer *w)
{
	uint64_t idx = 3;
	uint8_t b[16];

	stream_write_header(w, &shape);
	stream_write_batch(w, 4, &idx, 1, src_ram);
	stream_put_le64(b, 4);
	stream_put_le64(b + 8, 2);
	stream_write_record(w, STREAM_REC_ROUND_END, b, 16);
}

static void s_round_back(struct stream_writer *w)
{
	uint8_t b[16 + 12] = { 0 };

	send_small(w); /* round 1 ended */
	stream_put_le64(b, 1);
	stream_put_le32(b + 8, 1);
	stream_put_le64(b + 16, 2);
	stream_put_le32(b + 24, STREAM_PAGE_ZERO);
	stream_write_record(w, STREAM_REC_BATCH, b, sizeof(b));
}

static void s_round_mixed(struct stream_writer *w)
{
	uint8_t b[16 + 12] = { 0 };
	uint64_t idx = 3;

	stream_write_header(w, &shape);
	stream_write_batch(w, 5, &idx, 1, src_ram);
	stream_put_le64(b, 6);
	stream_put_le32(b + 8, 1);
	stream_put_le32(b + 24, STREAM_PAGE_ZERO);
	stream_write_record(w, STREAM_REC_BATCH, b, sizeof(b));
}

static void forge_vcpu(struct stream_writer *w, uint32_t id, uint32_t size)
{
	uint8_t b[8 + 12 + 300] = { 0 };

	stream_put_le32(b, id);
	stream_put_le32(b + 4, 1);
	stream_put_le64(b + 8, 0x8030000002000000ULL);
	stream_put_le32(b + 16, size);
	stream_write_record(w, STREAM_REC_VCPU, b, 8 + 12 + (size > 300 ? 0 : size));
}

static void s_vcpu_id(struct stream_writer *w)
{
	stream_write_header(w, &shape);
	forge_vcpu(w, 2, 8);
}
static void s_vcpu_size(struct stream_writer *w)
{
	stream_write_header(w, &shape);
	forge_vcpu(w, 0, 300);
}
static void s_vcpu_zero(struct stream_writer *w)
{
	stream_write_header(w, &shape);
	forge_vcpu(w, 0, 0);
}
static void s_vcpu_dup(struct stream_writer *w)
{
	stream_write_header(w, &shape);
	forge_vcpu(w, 1, 8);
	forge_vcpu(w, 1, 8);
}

static void s_hash_range(struct stream_writer *w)
{
	uint64_t h[2] = { 1, 2 };

	stream_write_header(w, &shape);
	stream_write_hashes(w, BLOCK, 3, h, 2); /* blocks 3..4 of 0..3 */
}

static void s_header_twice(struct stream_writer *w)
{
	uint8_t p[48];

	stream_write_header(w, &shape);
	memset(p, 0, sizeof(p));
	stream_write_record(w, STREAM_REC_HEADER, p, sizeof(p));
}

static void s_batch_first(struct stream_writer *w)
{
	stream_write_record(w, STREAM_REC_BATCH, "0123456789abcdef0123456789ab", 28);
}

static void s_bad_header(struct stream_writer *w)
{
	uint8_t p[48] = { 0 };

	stream_put_le32(p, 4000); /* page size not a power of two */
	stream_put_le32(p + 4, 1);
	stream_put_le64(p + 16, RAM_SIZE);
	stream_write_record(w, STREAM_REC_HEADER, p, sizeof(p));
}

static void s_abort_first(struct stream_writer *w)
{
	stream_write_abort(w, "receiver out of memory");
}
static void s_abort_mid(struct stream_writer *w)
{
	send_small(w);
	stream_write_abort(w, "dirty rate too high:\n giving up");
}

static void s_magic(struct stream_writer *w)
{
	(void)!write(w->fd, "GET / HTTP/1.1\r\n\r\n", 18);
}

static void s_version(struct stream_writer *w)
{
	uint8_t p[16] = { 0 };

	memcpy(p, STREAM_MAGIC, 8);
	stream_put_le32(p + 8, 1); /* a version-1 stream: zlib crc32 records */
	(void)!write(w->fd, p, sizeof(p));
}

/* A version-2 stream: a batch's entries interleaved with its data. */
static void s_version2(struct stream_writer *w)
{
	uint8_t p[16] = { 0 };

	memcpy(p, STREAM_MAGIC, 8);
	stream_put_le32(p + 8, 2);
	(void)!write(w->fd, p, sizeof(p));
}

/* Many hashes: 1 GiB of 4K blocks is 262144 hashes, four records of STREAM_HASHES_MAX. */
static void s_many_hashes(struct stream_writer *w)
{
	struct stream_header h = shape;
	uint64_t *v = malloc(262144 * 8);

	h.ram_size = 1ULL << 30;
	for (uint64_t i = 0; i < 262144; i++)
		v[i] = i * 0x9e3779b97f4a7c15ULL;
	stream_write_header(w, &h);
	stream_write_hashes(w, 4096, 0, v, 262144);
	stream_write_end(w);
	free(v);
}

/* ---- tests ---- */

static void test_round_trip(void)
{
	struct result res;
	uint64_t h[4];
	char why[256];
	int same;

	memset(dst_ram, 0xa5, RAM_SIZE); /* zero pages must really be cleared on the receiver */
	run(send_full, &res);
	CHECK(res.rc == 0, "%sfull stream round trip over a socketpair (rc %d, \"%s\")", mode, res.rc, res.err);
	CHECK(res.landed == (landing ? res.batches : 0), "%s%llu of %llu batches say they landed", mode,
	      (unsigned long long)res.landed, (unsigned long long)res.batches);
	CHECK(!memcmp(&res.hdr, &shape, sizeof(shape)), "header fields decoded exactly");
	CHECK(stream_check_header(&shape, &res.hdr, why, sizeof(why)) == 0 && why[0] == '\0',
	      "same shape passes stream_check_header");
	CHECK(res.batches == 5 && res.pages == NPAGES + 3, "5 batches, %llu pages (2048 + 3)",
	      (unsigned long long)res.pages);
	CHECK(res.zero_pages == NPAGES / 5 + 1 + 1, "zero pages sent as markers (%llu)",
	      (unsigned long long)res.zero_pages);
	same = !memcmp(src_ram, dst_ram, RAM_SIZE);
	CHECK(same, "%sreceiver RAM is bit-identical to the sender's (zero pages cleared)", mode);
	CHECK(res.round_ends == 3, "three round-ends, the last one an empty round");
	CHECK(res.vcpus == 2 && res.regs_ok, "vCPU states with 8, 16 and 256-byte registers decoded");
	hash_ram(dst_ram, RAM_SIZE, BLOCK, h);
	CHECK(res.hash_records == 1 && !memcmp(h, res.hashes, sizeof(h)),
	      "block hashes round trip and match the receiver's RAM");
	CHECK(res.totals.pages == NPAGES + 3 && res.totals.zero_pages == res.zero_pages &&
		      res.totals.bytes > (uint64_t)NPAGES * PS * 4 / 5,
	      "end totals: %llu pages, %llu zero, %llu bytes", (unsigned long long)res.totals.pages,
	      (unsigned long long)res.totals.zero_pages, (unsigned long long)res.totals.bytes);

	memset(dst_ram, 0xa5, RAM_SIZE);
	run(send_scattered, &res);
	same = !memcmp(src_ram, dst_ram, RAM_SIZE);
	CHECK(res.rc == 0 && res.pages == NPAGES && same,
	      "%sscattered indices (every page once, in 4 full batches of a stride-37 order, runs of neighbours "
	      "between): RAM bit-identical (rc %d, %llu pages, %s)",
	      mode, res.rc, (unsigned long long)res.pages, res.err);

	run(s_many_hashes, &res);
	CHECK(res.rc == 0 && res.hash_records == 4, "262144 hashes split into 4 records (rc %d, %llu)", res.rc,
	      (unsigned long long)res.hash_records);
}

static void test_header_checks(void)
{
	struct {
		const char *field, *msg;
		struct stream_header got;
	} cases[6];
	char abi_msg[80];
	char why[512];
	int n = 0, rc;

	for (int i = 0; i < 6; i++)
		cases[i].got = shape;
	cases[n].field = "version";
	cases[n].got.version = 1;
	cases[n++].msg = "stream version differs: sender 1, receiver 3";
	cases[n].field = "page size";
	cases[n].got.page_size = 65536;
	cases[n++].msg = "page size differs: sender 65536, receiver 4096";
	cases[n].field = "RAM base";
	cases[n].got.ram_base = 0x40000000;
	cases[n++].msg = "RAM base differs: sender 0x40000000, receiver 0x80000000";
	cases[n].field = "RAM size";
	cases[n].got.ram_size = 16u << 20;
	cases[n++].msg = "RAM size differs: sender 16777216, receiver 8388608";
	cases[n].field = "vCPUs";
	cases[n].got.nr_vcpus = 4;
	cases[n++].msg = "vCPU count differs: sender 4, receiver 2";
	cases[n].field = "ABI";
	cases[n].got.abi_version = 9;
	snprintf(abi_msg, sizeof(abi_msg), "guest ABI version differs: sender 9, receiver %d", RVMIG_ABI_VERSION);
	cases[n++].msg = abi_msg;
	for (int i = 0; i < n; i++) {
		rc = stream_check_header(&shape, &cases[i].got, why, sizeof(why));
		CHECK(rc == -EINVAL && !strcmp(why, cases[i].msg), "%s mismatch refused: \"%s\"", cases[i].field, why);
	}
	{
		struct stream_header got = shape;

		got.ram_size = 1ULL << 30;
		got.nr_vcpus = 1;
		rc = stream_check_header(&shape, &got, why, sizeof(why));
		CHECK(rc == -EINVAL && !strcmp(why, "RAM size differs: sender 1073741824, receiver 8388608; "
						    "vCPU count differs: sender 1, receiver 2"),
		      "several mismatches all named: \"%s\"", why);
		got = shape;
		got.backing = STREAM_BACKING_ANON;
		got.backing_page_size = 4096;
		rc = stream_check_header(&shape, &got, why, sizeof(why));
		CHECK(rc == 0, "a different backing is allowed (host-side choice)");
	}
	{
		uint32_t b = 99;
		int ok = stream_backing_parse("hugetlb-1G", &b) == 0 && b == STREAM_BACKING_HUGETLB_1G &&
			 stream_backing_parse("bogus", &b) == -EINVAL &&
			 !strcmp(stream_backing_name(STREAM_BACKING_THP), "thp");

		CHECK(ok, "backing names parse and print");
	}
}

static void test_rejections(void)
{
	expect(s_magic, -EBADMSG, "bad magic: expected \"RVMIGSTR\", got \"GET / HT\"", "bad magic");
	expect(s_version, -EPROTONOSUPPORT, "preamble at byte 8: stream version 1, this rvmig reads version 3",
	       "version 1 refused, both versions named");
	expect(s_version2, -EPROTONOSUPPORT, "preamble at byte 8: stream version 2, this rvmig reads version 3",
	       "version 2 refused, both versions named");
	expect(s_bad_header, -EBADMSG, "header: page size is not a power of two", "insane header");
	expect(s_batch_first, -EBADMSG, "record #1 at byte 16: expected a header, got a batch record",
	       "batch before header");
	expect(s_header_twice, -EBADMSG, "record #2 (header) at byte 80: second header", "second header");
	expect(s_index_oor, -EBADMSG,
	       "record #2 (batch) at byte 80: round 1, page 0 of 1: index 2048 out of range "
	       "(RAM has 2048 pages)",
	       "page index out of range");
	expect(s_count_big, -EBADMSG, "record #2 (batch) at byte 80: round 1: page count 100000 out of range 1..512",
	       "oversized count");
	expect(s_count_two, -EBADMSG, "the data of 2 pages (8192 bytes) runs past the end of the 4124-byte record",
	       "count larger than the record's data");
	expect(s_dup_index, -EBADMSG, "record #2 (batch) at byte 80: round 1: page index 2 appears twice in the batch",
	       "a page twice in one batch");
	expect(s_count_entries, -EBADMSG, "page 1 of 2 runs past the end of the 32-byte record",
	       "count larger than the record's entries");
	expect(s_len_huge, -EBADMSG, "record #2 (batch) at byte 80: length 2147483647 out of range 28..",
	       "oversized record length");
	expect(s_flags, -EBADMSG, "page 0 of 1: unknown flags 0x4", "unknown page flags");
	expect(s_trailing, -EBADMSG, "8 trailing bytes after 1 pages", "trailing bytes in a batch");
	expect(s_bad_tag, -EBADMSG, "record #2 at byte 80: bad tag 0x524d1234", "unknown record tag");
	expect(s_end_ok, 0, "", "forged end record with the right totals is accepted");
	expect(s_end_pages, -EBADMSG, "(end) at byte 4264: sender sent 3 pages, received 2", "end: page total differs");
	expect(s_end_zero, -EBADMSG, "(end) at byte 4264: sender sent 0 zero pages, received 1",
	       "end: zero-page total differs");
	expect(s_end_bytes, -EBADMSG, "bytes before the end record, received", "end: byte total differs");
	expect(s_end_open_round, -EBADMSG, "end while round 1 is open", "end inside an open round");
	expect(s_round_pages, -EBADMSG, "round 4: sender sent 2 pages, received 1", "round-end page count differs");
	expect(s_round_back, -EBADMSG, "batch for round 1 after round 1 already ended", "round number going backwards");
	expect(s_round_mixed, -EBADMSG, "batch for round 6 while round 5 is open",
	       "batch of another round inside an open round");
	expect(s_vcpu_id, -EBADMSG, "vCPU id 2 out of range (the VM has 2 vCPUs)", "vCPU id out of range");
	expect(s_vcpu_size, -EBADMSG, "register 0x8030000002000000 has size 300", "register too big");
	expect(s_vcpu_zero, -EBADMSG, "has size 0", "zero-size register");
	expect(s_vcpu_dup, -EBADMSG, "second state for vCPU 1", "duplicate vCPU state");
	expect(s_hash_range, -EBADMSG, "blocks 3..4 past the last block 3", "hash blocks out of range");
	expect(s_abort_first, -ECANCELED, "peer aborted: receiver out of memory", "abort instead of header");
	expect(s_abort_mid, -ECANCELED, "peer aborted: dirty rate too high:? giving up",
	       "abort mid-stream, reason made printable");
}

/* Flip one byte at `off` of a valid small stream: the crc (or framing) must catch it. */
static void test_corruption(void)
{
	uint8_t *s;
	size_t len = capture(send_small_end, &s);
	struct result res;
	pid_t pid;
	int fd, caught = 0, tried = 0, crc_named = 0;

	/* Preamble (16) + header (64) + batch frame head (8) + batch header (16) + 2 page entries (12 each). */
	size_t data_off = 16 + 64 + 8 + 16 + 2 * 12;

	s[data_off + 100] ^= 0x40;
	fd = feed(s, len, &pid);
	receive(fd, pid, &res);
	CHECK(has(&res, -EBADMSG, "record #2 (batch) at byte 80: checksum mismatch: record carries 0x"),
	      "%sflipped bit in page data: checksum mismatch named (\"%s\")", mode, res.err);
	s[data_off + 100] ^= 0x40;
	s[16 + 64 + 8 + 16] ^= 0x01; /* the page index */
	fd = feed(s, len, &pid);
	receive(fd, pid, &res);
	CHECK(has(&res, -EBADMSG, "checksum mismatch"), "%sflipped bit in a page index: checksum mismatch", mode);
	s[16 + 64 + 8 + 16] ^= 0x01;
	/* Every byte after the preamble, flipped in turn (sampled in the page data). */
	for (size_t off = 16; off < len; off += (off > data_off && off < data_off + PS) ? 97 : 1) {
		s[off] ^= 0x10;
		fd = feed(s, len, &pid);
		receive(fd, pid, &res);
		s[off] ^= 0x10;
		tried++;
		/* A length corrupted upwards runs past the end of this short stream: -EPIPE is right too. */
		caught += res.rc == -EBADMSG || (res.rc == -EPIPE && strstr(res.err, "truncated"));
		crc_named += strstr(res.err, "checksum mismatch") != NULL;
	}
	CHECK(caught == tried,
	      "%severy single-byte corruption rejected: -EBADMSG, or -EPIPE for a grown length (%d of %d)", mode,
	      caught, tried);
	CHECK(crc_named > tried / 2, "%smost corruptions reported as checksum mismatches (%d of %d)", mode, crc_named,
	      tried);
	free(s);
}

/* Cut a valid stream at every point: the reader must fail cleanly with -EPIPE, never hang or crash. */
static void test_truncation(void)
{
	uint8_t *s;
	size_t len = capture(send_small_end, &s);
	struct result res;
	pid_t pid;
	int fd, clean = 0, tried = 0, named = 0;

	for (size_t cut = 0; cut < len; cut += (cut > 120 && cut < len - 100) ? 61 : 1) {
		fd = feed(s, cut, &pid);
		receive(fd, pid, &res);
		tried++;
		clean += res.rc == -EPIPE;
		named += strstr(res.err, "peer closed") != NULL || strstr(res.err, "truncated") != NULL;
	}
	CHECK(clean == tried && named == tried, "%sstream cut at %d points: all -EPIPE with a message", mode, tried);
	fd = feed(s, 16 + 64 + 50, &pid);
	receive(fd, pid, &res);
	CHECK(has(&res, -EPIPE, "truncated: peer closed after 50 of 4152 bytes of record #2 (batch) at byte 80"),
	      "%smid-record cut says how far: \"%s\"", mode, res.err);
	fd = feed(s, len - 40, &pid); /* everything but the end record (24 + 16) */
	receive(fd, pid, &res);
	CHECK(has(&res, -EPIPE, "peer closed the stream before record #4 at byte 4264"),
	      "%sclose at a record boundary before END: \"%s\"", mode, res.err);
	fd = feed(s, len, &pid);
	receive(fd, pid, &res);
	CHECK(res.rc == 0 && res.end_seq == 4, "%sthe uncut stream is accepted", mode);
	free(s);
}

static void test_writer_errors(void)
{
	struct stream_writer w;
	int sv[2], rc, rc2;
	uint64_t idx[STREAM_BATCH_MAX], before;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	stream_writer_init(&w, sv[1]);
	rc = stream_write_batch(&w, 1, idx, 1, src_ram);
	CHECK(rc == -EINVAL && strstr(w.err, "before the header"), "writer refuses a batch before the header");
	rc = stream_write_header(&w, &shape);
	CHECK(rc == 0, "writer: header");
	idx[0] = NPAGES;
	rc = stream_write_batch(&w, 1, idx, 1, src_ram);
	CHECK(rc == -EINVAL && strstr(w.err, "index 2048 out of range"), "writer refuses an index out of range");
	rc = stream_write_batch(&w, 1, idx, STREAM_BATCH_MAX + 1, src_ram);
	CHECK(rc == -EINVAL, "writer refuses a batch of 513 pages");
	/* A page twice in a batch, at its two ends or side by side (an unsorted batch, so the sort finds both):
	 * refused before a byte goes out. */
	for (uint32_t i = 0; i < 5; i++)
		idx[i] = 10 + i;
	idx[4] = 10;
	before = w.bytes;
	rc = stream_write_batch(&w, 1, idx, 5, src_ram);
	CHECK(rc == -EINVAL && strstr(w.err, "page index 10 appears twice") && w.bytes == before,
	      "writer refuses a page at both ends of a batch, writing nothing (\"%s\")", w.err);
	idx[0] = 7, idx[1] = 7;
	rc = stream_write_batch(&w, 1, idx, 2, src_ram);
	CHECK(rc == -EINVAL && strstr(w.err, "page index 7 appears twice") && w.bytes == before,
	      "writer refuses a page twice side by side, writing nothing");
	idx[0] = 9, idx[1] = 3, idx[2] = 5;
	rc = stream_write_batch(&w, 1, idx, 3, src_ram);
	CHECK(rc == 0 && w.totals.pages == 3, "writer takes a batch out of order without repeats");
	close(sv[0]); /* the receiver goes away */
	for (uint32_t i = 0; i < STREAM_BATCH_MAX; i++)
		idx[i] = i + 1;
	rc = 0;
	for (int i = 0; i < 8 && !rc; i++)
		rc = stream_write_batch(&w, 1, idx, STREAM_BATCH_MAX, src_ram);
	if (!rc)
		rc = stream_flush(&w);
	rc2 = stream_write_round_end(&w, 1);
	CHECK(rc == -EPIPE && rc2 == -EPIPE && strstr(w.err, "peer closed"),
	      "writing to a closed peer: -EPIPE (no SIGPIPE), and the error sticks (\"%s\")", w.err);
	stream_writer_free(&w);
	close(sv[1]);
}

static void test_timeout(void)
{
	struct stream_reader r;
	struct stream_header h;
	int sv[2], rc;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	stream_reader_init(&r, sv[0]);
	r.timeout_ms = 50;
	rc = stream_read_header(&r, &h);
	CHECK(rc == -ETIMEDOUT, "a silent peer times out when timeout_ms is set (rc %d)", rc);
	rc = stream_next(&r, &(struct stream_record){ 0 });
	CHECK(rc == -EINVAL && strstr(r.err, "before stream_read_header"), "stream_next before the header");
	stream_reader_free(&r);
	close(sv[0]);
	close(sv[1]);
}

static void test_hashes(void)
{
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {
		{ 0, 0xef46db3751d8e999ULL },
		{ 1, 0xd24ec4f1a98c6e5bULL },
		{ 3, 0x44bc2cf5ad770999ULL },
	};
	const char *in[] = { "", "a", "abc" };
	const char *spam = "Nobody inspects the spammish repetition";
	uint8_t *buf = malloc(4111);
	uint64_t a[10], b[10];
	size_t bad[3], n;
	int ok = 1;

	for (int i = 0; i < 3; i++)
		ok &= hash_block(in[i], v[i].len) == v[i].want;
	ok &= hash_block(spam, strlen(spam)) == 0xfbcea83c8a378bf1ULL;
	for (int i = 0; i < 4096; i++)
		buf[i] = (uint8_t)i;
	memcpy(buf + 4096, "xyz", 3);
	ok &= hash_block(buf, 4099) == 0xb2d6f733cc8bf0deULL;
	memcpy(buf + 4096, "0123456789abcde", 15);
	ok &= hash_block(buf, 4111) == 0x9c00cd26c927af0bULL;
	CHECK(ok, "stream_hash_block is XXH64 (reference vectors, every tail length path)");
	/*
	 * hash_stream_update = XXH64_update whichever build it picks: every start offset 0..15 (aligned and
	 * not), pieces of 8, 12, 4096 and odd sizes (so the 32-byte stripe it holds is at every fill level).
	 */
	ok = 1;
	for (size_t off = 0; off < 16; off++) {
		static const size_t piece[] = { 8, 12, 4096, 1, 31, 33, 100, 7 };
		XXH64_state_t st;
		size_t at = off, k = 0;

		XXH64_reset(&st, 0);
		while (at < 4111) {
			size_t n = piece[k++ % 8];

			n = n < 4111 - at ? n : 4111 - at;
			hash_stream_update(&st, buf + at, n);
			at += n;
		}
		ok &= XXH64_digest(&st) == XXH64(buf + off, 4111 - off, 0);
	}
	CHECK(ok, "hash_stream_update in pieces equals one-shot XXH64, at every start offset and fill level");
	free(buf);

	for (int i = 0; i < 10; i++)
		a[i] = b[i] = (uint64_t)i * 1000;
	n = hashes_compare(a, b, 10, bad, 3);
	CHECK(n == 0, "identical hash arrays: no mismatch");
	b[0]++;
	b[5]++;
	b[9]++;
	b[7]++;
	n = hashes_compare(a, b, 10, bad, 3);
	CHECK(n == 4 && bad[0] == 0 && bad[1] == 5 && bad[2] == 7, "4 mismatching blocks counted, first 3 named");
	n = hashes_compare(a, b, 10, NULL, 0);
	CHECK(n == 4, "compare with no room for indices still counts");
	{
		uint8_t ram[10000];
		uint64_t h[3];

		memset(ram, 7, sizeof(ram));
		hash_ram(ram, sizeof(ram), 4096, h);
		CHECK(h[0] == h[1] && h[2] == hash_block(ram, 10000 - 8192),
		      "stream_hash_ram: equal blocks hash equal, last block is the short tail");
	}
}

static void test_pages(void)
{
	uint8_t page[PS];
	int ok = 1;

	memset(page, 0, PS);
	ok &= page_is_zero(page, PS);
	for (size_t i = 0; i < PS; i += 37) {
		page[i] = 1;
		ok &= !page_is_zero(page, PS);
		page[i] = 0;
	}
	page[PS - 1] = 0x80;
	ok &= !page_is_zero(page, PS);
	CHECK(ok, "stream_page_is_zero finds a single set byte anywhere");
}

/* stream_pages_wire_bytes is what the writer emits for non-zero pages: the migration's expected downtime uses it. */
static void test_wire_bytes(void)
{
	struct stream_writer w;
	uint64_t idx[STREAM_BATCH_MAX], before, n = 0, sent = 0;
	int fd = open("/dev/null", O_WRONLY), rc = fd < 0 || stream_writer_init(&w, fd);

	CHECK(rc == 0, "a writer to /dev/null");
	if (rc)
		return;
	stream_write_header(&w, &shape);
	before = w.bytes;
	/* 600 non-zero pages: a full batch and a partial one. */
	for (uint64_t p = 0; p < NPAGES && sent < 600; p++) {
		if (page_is_zero(src_ram + p * PS, PS))
			continue;
		idx[n++] = p;
		sent++;
		if (n == STREAM_BATCH_MAX || sent == 600) {
			stream_write_batch(&w, 1, idx, (uint32_t)n, src_ram);
			n = 0;
		}
	}
	CHECK(sent == 600 && w.bytes - before == stream_pages_wire_bytes(600, PS),
	      "stream_pages_wire_bytes(600 pages) = %llu, the writer emitted %llu",
	      (unsigned long long)stream_pages_wire_bytes(600, PS), (unsigned long long)(w.bytes - before));
	CHECK(stream_pages_wire_bytes(0, PS) == 0 && stream_pages_wire_bytes(1, PS) == PS + 12 + 32, "0 pages, 1 page");
	stream_writer_free(&w);
	close(fd);
}

/* --verify none travels as a HEADER flag; the destination's VERIFIED carries its two figures. */
static void s_no_verify(struct stream_writer *w)
{
	struct stream_header h = shape;
	struct stream_verified v = { .hash_ns = 123456789, .wait_ns = 987654321 };

	h.flags = STREAM_HDR_NO_VERIFY;
	stream_write_header(w, &h);
	stream_write_verified(w, &v);
	stream_write_end(w);
}

/* A Linux guest travels as a HEADER flag of version 2 (bit 1); bit 2 is still refused. */
static void s_linux(struct stream_writer *w)
{
	struct stream_header h = shape;

	h.flags = STREAM_HDR_LINUX | STREAM_HDR_NO_VERIFY;
	stream_write_header(w, &h);
	stream_write_end(w);
}

static void s_flag_bit2(struct stream_writer *w)
{
	struct stream_header h = shape;

	h.flags = 4;
	stream_write_header(w, &h);
	stream_write_end(w);
}

static void test_verify_flag_and_record(void)
{
	struct result res;

	run(s_linux, &res);
	CHECK(res.rc == 0 && res.hdr.flags == (STREAM_HDR_LINUX | STREAM_HDR_NO_VERIFY),
	      "LINUX header flag read back with NO_VERIFY (rc %d, flags 0x%llx, %s)", res.rc,
	      (unsigned long long)res.hdr.flags, res.err);
	run(s_flag_bit2, &res);
	CHECK(res.rc == -EBADMSG && strstr(res.err, "flags 0x4"), "header flag bit 2 refused by name (rc %d, %s)",
	      res.rc, res.err);

	run(s_no_verify, &res);
	CHECK(res.rc == 0 && res.hdr.flags == STREAM_HDR_NO_VERIFY,
	      "NO_VERIFY header flag read back (rc %d, flags 0x%llx, %s)", res.rc, (unsigned long long)res.hdr.flags,
	      res.err);
	CHECK(res.verified_records == 1 && res.verified.hash_ns == 123456789 && res.verified.wait_ns == 987654321,
	      "VERIFIED round trip: %llu record(s), hash %llu ns, wait %llu ns",
	      (unsigned long long)res.verified_records, (unsigned long long)res.verified.hash_ns,
	      (unsigned long long)res.verified.wait_ns);
	run(send_small_end, &res);
	CHECK(res.rc == 0 && res.hdr.flags == 0, "a default header has flags 0 (rc %d)", res.rc);
}

/* Batch of 3: page 3 (data), page 4 (zero), then an index past the RAM, with the data of two pages. */
static void s_bad_index_last(struct stream_writer *w)
{
	static uint8_t p[16 + 3 * 12 + 2 * PS];
	uint64_t idx[3] = { 3, 4, NPAGES };

	memset(p, 0x11, sizeof(p));
	stream_put_le64(p, 1);
	stream_put_le32(p + 8, 3);
	stream_put_le32(p + 12, 0);
	for (int i = 0; i < 3; i++) {
		stream_put_le64(p + 16 + 12 * i, idx[i]);
		stream_put_le32(p + 16 + 12 * i + 8, i == 1 ? STREAM_PAGE_ZERO : 0);
	}
	stream_write_header(w, &shape);
	stream_write_record(w, STREAM_REC_BATCH, p, sizeof(p));
	stream_write_end(w);
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/*
 * What landing must not do: write a byte of guest RAM for a batch whose entries are bad (they are all
 * checked before any data is read), or clear a zero page of a batch whose checksum failed or whose
 * data was cut short. Data that arrived before a failed checksum is in RAM (the SAFETY note of
 * stream_reader_land): counted here, so that a change of that is seen.
 */
static void test_landing_rejections(void)
{
	size_t data_off = 16 + 64 + 8 + 16 + 2 * 12; /* preamble, header, frame head, batch header, 2 entries */
	struct result res;
	uint8_t *s;
	size_t len;
	pid_t pid;
	int fd;

	landing = true;
	memset(dst_ram, 0xa5, RAM_SIZE);
	run(s_bad_index_last, &res);
	CHECK(has(&res, -EBADMSG, "record #2 (batch) at byte 80: round 1, page 2 of 3: index 2048 out of range"),
	      "landing: an index out of range after good ones refused (\"%s\")", res.err);
	CHECK(all_bytes(dst_ram, RAM_SIZE, 0xa5), "landing: a batch with a bad index wrote no byte of RAM");

	len = capture(send_small_end, &s); /* one batch: page 1 data, page 5 zero */
	CHECK(len > data_off + PS, "a small stream of %zu bytes", len);
	s[data_off + 100] ^= 0x40;
	fd = feed(s, len, &pid);
	receive(fd, pid, &res);
	CHECK(has(&res, -EBADMSG, "record #2 (batch) at byte 80: checksum mismatch"),
	      "landing: a flipped data bit is a checksum mismatch (\"%s\")", res.err);
	CHECK(all_bytes(dst_ram + 5 * PS, PS, 0xa5), "landing: the zero page of a batch that failed its checksum is "
						     "not cleared");
	CHECK(dst_ram[PS + 100] == (src_ram[PS + 100] ^ 0x40) && !memcmp(dst_ram + PS, src_ram + PS, 100),
	      "landing: the data page holds what arrived (landed before the check, as documented)");
	s[data_off + 100] ^= 0x40;

	memset(dst_ram, 0xa5, RAM_SIZE);
	fd = feed(s, data_off + 1000, &pid);
	receive(fd, pid, &res);
	CHECK(has(&res, -EPIPE, "truncated: peer closed after 1048 of 4152 bytes of record #2 (batch) at byte 80"),
	      "landing: data cut mid-page: -EPIPE, how far (\"%s\")", res.err);
	CHECK(all_bytes(dst_ram + 5 * PS, PS, 0xa5) && all_bytes(dst_ram + PS + 1000, PS - 1000, 0xa5) &&
		      !memcmp(dst_ram + PS, src_ram + PS, 1000),
	      "landing: cut mid-page: the 1000 bytes that came are in place, nothing else written");

	memset(dst_ram, 0xa5, RAM_SIZE);
	fd = feed(s, len, &pid);
	receive(fd, pid, &res);
	CHECK(res.rc == 0 && res.landed == 1 && !memcmp(dst_ram + PS, src_ram + PS, PS) &&
		      all_bytes(dst_ram + 5 * PS, PS, 0) && all_bytes(dst_ram + 6 * PS, PS, 0xa5),
	      "landing: the uncut stream: data page in place, zero page cleared, nothing else (rc %d)", res.rc);
	free(s);
	{
		struct stream_reader r;

		stream_reader_init(&r, -1);
		CHECK(stream_reader_land(&r, dst_ram, 0) == -EINVAL && strstr(r.err, "0 bytes"),
		      "a landing area of 0 bytes refused");
		stream_reader_free(&r);
	}
	landing = false;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	src_ram = malloc(RAM_SIZE);
	dst_ram = malloc(RAM_SIZE);
	fill_src();
	test_header_checks();
	/* As the reply channel reads (batches in the reader's buffer), then as recv reads (landing). */
	for (int land = 0; land < 2; land++) {
		landing = land;
		mode = land ? "landing: " : "";
		test_round_trip();
		test_rejections();
		test_corruption();
		test_truncation();
	}
	landing = false;
	mode = "";
	test_landing_rejections();
	test_writer_errors();
	test_timeout();
	test_hashes();
	test_pages();
	test_wire_bytes();
	test_verify_flag_and_record();
	free(src_ram);
	free(dst_ram);
	CHECK_DONE();
}
