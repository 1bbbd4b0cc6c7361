/*
 * Unit tests of the shared-memory link (mig/shm_link.c) alone, between two threads and between a parent
 * and a forked child, and of the stream carried over it (stream_writer_use_shm / stream_reader_use_shm):
 * a whole stream landed in RAM, and a flipped byte rejected by the record checksum.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "mig/shm_link.h"
#include "mig/stream.h"
#include "rvmig_abi.h"
#include "stream_shape.h"

#define SMALL_CAP (16u << 10) /* four pages: every transfer below wraps many times */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The i-th byte of the test sequence: both sides compute it, so the reader checks every byte. */
static uint8_t seq_byte(uint64_t i)
{
	uint64_t x = (i >> 3) * 0x9e3779b97f4a7c15ull;

	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (i & 7)));
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* ---- random sizes across the wrap, gathered and scattered, between two threads ---- */

struct xfer {
	struct shm_link *l;
	uint64_t total;
	int rc;
	int live_fd;
};

static void *writer_thread(void *arg)
{
	struct xfer *x = arg;
	uint8_t *buf = malloc(3 * 40000);
	uint32_t s = 12345;
	uint64_t sent = 0;

	while (buf && sent < x->total && !x->rc) {
		struct iovec v[3];
		size_t n = 1 + rnd(&s) % 3, off = 0;

		for (size_t i = 0; i < n; i++) {
			size_t k = rnd(&s) % 40000; /* 0 too: an empty entry is skipped */

			if (k > x->total - sent - off)
				k = (size_t)(x->total - sent - off);
			for (size_t j = 0; j < k; j++)
				buf[off + j] = seq_byte(sent + off + j);
			v[i] = (struct iovec){ buf + off, k };
			off += k;
		}
		x->rc = shm_link_write(x->l, v, n, x->live_fd, 10000);
		sent += off;
	}
	shm_link_close(x->l, SHM_WRITER);
	free(buf);
	return NULL;
}

/* Reads until EPIPE with random scatter lists; the bytes that arrived in order, or -1 on a wrong byte. */
static long long read_all_checked(struct shm_link *l, int live_fd, int *last_rc)
{
	uint8_t *buf = malloc(3 * 30000);
	uint32_t s = 777;
	uint64_t got = 0;
	ssize_t k;

	for (;;) {
		struct iovec v[3];
		size_t n = 1 + rnd(&s) % 3;

		for (size_t i = 0; i < n; i++)
			v[i] = (struct iovec){ buf + i * 30000, 1 + rnd(&s) % 30000 };
		k = shm_link_read(l, v, n, live_fd, 10000);
		if (k <= 0)
			break;
		for (size_t i = 0, left = (size_t)k; i < n && left; i++) {
			size_t c = v[i].iov_len < left ? v[i].iov_len : left;

			for (size_t j = 0; j < c; j++)
				if (((uint8_t *)v[i].iov_base)[j] != seq_byte(got + j)) {
					free(buf);
					return -1;
				}
			got += c;
			left -= c;
		}
	}
	*last_rc = (int)k;
	free(buf);
	return (long long)got;
}

static void test_threads_round_trip(void)
{
	char why[200];
	struct xfer x = { .total = 3000000, .live_fd = -1 };
	pthread_t t;
	long long got;
	int last = 0;

	x.l = shm_link_create(SMALL_CAP, why, sizeof(why));
	if (!x.l) {
		CHECK(0, "shm_link_create: %s", why);
		return;
	}
	pthread_create(&t, NULL, writer_thread, &x);
	got = read_all_checked(x.l, -1, &last);
	pthread_join(t, NULL);
	CHECK(x.rc == 0 && got == (long long)x.total && last == -EPIPE,
	      "threads: %lld of %llu bytes in order through a 16K ring (random gathers and scatters, ~%llu wraps), "
	      "then EPIPE (%d)",
	      got, (unsigned long long)x.total, (unsigned long long)(x.total / SMALL_CAP), last);
	CHECK(shm_link_stats(x.l, SHM_WRITER).bytes == x.total && shm_link_stats(x.l, SHM_READER).bytes == x.total,
	      "threads: both sides count every byte");
	shm_link_destroy(x.l);
}

/* ---- blocking: the reader waits for data, the writer for room ---- */

struct one_read {
	struct shm_link *l;
	uint8_t buf[64];
	ssize_t k;
	atomic_int done;
};

static void *one_reader(void *arg)
{
	struct one_read *o = arg;
	struct iovec v = { o->buf, sizeof(o->buf) };

	o->k = shm_link_read(o->l, &v, 1, -1, 5000);
	atomic_store(&o->done, 1);
	return NULL;
}

