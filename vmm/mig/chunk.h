/* SPDX-License-Identifier: MIT */
/* The CLEAR chunk plan: how the slot is cut into KVM_CLEAR_DIRTY_LOG ranges (--clear-chunk). */
#ifndef RVMIG_CHUNK_H
#define RVMIG_CHUNK_H

#include <stdint.h>

/*
 * Pages per CLEAR chunk for a slot of slot_pages 4K pages: chunk_bytes / 4K (0: the whole slot), at
 * most the slot and a multiple of 64 pages (KVM_CLEAR_DIRTY_LOG wants first_page and num_pages
 * 64-aligned, except a range that ends at the slot's end). Neither a power of two nor 2M alignment
 * is needed: KVM write-protects (and splits) a whole huge leaf that a range touches.
 */
uint64_t chunk_pages_for(uint64_t chunk_bytes, uint64_t slot_pages);
static inline uint64_t chunk_count(uint64_t slot_pages, uint64_t chunk_pages)
{
	return (slot_pages + chunk_pages - 1) / chunk_pages;
}

#endif
