/*
 * Unit tests of vmm/mig/dirty.c and vmm/mig/send.c over the fake of KVM's dirty log (fake_kvm.c):
 * the rule "a page's dirty bit is cleared only after it was sent", the CLEAR of a chunk before its
 * first page, and that no write the guest makes during a round is lost.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "check.h"
#include "core/machine.h"
#include "fake_kvm.h"
#include "lib/bitmap.h"
#include "mig/dirty.h"
#include "mig/send.h"
#include "mig/stream.h"

#define NPAGES      4096         /* 16M slot                                         */
#define CHUNK_BYTES (2ULL << 20) /* 512 pages a chunk: 8 chunks                       */

/* What the test's "link" saw. */
struct link {
	struct dirty *d;
	unsigned batches, fail_at; /* the fail_at-th send fails (1-based), 0 = never   */
	uint64_t sent[NPAGES];
	unsigned nsent;
	uint64_t sent_seq[NPAGES];  /* fake_kvm_tick() when the page went out           */
	bool bit_set_while_sending; /* every page's bit was set during its send         */
	bool bit_clear_after_send;  /* every page's bit was clear once sent() ran       */
	uint64_t write_during_send; /* page the guest writes while its batch is on the wire, or ~0 */
	uint64_t redirty_in_sent;   /* page a harvest in sent() finds dirty again, or ~0 */
	uint64_t failed_chunk;
	int clear_rc;
};

static int link_send(void *arg, const uint64_t *idx, uint32_t n)
{
	struct link *l = arg;

	if (++l->batches == l->fail_at)
		return -EPIPE;
	for (uint32_t i = 0; i < n; i++) {
		if (!bitmap_test(l->d->bitmap, idx[i]))
			l->bit_set_while_sending = false;
		if (idx[i] == l->write_during_send)
			fake_kvm_write(idx[i]);
		l->sent_seq[l->nsent] = fake_kvm_tick();
		l->sent[l->nsent++] = idx[i];
	}
	return 0;
}

static int link_sent(void *arg, uint32_t n)
{
	struct link *l = arg;

	for (uint32_t i = l->nsent - n; i < l->nsent; i++)
		if (bitmap_test(l->d->bitmap, l->sent[i]))
			l->bit_clear_after_send = false;
	/* A mid-round harvest (the ring's) that finds a page of this batch dirty again. */
	for (uint32_t i = l->nsent - n; i < l->nsent; i++)
		if (l->sent[i] == l->redirty_in_sent)
			bitmap_set(l->d->bitmap, l->sent[i]);
	return 0;
}

static void link_clear_failed(void *arg, uint64_t chunk, int rc)
{
	struct link *l = arg;

	l->failed_chunk = chunk;
	l->clear_rc = rc;
}

static const struct send_ops link_ops = { .send = link_send, .sent = link_sent, .clear_failed = link_clear_failed };

static void link_init(struct link *l, struct dirty *d)
{
	memset(l, 0, sizeof(*l));
	l->d = d;
	l->bit_set_while_sending = l->bit_clear_after_send = true;
	l->write_during_send = l->redirty_in_sent = l->failed_chunk = ~0ULL;
}

static struct machine m;

static int start(struct dirty *d, enum dirty_mode mode)
{
	int rc;

	fake_kvm_reset(NPAGES);
	memset(&m, 0, sizeof(m));
	m.vm.manual_protect = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
	rc = dirty_init(d, mode, &m, 0, NPAGES * RVMIG_PAGE_SIZE, CHUNK_BYTES, 0);
	return rc ? rc : dirty_start(d);
}

static uint64_t count_set(const struct dirty *d)
{
	uint64_t n = 0;

	for (uint64_t p = 0; p < d->npages; p++)
		n += bitmap_test(d->bitmap, p);
	return n;
}

/* The CLEAR covering page p happened before seq (and there was one). */
static bool cleared_before(uint64_t p, uint64_t seq)
{
	for (unsigned i = 0; i < fake_kvm.nev; i++) {
		const struct fake_kvm_event *e = &fake_kvm.ev[i];

		if (e->type == FAKE_CLEAR && p >= e->first && p < e->first + e->num)
			return e->seq < seq;
	}
	return false;
}

static void test_round0(enum dirty_mode mode)
{
	struct dirty d;
	struct link l;
	bool order = true;
	int rc = start(&d, mode);

	CHECK(rc == 0 && count_set(&d) == NPAGES, "%s: logging on, round 0 starts with every page dirty",
	      dirty_mode_name(mode));
	link_init(&l, &d);
	rc = send_dirty_pages(&d, &link_ops, &l);
	CHECK(rc == 0 && l.nsent == NPAGES && count_set(&d) == 0,
	      "%s: round 0 sends every page once, bitmap empty after", dirty_mode_name(mode));
	CHECK(l.bit_set_while_sending && l.bit_clear_after_send,
	      "%s: a page's bit is set while its batch is sent and cleared only after", dirty_mode_name(mode));
	if (mode == DIRTY_MANUAL_INIT_SET) {
		for (unsigned i = 0; i < l.nsent; i++)
			order &= cleared_before(l.sent[i], l.sent_seq[i]);
		CHECK(order, "%s: every chunk is CLEARed before its first page is sent", dirty_mode_name(mode));
	}
	dirty_free(&d);
}

