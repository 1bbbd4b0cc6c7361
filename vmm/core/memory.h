/* SPDX-License-Identifier: MIT */
/* Guest RAM: one host mapping with a chosen backing, checked for the page size it really got. */
#ifndef RVMIG_MEMORY_H
#define RVMIG_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

enum mem_backing {
	MEM_ANON,       /* 4K pages, THP switched off for the range                        */
	MEM_THP,        /* MADV_HUGEPAGE on a 2M-aligned mapping                           */
	MEM_HUGETLB_2M, /* MAP_HUGETLB | MAP_HUGE_2MB                                      */
	MEM_HUGETLB_1G, /* MAP_HUGETLB | MAP_HUGE_1GB                                      */
	MEM_BACKING_COUNT,
};

/* Name as given on the command line. Inline so the pure CLI code needs no memory.c. */
static inline const char *mem_backing_name(enum mem_backing b)
{
	static const char *const names[MEM_BACKING_COUNT] = {
		[MEM_ANON] = "anon",
		[MEM_THP] = "thp",
		[MEM_HUGETLB_2M] = "hugetlb-2M",
		[MEM_HUGETLB_1G] = "hugetlb-1G",
	};
	return (unsigned)b < MEM_BACKING_COUNT ? names[b] : "?";
}

/* -1 when unknown. Case-insensitive: "hugetlb-2m" is accepted too. */
static inline int mem_backing_parse(const char *s)
{
	for (int b = 0; b < MEM_BACKING_COUNT; b++)
		if (!strcasecmp(s, mem_backing_name((enum mem_backing)b)))
			return b;
	return -1;
}

/* Page size the backing is made of: what --mem must be a multiple of. */
static inline uint64_t mem_backing_page_size(enum mem_backing b)
{
	switch (b) {
	case MEM_THP:
		return 2ULL << 20; /* so every 2M of the slot can be a huge page */
	case MEM_HUGETLB_2M:
		return 2ULL << 20;
	case MEM_HUGETLB_1G:
		return 1ULL << 30;
	default:
		return 4096;
	}
}

struct mem {
	enum mem_backing backing;
	uint64_t size;      /* bytes of guest RAM                                            */
	uint64_t page_size; /* mem_backing_page_size()                                       */
	void *hva;          /* start of guest RAM in our address space                       */
	void *map;          /* what mmap returned (THP over-maps to align)                   */
	size_t map_len;
	/* What the kernel actually gave, read back after touching every page. */
	uint64_t huge_bytes;     /* bytes of the range backed by huge pages                       */
	uint64_t kernel_page_kb; /* KernelPageSize of the mapping                                 */
	long hugetlb_free_before, hugetlb_free_after;
	char report[160]; /* one line for the summary                                      */
};

/* Map, touch and check guest RAM. Exits with a hint when the backing cannot be had. */
void mem_alloc(struct mem *m, enum mem_backing backing, uint64_t size);
void mem_free(struct mem *m);
/* Host pointer for [gpa, gpa + len) of guest RAM based at base, NULL when outside. */
void *mem_gpa_ptr(const struct mem *m, uint64_t base, uint64_t gpa, uint64_t len);

/* Huge pages of backing b a new mapping can still get (free less reserved); -1: no such pool. */
long mem_hugetlb_available(enum mem_backing b);

#endif
