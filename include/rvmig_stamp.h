/* SPDX-License-Identifier: MIT */
/*
 * The page stamp, one scheme for both rvmig guests: the bare-metal guest (guest/dirty.c, verify.c)
 * and the Linux guest's workload (guest/linux/rvmig-wl.c). Pure C, no libc: it builds freestanding,
 * in a static glibc program and on the host.
 */
#ifndef RVMIG_STAMP_H
#define RVMIG_STAMP_H

#include <stdint.h>

/*
 * Page stamp: every write puts this at the start of the page and `tail` into the last 8 bytes.
 * gen counts the writes to that page (1 = first write ever); the guest keeps its own record of the
 * last gen per page so a verify pass can check that what memory holds is exactly what the guest last
 * wrote. In the bare-metal guest that record is the start of the vCPU's own slice: slice_table_pages
 * pages of uint64_t gens (one per data page), followed by slice_pages data pages; the Linux workload
 * keeps one gen table per thread in its own memory. Updating it dirties memory too, as any real
 * workload's bookkeeping does. hartid is the hart (bare metal) or the workload thread (Linux), page
 * the index within the work area (bare metal) or the workload's buffer (Linux).
 */
#define RVMIG_STAMP_MAGIC 0x5354u /* "ST" */
struct rvmig_stamp {
	uint16_t magic;
	uint16_t hartid;
	uint32_t page; /* page index within the work area                                        */
	uint64_t gen;
	uint64_t epoch; /* dirty-log epoch of the write                                           */
	uint64_t check; /* rvmig_stamp_check(hartid, page, gen, epoch)                            */
};

static inline uint64_t rvmig_stamp_check(uint64_t hartid, uint64_t page, uint64_t gen, uint64_t epoch)
{
	/* splitmix64 over the fields: cheap and catches torn or stale pages. */
	uint64_t z = (hartid << 48) ^ (page << 16) ^ gen ^ (epoch * 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The stamp's first 8 bytes (magic, hartid, page) as one little-endian word: one store writes them. */
static inline uint64_t rvmig_stamp_header(uint64_t hartid, uint64_t page)
{
	return RVMIG_STAMP_MAGIC | (hartid & 0xffff) << 16 | (page & 0xffffffffULL) << 32;
}

/*
 * What is wrong with a page's stamp s (tail: the page's last 8 bytes) when its writer (hartid) wrote
 * it gen times (0 = never): a short reason, or 0 when it holds exactly the last write. A never-written
 * page may hold anything but a valid stamp of this writer for this page (that would mean the gen
 * table lost an update, e.g. a stale table page after migration).
 */
static inline const char *rvmig_stamp_problem(const volatile struct rvmig_stamp *s, uint64_t tail, uint64_t hartid,
					      uint64_t page, uint64_t gen)
{
	if (gen == 0)
		return s->magic == RVMIG_STAMP_MAGIC && s->hartid == hartid && s->page == page &&
				       s->check == rvmig_stamp_check(hartid, page, s->gen, s->epoch)
			       ? "stamped but gen table says never written"
			       : 0;
	if (s->magic != RVMIG_STAMP_MAGIC)
		return "no stamp magic";
	if (s->hartid != hartid || s->page != page)
		return "stamp of another hart or page";
	if (s->gen != gen)
		return "stale gen";
	if (s->check != rvmig_stamp_check(hartid, page, gen, s->epoch))
		return "bad check";
	if (tail != s->check)
		return "tail differs from check (torn page)";
	return 0;
}

#endif /* RVMIG_STAMP_H */
