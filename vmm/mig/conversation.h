/* SPDX-License-Identifier: MIT */
/*
 * One migration: rvmig migrate (the source, cmd/migrate*.c) and rvmig recv (the destination,
 * cmd/recv.c), or migrate and its forked child for --to local.
 *
 * Conversation on one connected socket, two streams (stream.h), one each way:
 *   source -> destination  preamble, HEADER (shape); rounds of BATCHes + ROUND_END (round 0 = all RAM,
 *                          then the dirty pages; the last round is stop-and-copy, vCPUs paused);
 *                          VCPU (ONE_REG state + MP state) per vCPU; HASHES (one XXH64 per 2M block);
 *                          END. No page follows the first VCPU record: the destination hashes its RAM
 *                          as soon as it arrives, while the source hashes its own. With --verify none
 *                          the HEADER says NO_VERIFY and no HASHES come (nobody hashes).
 *   destination -> source  preamble, HEADER (its shape) or ABORT (shape refused: no page written);
 *                          after END: ABORT (hash mismatch, restore failure) or VERIFIED (sent right
 *                          after it resumed the guest: the source's "resumed" mark, with its hash pass
 *                          and the resume's wait on the check) and HASHES (its RAM, unless NO_VERIFY);
 *                          then END
 *                          once the guest ran --post-run and verified its stamps, or ABORT saying why.
 * The source resumes its own guest on any failure before the destination's HASHES; after them the
 * destination owns the guest and the source only reports.
 */
#ifndef RVMIG_CONVERSATION_H
#define RVMIG_CONVERSATION_H

#include <stdint.h>

#include "core/memory.h"
#include "mig/stream.h"
#include "rvmig_abi.h"

#define MIG_HASH_BLOCK          (2ULL << 20)
#define MIG_CONNECT_MS          10000
#define MIG_IO_TIMEOUT_MS       30000
#define MIG_PAUSE_TIMEOUT_MS    5000
#define MIG_DEFAULT_POST_RUN_MS 1000 /* --post-run: the destination runs the guest before VERIFY */

/* The HEADER both ends send: the VM's shape from its options, so the two sides compare like with like. */
static inline struct stream_header mig_shape(uint64_t mem, uint32_t vcpus, enum mem_backing backing)
{
	return (struct stream_header){
		.version = STREAM_VERSION,
		.page_size = RVMIG_PAGE_SIZE,
		.ram_base = RVMIG_RAM_BASE,
		.ram_size = mem,
		.nr_vcpus = vcpus,
		.backing = (uint32_t)backing,
		.backing_page_size = mem_backing_page_size(backing),
		.abi_version = RVMIG_ABI_VERSION,
	};
}

#endif