static void test_reader_blocks(void)
{
	char why[200];
	struct one_read o = { .l = shm_link_create(SMALL_CAP, why, sizeof(why)) };
	struct iovec v = { "hello", 5 };
	pthread_t t;
	int waited;

	pthread_create(&t, NULL, one_reader, &o);
	usleep(200 * 1000);
	waited = !atomic_load(&o.done);
	shm_link_write(o.l, &v, 1, -1, 1000);
	pthread_join(t, NULL);
	CHECK(waited && o.k == 5 && !memcmp(o.buf, "hello", 5) && shm_link_stats(o.l, SHM_READER).sleeps >= 1 &&
		      shm_link_stats(o.l, SHM_WRITER).wakes == 1,
	      "reader on an empty ring sleeps (%llu futex waits) until 5 bytes come, and the writer woke it once",
	      (unsigned long long)shm_link_stats(o.l, SHM_READER).sleeps);
	shm_link_destroy(o.l);
}

struct one_write {
	struct shm_link *l;
	size_t len;
	int rc;
	atomic_int done;
};

static void *one_writer(void *arg)
{
	struct one_write *o = arg;
	uint8_t *buf = calloc(1, o->len);
	struct iovec v = { buf, o->len };

	o->rc = shm_link_write(o->l, &v, 1, -1, 5000);
	atomic_store(&o->done, 1);
	free(buf);
	return NULL;
}

static void test_writer_blocks(void)
{
	char why[200];
	struct one_write o = { .l = shm_link_create(4096, why, sizeof(why)), .len = 3 * 4096 + 100 };
	uint8_t *buf = malloc(o.len);
	size_t got = 0;
	int waited;
	pthread_t t;

	pthread_create(&t, NULL, one_writer, &o);
	usleep(200 * 1000);
	waited = !atomic_load(&o.done) && shm_link_stats(o.l, SHM_WRITER).bytes == 4096;
	while (got < o.len) {
		struct iovec v = { buf + got, o.len - got };
		ssize_t k = shm_link_read(o.l, &v, 1, -1, 5000);

		if (k <= 0)
			break;
		got += (size_t)k;
	}
	pthread_join(t, NULL);
	CHECK(waited && o.rc == 0 && got == o.len && shm_link_stats(o.l, SHM_WRITER).sleeps >= 1,
	      "writer of %zu bytes into a 4K ring stops at 4096 while nobody reads, sleeps (%llu waits), finishes "
	      "as the reader drains",
	      o.len, (unsigned long long)shm_link_stats(o.l, SHM_WRITER).sleeps);
	free(buf);
	shm_link_destroy(o.l);
}

/* ---- closing, hang-up, timeout ---- */

static void test_close_and_errors(void)
{
	char why[200], buf[64];
	struct shm_link *l = shm_link_create(4096, why, sizeof(why));
	struct iovec v = { "0123456789", 10 }, rv = { buf, sizeof(buf) };
	struct one_write o;
	pthread_t t;
	uint64_t t0;
	ssize_t k1, k2;
	int sv[2], rc;

	shm_link_write(l, &v, 1, -1, 1000);
	shm_link_close(l, SHM_WRITER);
	k1 = shm_link_read(l, &rv, 1, -1, 1000);
	k2 = shm_link_read(l, &rv, 1, -1, 1000);
	CHECK(k1 == 10 && k2 == -EPIPE, "writer closed: the reader gets the 10 bytes still there, then EPIPE (%zd)",
	      k2);
	shm_link_destroy(l);

	/* A writer blocked on a full ring is woken by the reader's close and gets EPIPE; later writes too. */
	o = (struct one_write){ .l = shm_link_create(4096, why, sizeof(why)), .len = 8192 };
	pthread_create(&t, NULL, one_writer, &o);
	usleep(100 * 1000);
	t0 = now_ms();
	shm_link_close(o.l, SHM_READER);
	pthread_join(t, NULL);
	rc = shm_link_write(o.l, &v, 1, -1, 1000);
	CHECK(o.rc == -EPIPE && now_ms() - t0 < 1000 && rc == -EPIPE,
	      "reader closed: the blocked writer gets EPIPE at once (%d), a later write too (%d)", o.rc, rc);
	shm_link_destroy(o.l);

	/* The peer's socket end hangs up (its process died without closing the ring). */
	l = shm_link_create(4096, why, sizeof(why));
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[1]);
	t0 = now_ms();
	k1 = shm_link_read(l, &rv, 1, sv[0], 0);
	CHECK(k1 == -EPIPE && now_ms() - t0 < 5 * SHM_LINK_SLICE_MS,
	      "empty ring, the writer's socket end closed: the reader (no timeout) gets EPIPE within a few slices");
	{
		uint8_t *big = calloc(1, 8192);
		struct iovec bv = { big, 8192 };

		rc = shm_link_write(l, &bv, 1, sv[0], 0);
		free(big);
	}
	CHECK(rc == -EPIPE && shm_link_stats(l, SHM_WRITER).bytes == 4096,
	      "full ring, the reader's socket end closed: the writer gets EPIPE after filling the ring (%d)", rc);
	close(sv[0]);
	shm_link_destroy(l);

	/* timeout_ms: no progress for that long. */
	l = shm_link_create(4096, why, sizeof(why));
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	t0 = now_ms();
	k1 = shm_link_read(l, &rv, 1, sv[0], 300);
	CHECK(k1 == -ETIMEDOUT && now_ms() - t0 >= 300, "empty ring, live peer: the reader times out (%zd)", k1);
	{
		uint8_t *big = calloc(1, 8192);
		struct iovec bv = { big, 8192 };

		rc = shm_link_write(l, &bv, 1, sv[0], 300);
		free(big);
	}
	CHECK(rc == -ETIMEDOUT, "full ring, live peer: the writer times out (%d)", rc);
	close(sv[0]);
	close(sv[1]);
	shm_link_destroy(l);

	l = shm_link_create(12345, why, sizeof(why));
	CHECK(!l && errno == EINVAL && strstr(why, "not a power of two"), "a capacity of 12345 refused: %s", why);
}

