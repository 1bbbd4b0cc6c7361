/* SPDX-License-Identifier: MIT */
/*
 * The shared-memory byte ring (shm_link.h). Positions are free-running 64-bit byte counts: head (the
 * writer's, bytes written) and tail (the reader's, bytes consumed); head - tail is what the ring holds,
 * offset = position & (cap - 1). Each position has one owner that stores it; the other side only loads
 * it. Next to each position sits a 32-bit sequence word, bumped after every move of the position and on
 * close: the futex the other side sleeps on (a futex word is 32 bits; the positions are 64).
 */
#include "mig/shm_link.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * How much the writer copies before it publishes (moves head): the reader starts copying out while the
 * writer goes on copying in (on the lab's two harts the two memcpys overlap). Smaller = more atomic
 * operations per byte, bigger = a later start for the reader.
 */
#define SHM_LINK_PUBLISH (256u << 10)

/* One side's state, in its own cache line: the owner's stores do not bounce the other side's line. */
struct shm_side_state {
	alignas(64) _Atomic uint64_t pos; /* head or tail; stored by the owner only             */
	_Atomic uint32_t seq;             /* futex word: bumped after pos moved, and on close   */
	_Atomic uint32_t sleeping;        /* the owner is about to sleep / sleeps on the other's seq */
	_Atomic uint32_t closed;
	struct shm_link_stats st; /* the owner's own figures (plain: only the owner writes them) */
};

struct shm_link {
	struct shm_side_state w, r;
	alignas(64) uint64_t cap; /* read-only after create */
	size_t data_off, map_len;
};

_Static_assert(sizeof(struct shm_link) <= 4096, "the ring's header fits its first page");

static uint8_t *ring_data(const struct shm_link *l)
{
	return (uint8_t *)l + l->data_off;
}

struct shm_link *shm_link_create(size_t cap, char *why, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t hdr = pg > 0 ? (size_t)pg : 4096;
	struct shm_link *l;
	void *p;

	if (!cap)
		cap = SHM_LINK_CAP;
	if (cap < hdr || (cap & (cap - 1))) {
		snprintf(why, len, "shm link: capacity %zu is not a power of two of at least a page (%zu)", cap, hdr);
		errno = EINVAL;
		return NULL;
	}
	/* MAP_SHARED: after a fork both processes see the same pages (MAP_PRIVATE would copy on write).
	 * MAP_POPULATE: the pages exist before the first copy, so no fault lands in a timed transfer. */
	p = mmap(NULL, hdr + cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		snprintf(why, len, "shm link: mmap of %zu shared bytes: %s", hdr + cap, strerror(e));
		errno = e;
		return NULL;
	}
	l = p; /* a fresh anonymous mapping is zero: positions 0, nobody closed, nobody sleeps */
	l->cap = cap;
	l->data_off = hdr;
	l->map_len = hdr + cap;
	return l;
}

void shm_link_destroy(struct shm_link *l)
{
	if (l)
		munmap(l, l->map_len);
}

size_t shm_link_capacity(const struct shm_link *l)
{
	return l->cap;
}

struct shm_link_stats shm_link_stats(const struct shm_link *l, enum shm_side side)
{
	return side == SHM_WRITER ? l->w.st : l->r.st;
}

/*
 * Not FUTEX_PRIVATE_FLAG: the two sides may be two processes (a private futex is keyed by the address
 * space, so a wake from the other process would never reach the sleeper).
 */
static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)word, op, val, ts, NULL, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The control socket says the other process is gone (its end closed: POLLHUP; a reset: POLLERR). */
static bool peer_hung_up(int live_fd)
{
	struct pollfd p = { .fd = live_fd, .events = 0 }; /* POLLHUP and POLLERR are reported regardless */

	if (live_fd < 0)
		return false;
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/*
 * me moved its position to pos: publish it. release: the bytes copied before (writer: into the ring;
 * reader: out of it) are visible to / done before whoever acquires pos. The seq bump and the load of
 * other->sleeping are seq_cst, pairing with the sleeper's seq_cst store of sleeping and load of seq
 * (wait_other): either we see it sleeping and wake it, or it sees the new seq (its FUTEX_WAIT then
 * returns at once) and the new pos. Without the flag set we make no syscall: the fast path.
 */
static void publish(struct shm_side_state *me, struct shm_side_state *other, uint64_t pos)
{
	atomic_store_explicit(&me->pos, pos, memory_order_release);
	atomic_fetch_add_explicit(&me->seq, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&other->sleeping, memory_order_seq_cst)) {
		me->st.wakes++;
		futex(&me->seq, FUTEX_WAKE, 1, NULL);
	}
}

/*
 * Sleeps until the other side's position differs from seen or it closed. 0 (look again), -EPIPE (the
 * other process is gone: live_fd hung up), -ETIMEDOUT (nothing moved before deadline_ns; 0: none),
 * -errno from futex.
 */
