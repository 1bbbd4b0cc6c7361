/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the destination's reply as `rvmig migrate` reads it (cmd/migrate_send.c
 * mig_handshake, cmd/migrate.c mig_await_resume and mig_await_verdict). The input is what the
 * destination sent: preamble and HEADER (its shape, compared with the source's) or ABORT; then the
 * VERIFIED (the destination resumed), then HASHES records covering every block (the handover, taken by mig/hashes_collect's stream_read_hashes
 * as the source takes them), compared with the source's hashes; then END.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/hash.h"
#include "mig/hashes_collect.h"

static int reply_read(struct stream_reader *rd, struct stream_record *rec)
{
	int rc = stream_next(rd, rec);

	if (rc)
		fuzz_check_reader_error(rd, rc);
	return rc;
}

static int reply_conversation(struct stream_reader *rd, const uint64_t *mine)
{
	struct stream_header want = fuzz_shape(), theirs;
	static uint64_t theirs_hashes[FUZZ_NBLOCKS];
	struct stream_record rec;
	char why[512];
	size_t bad[8];
	int rc = stream_read_header(rd, &theirs);

	if (rc) {
		fuzz_check_reader_error(rd, rc);
		return rc;
	}
	if (stream_check_header(&want, &theirs, why, sizeof(why))) {
		fuzz_assert(why[0] != '\0', "a differing shape without the reason");
		return -EINVAL;
	}
	rc = reply_read(rd, &rec); /* VERIFIED: the destination resumed */
	if (rc)
		return rc;
	if (rec.type != STREAM_REC_VERIFIED)
		return -EBADMSG;
	rc = stream_read_hashes(rd, MIG_HASH_BLOCK, FUZZ_NBLOCKS, theirs_hashes, NULL);
	if (rc) {
		fuzz_check_reader_error(rd, rc);
		return rc;
	}
	if (hashes_compare(mine, theirs_hashes, FUZZ_NBLOCKS, bad, 8))
		return -EBADMSG; /* handed over, but reported as a mismatch */
	rc = reply_read(rd, &rec);
	if (rc)
		return rc;
	return rec.type == STREAM_REC_END ? 0 : -EBADMSG;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t mine[FUZZ_NBLOCKS];
	static int ready;
	static struct stream_reader rd;

	/* The source's RAM is all zero (as the seeds' destination reports it). */
	if (!ready) {
		void *ram = calloc(1, FUZZ_RAM_SIZE);

		fuzz_assert(ram != NULL, "calloc of the source's RAM");
		hash_ram(ram, FUZZ_RAM_SIZE, MIG_HASH_BLOCK, mine);
		free(ram);
		ready = 1;
	}
	fuzz_reader_reuse(&rd, fuzz_input_fd(data, size));
	fuzz_outcome(reply_conversation(&rd, mine), rd.err);
	return 0;
}
