/* SPDX-License-Identifier: MIT */
/*
 * The CLEAR chunking of the send loop with --clear-chunk sizes that are multiples of 256K but no
 * power of two and not 2M-aligned (768K, 1280K, 3M) and with 256K and the whole slot, over the fake
 * of KVM's dirty log, which refuses a range KVM_CLEAR_DIRTY_LOG would refuse (first_page or
 * num_pages not a multiple of 64 unless the range ends at the slot's end): every range is one KVM
 * takes, the ranges tile the slot, each chunk is CLEARed once and before its first page is sent.
 */
#include <linux/kvm.h>
#include <string.h>

#include "check.h"
#include "core/machine.h"
#include "fake_kvm.h"
#include "lib/bitmap.h"
#include "mig/chunk.h"
#include "mig/dirty.h"
#include "mig/send.h"

#define MAX_PAGES 4096

struct link {
	uint64_t sent_seq[MAX_PAGES]; /* fake_kvm_tick() when the page went out, 0 = not sent */
	unsigned nsent, twice;
};

static int link_send(void *arg, const uint64_t *idx, uint32_t n)
{
	struct link *l = arg;

	for (uint32_t i = 0; i < n; i++) {
		l->twice += l->sent_seq[idx[i]] != 0;
		l->sent_seq[idx[i]] = fake_kvm_tick();
		l->nsent++;
	}
	return 0;
}

static int link_sent(void *arg, uint32_t n)
{
	(void)arg;
	(void)n;
	return 0;
}

static void link_clear_failed(void *arg, uint64_t chunk, int rc)
{
	(void)arg;
	(void)chunk;
	(void)rc;
}

static const struct send_ops link_ops = { .send = link_send, .sent = link_sent, .clear_failed = link_clear_failed };
static struct machine m;
static struct link l;

/* The CLEARs since event `from` tile [0, npages) in chunk order, each 64-aligned (tail excepted). */
static bool clears_tile_slot(unsigned from, uint64_t npages, uint64_t chunk_pages, unsigned *nclears)
{
	uint64_t next = 0;

	*nclears = 0;
	for (unsigned i = from; i < fake_kvm.nev; i++) {
		const struct fake_kvm_event *e = &fake_kvm.ev[i];
		uint64_t want = npages - next < chunk_pages ? npages - next : chunk_pages;

		if (e->type != FAKE_CLEAR)
			continue;
		if (e->first != next || e->num != want || e->first % 64 || (e->num % 64 && e->first + e->num != npages))
			return false;
		next += e->num;
		++*nclears;
	}
	return next == npages;
}

/* Each page went out after the CLEAR of the range that holds it. */
static bool sent_after_its_clear(unsigned from, uint64_t npages)
{
	for (uint64_t p = 0; p < npages; p++) {
		bool found = false;

		if (!l.sent_seq[p])
			continue;
		for (unsigned i = from; i < fake_kvm.nev && !found; i++) {
			const struct fake_kvm_event *e = &fake_kvm.ev[i];

			if (e->type == FAKE_CLEAR && p >= e->first && p < e->first + e->num) {
				if (e->seq > l.sent_seq[p])
					return false;
				found = true;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

static void test_chunking(uint64_t npages, uint64_t chunk_bytes, const char *name)
{
	/* A page each side of the chunk boundaries around the middle, and the slot's last page. */
	struct dirty d;
	uint64_t cp, mid, writes[4];
	unsigned n0, nclears;
	bool cleaned = true;
	int rc;

	fake_kvm_reset(npages);
	memset(&m, 0, sizeof(m));
	m.vm.manual_protect = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
	rc = dirty_init(&d, DIRTY_MANUAL_INIT_SET, &m, 0, npages * RVMIG_PAGE_SIZE, chunk_bytes, 0);
	if (!rc)
		rc = dirty_start(&d);
	cp = d.chunk_pages;
	CHECK(rc == 0 && cp % 64 == 0 && d.nchunks == chunk_count(npages, cp),
	      "%s over %llu pages: %llu pages a chunk, %llu chunks", name, (unsigned long long)npages,
	      (unsigned long long)cp, (unsigned long long)d.nchunks);
	memset(&l, 0, sizeof(l));
	n0 = fake_kvm.nev;
	rc = send_dirty_pages(&d, &link_ops, &l);
	CHECK(rc == 0 && l.nsent == npages && !l.twice && clears_tile_slot(n0, npages, cp, &nclears) &&
		      nclears == d.nchunks && sent_after_its_clear(n0, npages),
	      "%s: round 0 sends %u of %llu pages once, after %u CLEARs that tile the slot in ranges KVM takes", name,
	      l.nsent, (unsigned long long)npages, nclears);

	/* a chunk boundary (the middle of the slot when it is one chunk) */
	mid = d.nchunks > 1 ? d.nchunks / 2 * cp : npages / 2;
	writes[0] = mid - 1;
	writes[1] = mid;
	writes[2] = mid + cp < npages ? mid + cp : mid + 1;
	writes[3] = npages - 1;
	for (unsigned i = 0; i < 4; i++)
		fake_kvm_write(writes[i]);
	rc = dirty_harvest(&d);
	memset(&l, 0, sizeof(l));
	n0 = fake_kvm.nev;
	if (!rc)
		rc = send_dirty_pages(&d, &link_ops, &l);
	for (unsigned i = 0; i < 4; i++)
		cleaned &= l.sent_seq[writes[i]] && !fake_kvm_logged(writes[i]);
	CHECK(rc == 0 && l.nsent == 4 && cleaned && sent_after_its_clear(n0, npages),
	      "%s: round 1 sends the 4 pages written across chunk edges, each after its chunk's CLEAR", name);
	dirty_free(&d);
}

int main(void)
{
	test_chunking(4096, 256ULL << 10, "256K");
	test_chunking(4096, 768ULL << 10, "768K");
	test_chunking(4096, 1280ULL << 10, "1280K");
	test_chunking(4096, 3ULL << 20, "3M");
	test_chunking(4096, 0, "slot");
	/* A slot that is no multiple of 64 pages: the last range is shorter and ends at the slot's end. */
	test_chunking(4000, 768ULL << 10, "768K");
	test_chunking(4000, 0, "slot");
	CHECK_DONE();
}
