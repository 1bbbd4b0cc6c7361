// SPDX-License-Identifier: MIT
/*
 * The dirtying workload: which page to touch next (sequential, uniform random, hot/cold), whether
 * it is a read or a write, rate limiting, and the page write itself with its first-write timing.
 */
#include "arch.h"
#include "guest.h"
#include "sbi.h"

#define HOT_SHARE_PCT   90 /* hot pages take this share of the accesses */
#define DEFAULT_HOT_PCT 10

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* xorshift64*: fast, and good enough to spread accesses over a slice. */
static uint64_t prng_next(struct hart *h)
{
	uint64_t x = h->prng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	h->prng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n) without a division: the high half of a 64x64 multiply (mulhu). */
static uint64_t prng_below(struct hart *h, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)prng_next(h) * n) >> 64);
}

void dirty_load_params(struct hart *h)
{
	volatile struct rvmig_ctl *ctl = g.ctl;
	uint32_t hot_pct = ctl->hot_pct;
	uint64_t rate = ctl->rate_limit;

	h->pattern = ctl->pattern;
	h->write_pct = ctl->write_pct > 100 ? 100 : ctl->write_pct;
	if (hot_pct == 0)
		hot_pct = DEFAULT_HOT_PCT;
	h->hot_pages = hot_pct >= 100 ? h->data_pages : h->data_pages * hot_pct / 100;
	if (h->hot_pages == 0)
		h->hot_pages = 1;
	h->write_interval = rate ? g.dt.timebase / rate : 0;
	if (rate && h->write_interval == 0)
		h->write_interval = 1;
	if (!h->prng_seeded) { /* once per boot: a resumed run continues the same sequence */
		uint64_t s = ctl->seed ^ h->hartid;
		h->prng = splitmix64(&s) | 1; /* xorshift state must not be 0 */
		h->prng_seeded = true;
	}
}

/* Hot/cold: the hot pages are the first hot_pages of the slice, a contiguous range. */
static uint64_t pick_hotcold(struct hart *h)
{
	uint64_t n = h->data_pages, hot = h->hot_pages;

	if (hot >= n)
		return prng_below(h, n);
	if (prng_below(h, 100) < HOT_SHARE_PCT)
		return prng_below(h, hot);
	return hot + prng_below(h, n - hot);
}

struct access dirty_pick(struct hart *h)
{
	struct access a;

	switch (h->pattern) {
	case RVMIG_PATTERN_RANDOM:
		a.page = prng_below(h, h->data_pages);
		break;
	case RVMIG_PATTERN_HOTCOLD:
		a.page = pick_hotcold(h);
		break;
	case RVMIG_PATTERN_SEQUENTIAL:
	default: /* an unknown pattern is reported once by the worker and run as sequential */
		a.page = h->seq_cursor;
		h->seq_cursor = h->seq_cursor + 1 < h->data_pages ? h->seq_cursor + 1 : 0;
		break;
	}
	a.write = h->write_pct >= 100 || (h->write_pct && prng_below(h, 100) < h->write_pct);
	return a;
}

/* Rate limiting: a write may go when its slot has come; slots are write_interval ticks apart. */
bool dirty_write_due(struct hart *h, uint64_t now)
{
	return !h->write_interval || now >= h->next_write;
}

/*
 * The next write's slot. A hart that fell behind (descheduled by the host, or TCG running the vCPUs
 * in turns) may catch up, but only by PACE_CATCHUP_DIV-th of a second's worth of writes: after a long
 * stop, such as migration downtime, a full catch-up would be a burst the VMM never asked for.
 */
#define PACE_CATCHUP_DIV 100 /* 10 ms */
static void pace_after_write(struct hart *h, uint64_t now)
{
	uint64_t window = g.dt.timebase / PACE_CATCHUP_DIV;
	uint64_t oldest = now > window ? now - window : 0;
	uint64_t base = h->next_write > oldest ? h->next_write : oldest;

	h->next_write = base + h->write_interval;
}

static void page_write(struct hart *h, uint64_t k, uint64_t epoch)
{
	volatile uint64_t *w = (volatile uint64_t *)(h->data + k * PAGE_SIZE);
	uint64_t page = h->first_page + k;
	uint64_t header = rvmig_stamp_header(h->hartid, page);
	uint64_t gen = h->gens[k] + 1;
	/* Loads do not fault under write protection, so looking at the stamp costs no exit. */
	bool first = w[0] != header || w[2] != epoch;

	_Static_assert(sizeof(struct rvmig_stamp) == 32, "stamp = header, gen, epoch, check");
	if (first) {
		/* The first store to a write-protected page takes the dirty-logging fault: time it. */
		uint64_t t0 = rdtime();
		w[1] = gen;
		uint64_t t1 = rdtime();
		stats_add_first_write(h, regions_first_write((uint64_t)(uintptr_t)w, epoch), t1 - t0);
		/* Every page written once this epoch; the worker announces it (0 means "not yet"). */
		if (h->st.first_writes == h->data_pages && !h->st.slice_done_ticks)
			h->st.slice_done_ticks = t1 - h->st.epoch_start ? t1 - h->st.epoch_start : 1;
	}
	h->gens[k] = gen;
	uint64_t check = rvmig_stamp_check(h->hartid, page, gen, epoch);
	w[0] = header;
	w[1] = gen;
	w[2] = epoch;
	w[3] = check;
	w[PAGE_SIZE / sizeof(uint64_t) - 1] = check;
	h->st.writes++;
	h->st.epoch_writes++;
}

static void page_read(struct hart *h, uint64_t k)
{
	const volatile uint64_t *w = (const volatile uint64_t *)(h->data + k * PAGE_SIZE);
	(void)w[1];
}

void dirty_access(struct hart *h, struct access a, uint64_t epoch)
{
	if (a.write) {
		page_write(h, a.page, epoch);
		if (h->write_interval)
			pace_after_write(h, rdtime());
	} else {
		page_read(h, a.page);
	}
	h->st.accesses++;
}
