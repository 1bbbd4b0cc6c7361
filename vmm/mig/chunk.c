/* SPDX-License-Identifier: MIT */
#include "mig/chunk.h"

#include "rvmig_abi.h"

uint64_t chunk_pages_for(uint64_t chunk_bytes, uint64_t slot_pages)
{
	uint64_t n = chunk_bytes / RVMIG_PAGE_SIZE;

	if (!n || n > slot_pages)
		n = slot_pages;
	n &= ~63ULL;
	return n ? n : 64;
}
