/* SPDX-License-Identifier: MIT */
#include "mig/send.h"

#include "lib/bitmap.h"
#include "mig/dirty.h"
#include "mig/stream.h"

static int send_batch(struct dirty *d, const struct send_ops *ops, void *arg, const uint64_t *idx, uint32_t n)
{
	int rc = ops->send(arg, idx, n);

	if (rc)
		return rc;
	/* Only now are these pages off our hands: a failed send above leaves their bits set. */
	for (uint32_t i = 0; i < n; i++)
		bitmap_clear(d->bitmap, idx[i]);
	return ops->sent(arg, n);
}

int send_dirty_pages(struct dirty *d, const struct send_ops *ops, void *arg)
{
	uint64_t idx[STREAM_BATCH_MAX], p = 0, cur = UINT64_MAX;
	uint32_t n = 0;
	int rc = 0;

	while (!rc && (p = bitmap_next_set(d->bitmap, d->npages, p)) < d->npages) {
		uint64_t c = p / d->chunk_pages;

		if (c != cur) {
			rc = dirty_prepare_chunk(d, c);
			if (rc) {
				ops->clear_failed(arg, c, rc);
				break;
			}
			cur = c;
		}
		idx[n++] = p++;
		if (n == STREAM_BATCH_MAX) {
			rc = send_batch(d, ops, arg, idx, n);
			n = 0;
		}
	}
	if (!rc && n)
		rc = send_batch(d, ops, arg, idx, n);
	return rc;
}