/* ---- between a parent and a forked child ---- */

static void test_fork(void)
{
	char why[200];
	struct xfer x = { .total = 5000000 };
	int sv[2], st = -1, last = 0;
	long long got;
	pid_t pid;

	x.l = shm_link_create(0, why, sizeof(why));
	if (!x.l || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		CHECK(0, "link and socketpair: %s", why);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		x.live_fd = sv[1];
		writer_thread(&x);
		_exit(x.rc ? 1 : 0);
	}
	close(sv[1]);
	got = read_all_checked(x.l, sv[0], &last);
	waitpid(pid, &st, 0);
	CHECK(got == (long long)x.total && last == -EPIPE && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "fork: the child's %llu bytes arrive in order through the %zu MiB ring, then EPIPE at its close",
	      (unsigned long long)x.total, shm_link_capacity(x.l) >> 20);
	close(sv[0]);
	shm_link_destroy(x.l);

	/* The child dies mid-stream without closing the ring: its socket end closes with it. */
	x = (struct xfer){ .total = 100000, .l = shm_link_create(0, why, sizeof(why)) };
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid = fork();
	if (pid == 0) {
		uint8_t b[1000];
		struct iovec v = { b, sizeof(b) };

		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = seq_byte(i);
		shm_link_write(x.l, &v, 1, sv[1], 1000);
		_exit(0); /* no shm_link_close */
	}
	close(sv[1]);
	got = read_all_checked(x.l, sv[0], &last);
	waitpid(pid, &st, 0);
	CHECK(got == 1000 && last == -EPIPE, "fork: a child gone without closing: its 1000 bytes, then EPIPE (%d)",
	      last);
	close(sv[0]);
	shm_link_destroy(x.l);
}

/* ---- the stream over the ring ---- */

#define PS       4096u
#define RAM_SIZE (2u << 20)
#define NPAGES   (RAM_SIZE / PS)

static const struct stream_header shape = STREAM_TEST_SHAPE(PS, RAM_SIZE, 1, STREAM_BACKING_HUGETLB_2M, 2u << 20);

struct stream_src {
	struct shm_link *l;
	const uint8_t *ram;
	int fd, rc;
};

/* Writes header, one zero-copy round of every page (as stop-and-copy does), END; closes its side. */
static void *stream_src_thread(void *arg)
{
	struct stream_src *s = arg;
	struct stream_writer w;
	uint64_t idx[STREAM_BATCH_MAX];

	s->rc = stream_writer_init(&w, s->fd);
	if (s->rc)
		return NULL;
	stream_writer_use_shm(&w, s->l);
	w.timeout_ms = 10000;
	s->rc = stream_write_header(&w, &shape);
	w.zero_copy = true;
	for (uint32_t b = 0; !s->rc && b < NPAGES / STREAM_BATCH_MAX; b++) {
		for (uint32_t i = 0; i < STREAM_BATCH_MAX; i++)
			idx[i] = b * STREAM_BATCH_MAX + i;
		s->rc = stream_write_batch(&w, 0, idx, STREAM_BATCH_MAX, s->ram);
	}
	if (!s->rc)
		s->rc = stream_write_round_end(&w, 0);
	if (!s->rc)
		s->rc = stream_write_end(&w);
	shm_link_close(s->l, SHM_WRITER);
	stream_writer_free(&w);
	return NULL;
}