/* A failed send: what went out is clean, the failed batch and everything after it stay dirty. */
static void test_failed_send(enum dirty_mode mode)
{
	struct dirty d;
	struct link l;
	bool kept = true;
	int rc;

	start(&d, mode);
	link_init(&l, &d);
	l.fail_at = 3;
	rc = send_dirty_pages(&d, &link_ops, &l);
	for (uint64_t p = 2 * STREAM_BATCH_MAX; p < NPAGES; p++)
		kept &= bitmap_test(d.bitmap, p);
	CHECK(rc == -EPIPE && l.nsent == 2 * STREAM_BATCH_MAX && count_set(&d) == NPAGES - 2 * STREAM_BATCH_MAX && kept,
	      "%s: a failed send stops the round and loses no page: %u sent and clear, %llu still dirty",
	      dirty_mode_name(mode), l.nsent, (unsigned long long)count_set(&d));
	link_init(&l, &d);
	rc = send_dirty_pages(&d, &link_ops, &l);
	CHECK(rc == 0 && l.nsent == NPAGES - 2 * STREAM_BATCH_MAX && l.sent[0] == 2 * STREAM_BATCH_MAX &&
		      count_set(&d) == 0,
	      "%s: the retry sends exactly the pages the failed round did not", dirty_mode_name(mode));
	dirty_free(&d);
}

/* A write while a page is on the wire is in the next harvest: the page goes again. */
static void test_write_during_send(enum dirty_mode mode)
{
	struct dirty d;
	struct link l;
	uint64_t page = 700;
	int rc;

	start(&d, mode);
	link_init(&l, &d);
	l.write_during_send = page;
	rc = send_dirty_pages(&d, &link_ops, &l);
	CHECK(rc == 0 && !bitmap_test(d.bitmap, page), "%s: round 0 sent page %llu", dirty_mode_name(mode),
	      (unsigned long long)page);
	rc = dirty_harvest(&d);
	CHECK(rc == 0 && bitmap_test(d.bitmap, page) && count_set(&d) == 1,
	      "%s: the write made while it was sent is harvested (page dirty again, alone)", dirty_mode_name(mode));
	link_init(&l, &d);
	rc = send_dirty_pages(&d, &link_ops, &l);
	CHECK(rc == 0 && l.nsent == 1 && l.sent[0] == page && count_set(&d) == 0, "%s: round 1 sends it again",
	      dirty_mode_name(mode));
	if (mode != DIRTY_GET) {
		CHECK(!fake_kvm_logged(page) && cleared_before(page, l.sent_seq[0]),
		      "%s: round 1 CLEARed the page's chunk before sending it", dirty_mode_name(mode));
	}
	dirty_free(&d);
}

/* A harvest after the bit was cleared (in sent()) may set it again; the loop must not undo that. */
static void test_redirty_after_clear(void)
{
	struct dirty d;
	struct link l;

	start(&d, DIRTY_MANUAL);
	link_init(&l, &d);
	l.redirty_in_sent = 5;
	send_dirty_pages(&d, &link_ops, &l);
	CHECK(bitmap_test(d.bitmap, 5) && count_set(&d) == 1,
	      "manual: a page found dirty again by a harvest right after its send stays dirty");
	dirty_free(&d);
}

/* A failed CLEAR: none of the chunk's pages goes out, all stay dirty. */
static void test_failed_clear(void)
{
	struct dirty d;
	struct link l;
	uint64_t chunk_pages;
	int rc;

	start(&d, DIRTY_MANUAL_INIT_SET);
	chunk_pages = d.chunk_pages;
	fake_kvm.fail_clear_at = 2;
	link_init(&l, &d);
	rc = send_dirty_pages(&d, &link_ops, &l);
	CHECK(rc == -EIO && l.clear_rc == -EIO && l.failed_chunk == 1 && l.nsent == chunk_pages &&
		      count_set(&d) == NPAGES - chunk_pages,
	      "manual-init-set: a failed CLEAR of chunk 1 sends none of its pages (%u sent, %llu dirty)", l.nsent,
	      (unsigned long long)count_set(&d));
	dirty_free(&d);
}

int main(void)
{
	static const enum dirty_mode modes[] = { DIRTY_GET, DIRTY_MANUAL, DIRTY_MANUAL_INIT_SET };
	struct dirty d;

	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		test_round0(modes[i]);
		test_failed_send(modes[i]);
		test_write_during_send(modes[i]);
	}
	test_redirty_after_clear();
	test_failed_clear();
	fake_kvm_reset(NPAGES);
	memset(&m, 0, sizeof(m));
	CHECK(dirty_init(&d, DIRTY_RING, &m, 0, NPAGES * RVMIG_PAGE_SIZE, CHUNK_BYTES, 64) == 0 &&
		      dirty_setup_vm(&d) == -EOPNOTSUPP,
	      "ring: refused when KVM lacks the ring capability");
	dirty_free(&d);
	CHECK_DONE();
}
