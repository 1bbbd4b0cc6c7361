/* SPDX-License-Identifier: MIT */
#include "mig/hashes_collect.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void hashes_collect_init(struct hashes_collect *c, uint64_t block_size, uint64_t nblocks, uint64_t *out)
{
	*c = (struct hashes_collect){ .block_size = block_size, .nblocks = nblocks, .out = out };
}

int hashes_collect_add(struct hashes_collect *c, const struct stream_hashes *h, char *why, size_t len)
{
	if (h->block_size != c->block_size) {
		snprintf(why, len, "hashes of %" PRIu64 "-byte blocks, expected %" PRIu64 "-byte blocks", h->block_size,
			 c->block_size);
		return -EBADMSG;
	}
	if (h->first != c->got || h->count > c->nblocks - c->got) {
		snprintf(why, len,
			 "hashes of blocks %" PRIu64 "..%" PRIu64 ", expected the next from block %" PRIu64
			 " (of %" PRIu64 ": in order, each block once)",
			 h->first, h->first + h->count - 1, c->got, c->nblocks);
		return -EBADMSG;
	}
	memcpy(c->out + c->got, h->hashes, (size_t)h->count * sizeof(uint64_t));
	c->got += h->count;
	return 0;
}

int stream_read_hashes(struct stream_reader *r, uint64_t block_size, uint64_t nblocks, uint64_t *out, unsigned *seen)
{
	struct hashes_collect c;
	char why[160];

	hashes_collect_init(&c, block_size, nblocks, out);
	if (seen)
		*seen = 0;
	while (!hashes_collect_done(&c)) {
		struct stream_record rec;
		int rc = stream_next(r, &rec);

		if (rc)
			return rc;
		if (rec.type != STREAM_REC_HASHES) {
			snprintf(r->err, sizeof(r->err),
				 "record #%" PRIu64 " (%s) at byte %" PRIu64 ": expected hashes of blocks %" PRIu64
				 "..%" PRIu64,
				 rec.seq, stream_rec_name(rec.type), r->rec_start, c.got, nblocks - 1);
			return -EBADMSG;
		}
		if (hashes_collect_add(&c, &rec.u.hashes, why, sizeof(why))) {
			snprintf(r->err, sizeof(r->err), "record #%" PRIu64 " (hashes) at byte %" PRIu64 ": %s",
				 rec.seq, r->rec_start, why);
			return -EBADMSG;
		}
		if (seen)
			(*seen)++;
	}
	return 0;
}
