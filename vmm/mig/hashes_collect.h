/* SPDX-License-Identifier: MIT */
/*
 * A peer's RAM block hashes gathered from HASHES records. The writer splits them into records of at
 * most STREAM_HASHES_MAX (65,536 blocks, 128 GiB of 2M blocks), so a bigger guest's hashes arrive in
 * several records: they must come in order, each starting where the previous one ended, with the
 * agreed block size, until every block is covered exactly once. Used by both ends of a migration:
 * the destination for the source's hashes, the source for the destination's reply.
 */
#ifndef RVMIG_HASHES_COLLECT_H
#define RVMIG_HASHES_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mig/stream.h"

struct hashes_collect {
	uint64_t block_size, nblocks;
	uint64_t got; /* blocks 0..got-1 are in out[] */
	uint64_t *out;
};

void hashes_collect_init(struct hashes_collect *c, uint64_t block_size, uint64_t nblocks, uint64_t *out);
/* Takes one decoded HASHES record. 0, or -EBADMSG with why it does not continue the set. */
int hashes_collect_add(struct hashes_collect *c, const struct stream_hashes *h, char *why, size_t len);
static inline bool hashes_collect_done(const struct hashes_collect *c)
{
	return c->got == c->nblocks;
}

/*
 * Reads records from r until all nblocks hashes are in out[]. 0; -EBADMSG with r->err set when a
 * record is not the next HASHES record; else stream_next's error (-ECANCELED: the peer aborted).
 * `seen` (may be NULL) counts the HASHES records taken.
 */
int stream_read_hashes(struct stream_reader *r, uint64_t block_size, uint64_t nblocks, uint64_t *out, unsigned *seen);

#endif