static int wait_other(struct shm_side_state *me, struct shm_side_state *other, uint64_t seen, int live_fd,
		      uint64_t deadline_ns)
{
	bool gone = false;

	for (;;) {
		uint64_t slice = SHM_LINK_SLICE_MS * 1000000ull, t = now_ns();
		struct timespec ts;
		uint32_t seq;
		long rc;

		/* Announce first, then look: see publish() for why this order cannot lose a wake-up. */
		atomic_store_explicit(&me->sleeping, 1, memory_order_seq_cst);
		seq = atomic_load_explicit(&other->seq, memory_order_seq_cst);
		if (atomic_load_explicit(&other->pos, memory_order_acquire) != seen ||
		    atomic_load_explicit(&other->closed, memory_order_acquire)) {
			atomic_store_explicit(&me->sleeping, 0, memory_order_relaxed);
			return 0;
		}
		/* Gone, and nothing came since we looked (bytes published just before it went are read first) */
		if (gone) {
			atomic_store_explicit(&me->sleeping, 0, memory_order_relaxed);
			return -EPIPE;
		}
		if (deadline_ns && t >= deadline_ns) {
			atomic_store_explicit(&me->sleeping, 0, memory_order_relaxed);
			return -ETIMEDOUT;
		}
		if (deadline_ns && deadline_ns - t < slice)
			slice = deadline_ns - t;
		ts = (struct timespec){ .tv_sec = (time_t)(slice / 1000000000ull),
					.tv_nsec = (long)(slice % 1000000000ull) };
		me->st.sleeps++;
		/* FUTEX_WAIT sleeps only if seq is still what we saw: a bump since returns EAGAIN at once. */
		rc = futex(&other->seq, FUTEX_WAIT, seq, &ts);
		/* relaxed: the flag only decides whether the other side makes a wake syscall; a stale 1
		 * costs one needless FUTEX_WAKE, never a lost one. */
		atomic_store_explicit(&me->sleeping, 0, memory_order_relaxed);
		if (rc < 0 && errno == ETIMEDOUT) {
			gone = peer_hung_up(live_fd);
			continue; /* the deadline and a hang-up are acted on above, after one more look */
		}
		if (rc < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

static uint64_t deadline_of(int timeout_ms)
{
	return timeout_ms > 0 ? now_ns() + (uint64_t)timeout_ms * 1000000ull : 0;
}

int shm_link_write(struct shm_link *l, const struct iovec *v, size_t n, int live_fd, int timeout_ms)
{
	/* relaxed: head is ours, nobody else stores it */
	uint64_t head = atomic_load_explicit(&l->w.pos, memory_order_relaxed), done = head;
	uint8_t *data = ring_data(l);
	size_t i = 0, off = 0;

	while (i < n) {
		const uint8_t *src = v[i].iov_base;
		uint64_t tail;
		size_t room, k, at, first;
		int rc;

		if (off == v[i].iov_len) {
			i++;
			off = 0;
			continue;
		}
		/* acquire: the reader closed after its last read; nothing it does afterwards matters */
		if (atomic_load_explicit(&l->r.closed, memory_order_acquire))
			return -EPIPE;
		/* acquire: pairs with the reader's release of tail, so its copies out of the bytes before
		 * tail are done before we overwrite them here */
		tail = atomic_load_explicit(&l->r.pos, memory_order_acquire);
		room = (size_t)(l->cap - (head - tail));
		if (!room) {
			if (head != done) { /* the reader must see what we have before we wait for it */
				publish(&l->w, &l->r, head);
				done = head;
			}
			rc = wait_other(&l->w, &l->r, tail, live_fd, deadline_of(timeout_ms));
			if (rc)
				return rc;
			continue;
		}
		k = v[i].iov_len - off < room ? v[i].iov_len - off : room;
		at = (size_t)(head & (l->cap - 1));
		first = k < l->cap - at ? k : l->cap - at;
		memcpy(data + at, src + off, first);
		memcpy(data, src + off + first, k - first); /* the part past the ring's end wraps to its start */
		head += k;
		off += k;
		l->w.st.bytes += k;
		if (head - done >= SHM_LINK_PUBLISH) {
			publish(&l->w, &l->r, head);
			done = head;
		}
	}
	if (head != done)
		publish(&l->w, &l->r, head);
	return 0;
}

ssize_t shm_link_read(struct shm_link *l, const struct iovec *v, size_t n, int live_fd, int timeout_ms)
{
	uint64_t tail = atomic_load_explicit(&l->r.pos, memory_order_relaxed), head; /* tail is ours */
	const uint8_t *data = ring_data(l);
	size_t got = 0;

	for (;;) {
		int rc;

		/* acquire: pairs with the writer's release of head: the bytes before head are in the ring */
		head = atomic_load_explicit(&l->w.pos, memory_order_acquire);
		if (head != tail)
			break;
		if (atomic_load_explicit(&l->w.closed, memory_order_acquire)) {
			/* The writer published its last head before it closed (release, acquired just now):
			 * a head loaded after this is final. Bytes still there are read first, like a socket's. */
			if (atomic_load_explicit(&l->w.pos, memory_order_acquire) == tail)
				return -EPIPE;
			continue;
		}
		rc = wait_other(&l->r, &l->w, head, live_fd, deadline_of(timeout_ms));
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < n && tail != head; i++) {
		uint8_t *dst = v[i].iov_base;
		size_t k = v[i].iov_len < head - tail ? v[i].iov_len : (size_t)(head - tail);
		size_t at = (size_t)(tail & (l->cap - 1)), first = k < l->cap - at ? k : l->cap - at;

		memcpy(dst, data + at, first);
		memcpy(dst + first, data, k - first);
		tail += k;
		got += k;
	}
	l->r.st.bytes += got;
	publish(&l->r, &l->w, tail);
	return (ssize_t)got;
}

void shm_link_close(struct shm_link *l, enum shm_side side)
{
	struct shm_side_state *me = side == SHM_WRITER ? &l->w : &l->r;

	/* release: everything this side published before is seen by whoever acquires closed */
	atomic_store_explicit(&me->closed, 1, memory_order_release);
	atomic_fetch_add_explicit(&me->seq, 1, memory_order_seq_cst);
	futex(&me->seq, FUTEX_WAKE, INT_MAX, NULL); /* once per link: no need to ask whether it sleeps */
}
