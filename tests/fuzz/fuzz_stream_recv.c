/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the migration stream as `rvmig recv` reads it (cmd/recv.c). The input is what a
 * source sent: preamble and HEADER, checked against the receiver's fixed shape (harness.h); then
 * every record until END, applied as recv applies them: batches written into a RAM buffer of exactly
 * the shape's size at their page index (ASan sees any write outside it), vCPU states deep-copied, the
 * source's block hashes stored, and at END the hash check and "a state for every vCPU". No page may
 * come after the first vCPU state (recv hashes its RAM then).
 *
 * Every input is read three times: as the reply channel reads (batches into the reader's buffer,
 * applied from there), as recv reads without pipelining (batches landing in a second RAM buffer of the
 * same size, stream_reader_land), and as recv reads by default (landing, each batch checked on the
 * checker thread while the next lands: stream_reader_start_checker). All must accept the same inputs
 * (a rejected one may fail with another error: landing checks a batch's entries before its data
 * arrives), and an accepted input must leave the three RAM buffers equal.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/hash.h"

struct rx {
	struct stream_reader rd;
	bool land;      /* batches land in ram (recv's way) */
	bool pipelined; /* ... checked on the reader's checker thread (recv's default) */
	uint8_t *ram;
	bool touched[FUZZ_NPAGES]; /* pages a batch wrote: zeroed again after the input       */
	uint64_t src_hashes[FUZZ_NBLOCKS], hashes[FUZZ_NBLOCKS], hashes_got, pages;
	bool hashed;
	void *states[FUZZ_VCPUS];
};

/* recv_record: one decoded record into the receiver's state; 0, or the rejection recv makes. */
static int rx_apply(struct rx *x, const struct stream_record *rec)
{
	switch (rec->type) {
	case STREAM_REC_BATCH: {
		const struct stream_batch *b = &rec->u.batch;

		if (x->hashed)
			return -EBADMSG; /* pages after the vCPU state */
		fuzz_assert(b->landed == x->land, "a batch landed without a landing area, or not with one");
		stream_batch_apply(b, x->ram, FUZZ_PAGE);
		for (uint32_t i = 0; i < b->count; i++)
			x->touched[b->pages[i].index] = true;
		x->pages += b->count;
		return 0;
	}
	case STREAM_REC_ROUND_END:
		return 0;
	case STREAM_REC_VCPU: {
		const struct stream_vcpu *v = &rec->u.vcpu;
		size_t bytes = 0, off = 0;
		uint8_t *copy;

		if (v->id >= FUZZ_VCPUS)
			return -EBADMSG;
		if (!x->hashed) {
			hash_ram(x->ram, FUZZ_RAM_SIZE, MIG_HASH_BLOCK, x->hashes);
			x->hashed = true;
		}
		/* vcpu_state_copy: the reader's buffers are reused by its next call */
		for (uint32_t i = 0; i < v->nregs; i++)
			bytes += v->regs[i].size;
		fuzz_assert(!x->states[v->id], "the reader let a second state for one vCPU through");
		copy = malloc(bytes + 1);
		fuzz_assert(copy != NULL, "malloc of a vCPU state copy");
		for (uint32_t i = 0; i < v->nregs; i++) {
			memcpy(copy + off, v->regs[i].value, v->regs[i].size);
			off += v->regs[i].size;
		}
		x->states[v->id] = copy;
		return 0;
	}
	case STREAM_REC_HASHES: {
		const struct stream_hashes *h = &rec->u.hashes;

		if (h->block_size != MIG_HASH_BLOCK || h->first + h->count > FUZZ_NBLOCKS)
			return -EBADMSG;
		memcpy(x->src_hashes + h->first, h->hashes, h->count * sizeof(uint64_t));
		x->hashes_got += h->count;
		return 0;
	}
	default:
		return -EBADMSG; /* recv: "unexpected ... record" */
	}
}

