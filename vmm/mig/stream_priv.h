/* SPDX-License-Identifier: MIT */
/*
 * What the stream's files (stream.c: format checks; stream_io.c: buffered fd I/O; stream_write.c,
 * stream_read.c: the records) share and nobody else uses: payload sizes and the internal helpers.
 */
#ifndef RVMIG_STREAM_PRIV_H
#define RVMIG_STREAM_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* stream.c. Sanity of one side's header on its own (either side: writer refuses, reader rejects). */
int stream_header_sane(const struct stream_header *h, char *why, size_t len);
int stream_round_step(struct stream_rounds *s, uint64_t round, bool end, char *why, size_t len);

/* stream_io.c. Sets the writer's message (and with sticky its error); returns rc. */
int stream_w_err(struct stream_writer *w, int rc, bool sticky, const char *f, ...)
	__attribute__((format(printf, 4, 5)));
/* Buffers bytes; with `sum`, adds them to the record checksum, computed on the buffered copy. */
int stream_w_put(struct stream_writer *w, const void *p, size_t n, bool sum);
/*
 * Zero copy: queues a reference to n bytes at p (checksummed there, where they are: the caller
 * guarantees nobody writes them until the next stream_flush, which sends them).
 */
int stream_w_ref(struct stream_writer *w, const void *p, size_t n);
int stream_r_err(struct stream_reader *r, int rc, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* Reads exactly n bytes; *got says how many arrived. 0, -EPIPE (peer closed), -ETIMEDOUT or -errno. */
int stream_r_get(struct stream_reader *r, void *dst, size_t n, size_t *got);
/*
 * Reads exactly the bytes v[0..n) can hold into them (landing: v points into guest RAM), adding each
 * stretch to st as it arrives; *got says how many arrived. v must have room for one entry more (v[n]:
 * the read-ahead buffer rides along at the end of each readv) and is consumed. Returns as stream_r_get.
 */
int stream_r_getv(struct stream_reader *r, struct iovec *v, size_t n, XXH64_state_t *st, size_t *got);
/* Message for a failed stream_r_get of `what`. */
int stream_r_io_fail(struct stream_reader *r, int rc, size_t got, size_t n, const char *what);

#endif
