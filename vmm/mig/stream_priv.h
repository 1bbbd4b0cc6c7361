/* SPDX-License-Identifier: MIT */
/*
 * What the stream's files (stream.c: format checks; stream_io.c: buffered fd I/O; stream_write.c,
 * stream_read.c, stream_read_batch.c: the records) share and nobody else uses: payload sizes and the
 * internal helpers.
 */
#ifndef RVMIG_STREAM_PRIV_H
#define RVMIG_STREAM_PRIV_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include "mig/stream.h"

#define HEADER_LEN    48
#define BATCH_HDR     STREAM_BATCH_HDR
#define PAGE_ENTRY    STREAM_PAGE_ENTRY
#define VCPU_HDR      8
#define REG_ENTRY     12
#define HASHES_HDR    24
#define CHECKSUM_LEN  8 /* the u64 XXH64 after each record's payload */
#define IO_BUF        (256 * 1024)
#define PAGE_SIZE_MIN 4096u
#define PAGE_SIZE_MAX 65536u

/* The writer's and reader's time accounting (struct stream_wstats / stream_rstats). */
static inline uint64_t stream_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* stream.c. A record's carried checksum against the computed one: 0, or -EBADMSG with the message in err. */
int stream_sum_check(uint64_t want_sum, uint64_t sum, const char *what, char *err, size_t len);
/* stream.c. Sanity of one side's header on its own (either side: writer refuses, reader rejects). */
int stream_header_sane(const struct stream_header *h, char *why, size_t len);
int stream_round_step(struct stream_rounds *s, uint64_t round, bool end, char *why, size_t len);
/*
 * stream.c. Whether a page index appears twice among idx[0..n) (then *dup is one): a page goes at most
 * once per batch (stream.h), which writer refuses and reader rejects. May reorder idx.
 */
bool stream_index_repeats(uint64_t *idx, uint32_t n, uint64_t *dup);

/* stream_io.c. Sets the writer's message (and with sticky its error); returns rc. */
int stream_w_err(struct stream_writer *w, int rc, bool sticky, const char *f, ...)
	__attribute__((format(printf, 4, 5)));
/* Buffers bytes; with `sum`, adds them to the record checksum, computed on the buffered copy. */
int stream_w_put(struct stream_writer *w, const void *p, size_t n, bool sum);
/*
 * Zero copy: queues a reference to n bytes at p (checksummed there, where they are: the caller
 * guarantees nobody writes them until they are sent: the next stream_flush without a sender thread,
 * stream_writer_drain with one).
 */
int stream_w_ref(struct stream_writer *w, const void *p, size_t n);
/* Writes v[0..n) whole on w's fd: what stream_flush does without a sender, and the sender thread with its
 * own copy of w (so that its messages and counters are its own until the writer takes them). */
int stream_w_send(struct stream_writer *w, struct iovec *v, size_t n);

/* stream_sender.c. The sender thread's side of stream_flush: waits until it wrote the previous list,
 * hands it w's pending list with its buffer and gives w the spare pair. 0 or the writer's error. */
int stream_sender_hand(struct stream_writer *w);
/* Waits until the sender is idle and takes its failure (message included) into w: w->error. */
int stream_sender_wait(struct stream_writer *w);
/* w->error, a failure the sender posted meanwhile included (without waiting for it otherwise). */
int stream_w_failed(struct stream_writer *w);
void stream_sender_stop(struct stream_writer *w);

int stream_r_err(struct stream_reader *r, int rc, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* Reads exactly n bytes; *got says how many arrived. 0, -EPIPE (peer closed), -ETIMEDOUT or -errno. */
int stream_r_get(struct stream_reader *r, void *dst, size_t n, size_t *got);
/*
 * Reads exactly the bytes v[0..n) can hold into them (landing: v points into guest RAM), adding each
 * stretch to st as it arrives (st NULL: no checksum here, a checker thread computes it); *got says how many arrived. v must have room for one entry more (v[n]:
 * the read-ahead buffer rides along at the end of each readv) and is consumed. Returns as stream_r_get.
 */
int stream_r_getv(struct stream_reader *r, struct iovec *v, size_t n, XXH64_state_t *st, size_t *got);
/*
 * stream_checker.c. A landed batch (r->pages, its header and entries at r->rec, the frame head h, its
 * carried checksum want) goes to the checker thread, after it finished the one before; 0, or that
 * one's failure. stream_checker_before_land: call before landing pages lo..hi (waits if the batch in
 * the check has pages there). stream_checker_wait: waits until all is checked; 0 or the failure (into
 * r->err). stream_checker_failed: a failure posted, without waiting.
 */
int stream_checker_hand(struct stream_reader *r, const uint8_t h[8], uint64_t want, const char *what);
int stream_checker_before_land(struct stream_reader *r, uint64_t lo, uint64_t hi);
int stream_checker_wait(struct stream_reader *r);
bool stream_checker_failed(const struct stream_reader *r);
void stream_checker_reset(struct stream_reader *r);
void stream_checker_stop(struct stream_reader *r);
/* stream_read.c. r->rec holds at least n bytes: 0, or -ENOMEM with the message naming what. */
int stream_r_room(struct stream_reader *r, size_t n, const char *what);
/*
 * stream_read_batch.c. A BATCH record after its frame head h: read whole into r->rec (stream_r_batch,
 * no landing area) or landed in guest RAM (stream_r_batch_land); both check it all (see there).
 */
int stream_r_batch(struct stream_reader *r, uint32_t type, uint32_t len, struct stream_batch *b);
int stream_r_batch_land(struct stream_reader *r, const uint8_t h[8], uint32_t type, uint32_t len, const char *what,
			struct stream_batch *b);
/* Prefix for the reader's decode errors: "record #7 (batch) at byte 1234: ". Used inside a decode function,
 * it names the record by that function's `type` (a uint32_t in scope). */
#define RFAIL(r, f, ...)                                                                                               \
	stream_r_err(r, -EBADMSG, "record #%" PRIu64 " (%s) at byte %" PRIu64 ": " f, (r)->seq, stream_rec_name(type), \
		     (r)->rec_start, __VA_ARGS__)

/* Message for a failed stream_r_get of `what`. */
int stream_r_io_fail(struct stream_reader *r, int rc, size_t got, size_t n, const char *what);

#endif