static void test_stream_over_ring(void)
{
	uint8_t *src = malloc(RAM_SIZE), *dst = calloc(1, RAM_SIZE);
	char why[200];
	struct stream_src s = { .ram = src, .fd = -1 };
	struct stream_reader r;
	struct stream_header h;
	struct stream_record rec;
	uint64_t pages = 0;
	pthread_t t;
	int rc;

	for (size_t i = 0; i < RAM_SIZE; i++)
		src[i] = seq_byte(i);
	memset(src + 7 * PS, 0, PS); /* a zero page among the data */
	s.l = shm_link_create(64u << 10, why, sizeof(why));
	stream_reader_init(&r, -1);
	stream_reader_use_shm(&r, s.l);
	r.timeout_ms = 10000;
	pthread_create(&t, NULL, stream_src_thread, &s);
	rc = stream_read_header(&r, &h);
	if (!rc)
		rc = stream_reader_land(&r, dst, RAM_SIZE);
	while (!rc && !(rc = stream_next(&r, &rec)) && rec.type != STREAM_REC_END)
		if (rec.type == STREAM_REC_BATCH && rec.u.batch.landed)
			pages += rec.u.batch.count;
	pthread_join(t, NULL);
	CHECK(s.rc == 0 && rc == 0 && pages == NPAGES && !memcmp(dst, src, RAM_SIZE) && r.t.read_ns > 0,
	      "stream over a 64K ring: header, %llu pages landed in RAM bit-exact, END's totals (%s)",
	      (unsigned long long)pages, rc ? r.err : "ok");
	shm_link_destroy(s.l);
	stream_reader_free(&r);
	free(src);
	free(dst);
}

/*
 * A byte flipped on the way: the writer's bytes go through a ring the test reads itself, a byte of the
 * first batch's data is flipped there, and the rest is fed to a reader through a second ring.
 */
static void test_stream_corrupted(void)
{
	uint8_t *src = malloc(RAM_SIZE), *dst = calloc(1, RAM_SIZE), *wire = malloc(2 * RAM_SIZE);
	char why[200];
	struct stream_src s = { .ram = src, .fd = -1 };
	struct shm_link *l2;
	struct stream_reader r;
	struct stream_header h;
	struct stream_record rec;
	size_t len = 0;
	pthread_t t;
	ssize_t k;
	int rc;

	for (size_t i = 0; i < RAM_SIZE; i++)
		src[i] = seq_byte(i);
	s.l = shm_link_create(0, why, sizeof(why));
	l2 = shm_link_create(0, why, sizeof(why));
	pthread_create(&t, NULL, stream_src_thread, &s);
	do {
		struct iovec v = { wire + len, 2 * RAM_SIZE - len };

		k = shm_link_read(s.l, &v, 1, -1, 10000);
		if (k > 0)
			len += (size_t)k;
	} while (k > 0);
	pthread_join(t, NULL);
	wire[len / 2] ^= 0x10; /* in the page data of the first batch */
	{
		struct iovec v = { wire, len };

		shm_link_write(l2, &v, 1, -1, 10000); /* fits: the stream is ~2 MiB, the ring 8 */
		shm_link_close(l2, SHM_WRITER);
	}
	stream_reader_init(&r, -1);
	stream_reader_use_shm(&r, l2);
	rc = stream_read_header(&r, &h);
	if (!rc)
		rc = stream_reader_land(&r, dst, RAM_SIZE);
	while (!rc && !(rc = stream_next(&r, &rec)) && rec.type != STREAM_REC_END)
		;
	CHECK(s.rc == 0 && len > RAM_SIZE && rc == -EBADMSG && strstr(r.err, "checksum"),
	      "stream over the ring with one byte flipped: rejected by the record checksum (%s)", r.err);
	stream_reader_free(&r);
	shm_link_destroy(s.l);
	shm_link_destroy(l2);
	free(src);
	free(dst);
	free(wire);
}

int main(void)
{
	test_threads_round_trip();
	test_reader_blocks();
	test_writer_blocks();
	test_close_and_errors();
	test_fork();
	test_stream_over_ring();
	test_stream_corrupted();
	CHECK_DONE();
}
