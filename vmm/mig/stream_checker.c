/* SPDX-License-Identifier: MIT */
/*
 * The landing reader's checker thread (stream_reader_start_checker in stream.h): while the reader
 * thread readv's batch k+1 into guest RAM, this one computes batch k's checksum over where its data
 * landed, compares it with the one the record carries and, only if they match, clears k's zero pages.
 * One batch in the check at a time: handing over k+1 waits for k's verdict.
 *
 * The two threads never touch the same bytes: the job holds its own copy of the batch's frame head,
 * header and entries (the reader reuses r->rec and r->pages for the next batch), the reader waits
 * for the check before it lands a batch with pages in the checked batch's index range
 * (stream_checker_before_land), and a failure is posted with its message in the checker's own buffer,
 * which the reader copies into r->err when it takes the verdict.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/worker.h"
#include "mig/stream_priv.h"

#define JOB_ENTS (STREAM_BATCH_HDR + STREAM_BATCH_MAX * STREAM_PAGE_ENTRY)

struct stream_checker {
	struct worker k;
	char err[STREAM_ERR_LEN]; /* a failed check's message, read once the worker is idle */
	/* The job: one landed batch. */
	uint8_t head[8], ents[JOB_ENTS];
	size_t ents_len;
	struct iovec v[STREAM_BATCH_MAX]; /* its data where it landed, stretch by stretch */
	size_t nv;
	uint64_t zeros[STREAM_BATCH_MAX]; /* its zero pages' offsets in the landing area */
	uint32_t nzeros, page_size;
	uint8_t *base;
	uint64_t want, lo, hi; /* the carried checksum; the batch's lowest and highest page index */
	char what[96];
};

static int check_job(void *arg)
{
	struct stream_checker *c = arg;
	XXH64_state_t st;
	int rc;

	XXH64_reset(&st, 0);
	hash_stream_update(&st, c->head, 8);
	hash_stream_update(&st, c->ents, c->ents_len);
	for (size_t i = 0; i < c->nv; i++)
		hash_stream_update(&st, c->v[i].iov_base, c->v[i].iov_len);
	rc = stream_sum_check(c->want, XXH64_digest(&st), c->what, c->err, sizeof(c->err));
	if (rc)
		return rc;
	/* Only now: a zero page of a batch that failed its check is left as it was. */
	for (uint32_t i = 0; i < c->nzeros; i++)
		memset(c->base + c->zeros[i], 0, c->page_size);
	return 0;
}

int stream_reader_start_checker(struct stream_reader *r)
{
	struct stream_checker *c;
	int rc;

	if (r->checker)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return stream_r_err(r, -ENOMEM, "no memory for the checker thread");
	rc = worker_start(&c->k, check_job, c);
	if (rc) {
		free(c);
		return stream_r_err(r, rc, "starting the checker thread: pthread_create: %s", strerror(-rc));
	}
	r->checker = c;
	return 0;
}

bool stream_checker_failed(const struct stream_reader *r)
{
	return r->checker && worker_failed(&r->checker->k);
}

int stream_checker_wait(struct stream_reader *r)
{
	int rc;

	if (!r->checker)
		return 0;
	rc = worker_wait(&r->checker->k);
	if (rc)
		snprintf(r->err, sizeof(r->err), "%s", r->checker->err);
	return rc;
}

int stream_checker_before_land(struct stream_reader *r, uint64_t lo, uint64_t hi)
{
	struct stream_checker *c = r->checker;

	/* c->lo and c->hi are written only by this (the reader's) thread, before the post. */
	if (c && lo <= c->hi && c->lo <= hi && worker_busy(&c->k))
		return stream_checker_wait(r);
	return 0;
}

int stream_checker_hand(struct stream_reader *r, const uint8_t h[8], uint64_t want, const char *what)
{
	struct stream_checker *c = r->checker;
	uint32_t ps = r->hdr.page_size;
	const struct stream_batch b = { .count = stream_get_le32(r->rec + 8) };
	int rc = stream_checker_wait(r);

	if (rc)
		return rc;
	/* Idle: the job is ours to fill until busy is set. */
	memcpy(c->head, h, 8);
	c->ents_len = STREAM_BATCH_HDR + (size_t)b.count * STREAM_PAGE_ENTRY;
	memcpy(c->ents, r->rec, c->ents_len);
	c->want = want;
	c->base = r->land.base;
	c->page_size = ps;
	c->nv = c->nzeros = 0;
	c->lo = UINT64_MAX;
	c->hi = 0;
	snprintf(c->what, sizeof(c->what), "%s", what);
	/* The stretches as r_batch_land built them (the readv consumed its own list): entry order, data
	 * pages that follow each other in RAM as one. */
	for (uint32_t i = 0; i < b.count; i++) {
		const struct stream_page *pg = &r->pages[i];
		uint8_t *at = c->base + pg->index * ps;

		c->lo = pg->index < c->lo ? pg->index : c->lo;
		c->hi = pg->index > c->hi ? pg->index : c->hi;
		if (pg->flags & STREAM_PAGE_ZERO) {
			c->zeros[c->nzeros++] = pg->index * ps;
			continue;
		}
		if (c->nv && (uint8_t *)c->v[c->nv - 1].iov_base + c->v[c->nv - 1].iov_len == at)
			c->v[c->nv - 1].iov_len += ps;
		else
			c->v[c->nv++] = (struct iovec){ .iov_base = at, .iov_len = ps };
	}
	worker_post(&c->k);
	return 0;
}

void stream_checker_reset(struct stream_reader *r)
{
	if (r->checker)
		worker_clear(&r->checker->k); /* idle, its verdict forgotten; the thread stays */
}

void stream_checker_stop(struct stream_reader *r)
{
	if (!r->checker)
		return;
	worker_stop(&r->checker->k); /* a batch in the check is finished first */
	free(r->checker);
	r->checker = NULL;
}
