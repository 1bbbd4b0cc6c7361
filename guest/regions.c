// SPDX-License-Identifier: MIT
/*
 * Which first write was the first of its 2M (and 1G) region in this epoch. Without eager page
 * splitting, that is the write whose dirty-logging fault splits the huge G-stage mapping behind the
 * region, so its latency is kept apart (struct rvmig_vcpu_stats.fw[]).
 *
 * Each region has a tag in the reserved part of RAM's first 2M (RVMIG_TAG2M_OFFSET,
 * RVMIG_TAG1G_OFFSET): (uint32_t)epoch + 1 once a data page of the region was first-written in that
 * epoch. An atomic swap makes exactly one hart the first of a region that two slices share. Called
 * after the timed store: when two harts race for a region, the swap may crown the one whose fault
 * did not split (at most one region per slice boundary, and only when both write it at once).
 * The gen-table pages are written untimed and never tagged: with a random pattern, a gen-table write
 * can be what splits the region holding the table.
 */
#include "guest.h"

static bool region_claim(uint32_t *tags, uint64_t index, uint32_t tag)
{
	return __atomic_exchange_n(&tags[index], tag, __ATOMIC_RELAXED) != tag;
}

bool regions_cover(uint64_t ram_end)
{
	return (ram_end - 1) / (2ULL << 20) - g.ram_base / (2ULL << 20) < RVMIG_TAG2M_COUNT &&
	       (ram_end - 1) / (1ULL << 30) - g.ram_base / (1ULL << 30) < RVMIG_TAG1G_COUNT;
}

unsigned regions_first_write(uint64_t gpa, uint64_t epoch)
{
	uint32_t *tag2m = (uint32_t *)(g.ram_base + RVMIG_TAG2M_OFFSET);
	uint32_t *tag1g = (uint32_t *)(g.ram_base + RVMIG_TAG1G_OFFSET);
	uint32_t tag = (uint32_t)epoch + 1; /* RAM starts zeroed: 0 must mean "never" */

	if (!region_claim(tag2m, gpa / (2ULL << 20) - g.ram_base / (2ULL << 20), tag))
		return 0;
	if (!region_claim(tag1g, gpa / (1ULL << 30) - g.ram_base / (1ULL << 30), tag))
		return REGION_FIRST_IN_2M;
	return REGION_FIRST_IN_2M | REGION_FIRST_IN_1G;
}
