/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets share: the input as a file descriptor (the stream reader reads fds, never
 * buffers), the fixed machine shape both ends of the fuzzed conversation have, and the check that a
 * rejection left a usable message.
 */
#ifndef RVMIG_FUZZ_HARNESS_H
#define RVMIG_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "mig/conversation.h"
#include "mig/stream.h"
#include "rvmig_abi.h"

/*
 * The receiver's shape: 2M + 4 pages of RAM, so the second of its two hash blocks is a short one
 * (an anon-backed guest of --mem 2M+16K has that), and two vCPUs.
 */
#define FUZZ_PAGE     ((uint32_t)RVMIG_PAGE_SIZE)
#define FUZZ_RAM_SIZE (MIG_HASH_BLOCK + 4 * FUZZ_PAGE)
#define FUZZ_NPAGES   (FUZZ_RAM_SIZE / FUZZ_PAGE)
#define FUZZ_NBLOCKS  ((FUZZ_RAM_SIZE + MIG_HASH_BLOCK - 1) / MIG_HASH_BLOCK)
#define FUZZ_VCPUS    2u

/* The receiver's fixed shape, as recv builds it from its options: anonymous 4K memory. */
static inline struct stream_header fuzz_shape(void)
{
	return mig_shape(FUZZ_RAM_SIZE, FUZZ_VCPUS, MEM_ANON);
}

/* A descriptor that reads data[0..size) from its start: one memfd, rewritten for every input. */
int fuzz_input_fd(const uint8_t *data, size_t size);

/*
 * A reader on fd in the state stream_reader_init leaves it (r zeroed the first time), keeping the
 * previous input's buffers through stream_reader_reset: stream_reader_init + free cost ~5 ms an input
 * under ASan (768K of buffers mapped, zeroed, unmapped), 40 times the decoding.
 */
void fuzz_reader_reuse(struct stream_reader *r, int fd);

/*
 * A reader call failed with rc: it must be one of the errors stream.h documents, with a message
 * (NUL-terminated, non-empty, one line). Anything else aborts: the fuzzer reports it as a crash.
 */
void fuzz_check_reader_error(const struct stream_reader *r, int rc);

/*
 * With RVMIG_FUZZ_VERBOSE=1 in the environment, one line per input on stderr: "fuzz: accepted" or
 * "fuzz: rejected: why" (tests/fuzz/run.sh counts them when it replays the seeds).
 */
void fuzz_outcome(int rc, const char *why);

/* Aborts with a message when cond is false (a broken invariant is a finding, like a crash). */
void fuzz_assert(int cond, const char *what);

#endif