/* recv_check_hashes and recv_restore's "a state for every vCPU". */
static int rx_finish(struct rx *x)
{
	fuzz_assert(x->rd.totals.pages == x->pages, "END accepted with a page count other than the batches'");
	if (x->hashes_got != FUZZ_NBLOCKS)
		return -EBADMSG;
	if (!x->hashed)
		hash_ram(x->ram, FUZZ_RAM_SIZE, MIG_HASH_BLOCK, x->hashes);
	if (hashes_compare(x->src_hashes, x->hashes, FUZZ_NBLOCKS, NULL, 0))
		return -EBADMSG;
	for (unsigned i = 0; i < FUZZ_VCPUS; i++)
		if (!x->states[i])
			return -EBADMSG;
	return 0;
}

static int rx_stream(struct rx *x)
{
	struct stream_header want = fuzz_shape(), theirs;
	char why[512];
	int rc = stream_read_header(&x->rd, &theirs);

	if (rc) {
		fuzz_check_reader_error(&x->rd, rc);
		return rc;
	}
	if (stream_check_header(&want, &theirs, why, sizeof(why))) {
		fuzz_assert(why[0] != '\0', "a refused shape without the reason");
		return -EINVAL;
	}
	/* As recv: the landing area is set once the shape matched, and is exactly the shape's RAM. */
	if (x->land)
		fuzz_assert(stream_reader_land(&x->rd, x->ram, FUZZ_RAM_SIZE) == 0, "stream_reader_land");
	/* The thread is started once and kept by stream_reader_reset for the next inputs. */
	if (x->pipelined)
		fuzz_assert(stream_reader_start_checker(&x->rd) == 0, "stream_reader_start_checker");
	for (;;) {
		struct stream_record rec;

		rc = stream_next(&x->rd, &rec);
		if (rc) {
			fuzz_check_reader_error(&x->rd, rc);
			return rc;
		}
		if (rec.type == STREAM_REC_END)
			return rx_finish(x);
		rc = rx_apply(x, &rec);
		if (rc)
			return rc;
	}
}

/* One reading of the input; x's RAM is left as the input made it (rx_reset clears it). */
static int rx_run(struct rx *x, const uint8_t *data, size_t size)
{
	/* Exactly the shape's size, allocated once: an index past the end is an ASan report. */
	if (!x->ram) {
		x->ram = calloc(1, FUZZ_RAM_SIZE);
		fuzz_assert(x->ram != NULL, "calloc of the receiver's RAM");
	}
	fuzz_reader_reuse(&x->rd, fuzz_input_fd(data, size));
	return rx_stream(x);
}

static void rx_reset(struct rx *x)
{
	/* A landing batch that failed may have written data pages it never reported: clear them all. */
	if (x->land && x->rd.seq > 1)
		memset(x->ram, 0, FUZZ_RAM_SIZE);
	for (unsigned i = 0; i < FUZZ_NPAGES; i++)
		if (x->touched[i])
			memset(x->ram + (size_t)i * FUZZ_PAGE, 0, FUZZ_PAGE);
	for (unsigned i = 0; i < FUZZ_VCPUS; i++)
		free(x->states[i]);
	memset(x->touched, 0, sizeof(x->touched));
	memset(x->states, 0, sizeof(x->states));
	x->hashes_got = x->pages = 0;
	x->hashed = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rx x, y = { .land = true }, z = { .land = true, .pipelined = true };
	int rc = rx_run(&x, data, size), rc_land, rc_pipe;

	fuzz_outcome(rc, x.rd.err);
	rc_land = rx_run(&y, data, size);
	fuzz_assert(!rc == !rc_land, "landing and the reader's buffer: one accepted the input, the other not");
	if (!rc)
		fuzz_assert(!memcmp(x.ram, y.ram, FUZZ_RAM_SIZE), "landing left other RAM than the reader's buffer");
	rc_pipe = rx_run(&z, data, size);
	fuzz_assert(!rc == !rc_pipe,
		    "pipelined landing and the reader's buffer: one accepted the input, the other not");
	if (!rc)
		fuzz_assert(!memcmp(x.ram, z.ram, FUZZ_RAM_SIZE),
			    "pipelined landing left other RAM than the reader's buffer");
	rx_reset(&x);
	rx_reset(&y);
	rx_reset(&z);
	return 0;
}
