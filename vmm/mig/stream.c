/* SPDX-License-Identifier: MIT */
/*
 * The migration stream's format (described in stream.h): the record checksum, names, and the checks
 * writer and reader share (header sanity and shape, round order).
 */
#include "mig/stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "mig/stream_priv.h"

uint64_t stream_record_checksum(const uint8_t head[8], const void *payload, size_t len)
{
	XXH64_state_t st;

	XXH64_reset(&st, 0);
	hash_stream_update(&st, head, 8);
	hash_stream_update(&st, payload, len);
	return XXH64_digest(&st);
}

int stream_sum_check(uint64_t want_sum, uint64_t sum, const char *what, char *err, size_t len)
{
#ifndef RVMIG_FUZZ_NO_CHECKSUM
	if (sum != want_sum) {
		snprintf(err, len, "%s: checksum mismatch: record carries 0x%016" PRIx64 ", computed 0x%016" PRIx64,
			 what, want_sum, sum);
		return -EBADMSG;
	}
#else
	/* Fuzz builds only (never shipped): the fuzzer reaches the decoders behind the checksum. */
	(void)want_sum;
	(void)sum;
	(void)what;
	(void)err;
	(void)len;
#endif
	return 0;
}

bool stream_pipeline_wanted(enum stream_pipeline when)
{
	if (when != STREAM_PIPELINE_AUTO)
		return when == STREAM_PIPELINE_ON;
	return sysconf(_SC_NPROCESSORS_ONLN) >= STREAM_PIPELINE_MIN_CPUS;
}

int stream_pipeline_parse(const char *val)
{
	return !strcmp(val, "auto")  ? STREAM_PIPELINE_AUTO
	       : !strcmp(val, "on")  ? STREAM_PIPELINE_ON
	       : !strcmp(val, "off") ? STREAM_PIPELINE_OFF
				     : -1;
}

const char *stream_pipeline_name(enum stream_pipeline when)
{
	return when == STREAM_PIPELINE_ON ? "on" : when == STREAM_PIPELINE_OFF ? "off" : "auto";
}

const char *stream_backing_name(uint32_t backing)
{
	static const char *const names[] = { "anon", "thp", "hugetlb-2M", "hugetlb-1G" };

	return backing < sizeof(names) / sizeof(names[0]) ? names[backing] : "unknown";
}

int stream_backing_parse(const char *name, uint32_t *backing)
{
	for (uint32_t b = STREAM_BACKING_ANON; b <= STREAM_BACKING_HUGETLB_1G; b++) {
		if (!strcmp(name, stream_backing_name(b))) {
			*backing = b;
			return 0;
		}
	}
	return -EINVAL;
}

const char *stream_rec_name(uint32_t type)
{
	static const char *const names[] = { NULL,        "header", "batch", "vcpu",    "hashes",
					     "round-end", "end",    "abort", "verified" };

	return type >= 1 && type <= STREAM_REC_LAST ? names[type] : "unknown";
}

/* ---- header checks -------------------------------------------------------------------------- */

/* Appends one "what differs: sender X, receiver Y" item to why (hex for addresses). */
static void differs(char *why, size_t len, size_t *used, const char *what, bool hex, uint64_t s, uint64_t r)
{
	int n;

	if (*used >= len)
		return;
	if (hex)
		n = snprintf(why + *used, len - *used, "%s%s differs: sender 0x%" PRIx64 ", receiver 0x%" PRIx64,
			     *used ? "; " : "", what, s, r);
	else
		n = snprintf(why + *used, len - *used, "%s%s differs: sender %" PRIu64 ", receiver %" PRIu64,
			     *used ? "; " : "", what, s, r);
	*used += n > 0 ? (size_t)n : 0;
}

int stream_check_header(const struct stream_header *want, const struct stream_header *got, char *why, size_t len)
{
	size_t used = 0;
	int bad = 0;

	if (len)
		why[0] = '\0';
#define CMP(field, what, hex)                                                         \
	do {                                                                          \
		if (want->field != got->field) {                                      \
			bad = 1;                                                      \
			differs(why, len, &used, what, hex, got->field, want->field); \
		}                                                                     \
	} while (0)
	CMP(version, "stream version", false);
	CMP(page_size, "page size", false);
	CMP(ram_base, "RAM base", true);
	CMP(ram_size, "RAM size", false);
	CMP(nr_vcpus, "vCPU count", false);
	CMP(abi_version, "guest ABI version", false);
#undef CMP
	return bad ? -EINVAL : 0;
}

int stream_header_sane(const struct stream_header *h, char *why, size_t len)
{
	const char *bad = NULL;

	if (!is_pow2(h->page_size) || h->page_size < PAGE_SIZE_MIN || h->page_size > PAGE_SIZE_MAX)
		bad = "page size is not a power of two in 4096..65536";
	else if (h->ram_size == 0 || h->ram_size % h->page_size)
		bad = "RAM size is not a non-zero multiple of the page size";
	else if (h->ram_base % h->page_size)
		bad = "RAM base is not page aligned";
	else if (h->nr_vcpus == 0 || h->nr_vcpus > STREAM_MAX_VCPUS)
		bad = "vCPU count is not in 1..256";
	if (bad)
		snprintf(why, len, "header: %s (page size %u, RAM base 0x%" PRIx64 ", RAM size %" PRIu64 ", %u vCPUs)",
			 bad, h->page_size, h->ram_base, h->ram_size, h->nr_vcpus);
	return bad ? -EBADMSG : 0;
}

/*
 * Round bookkeeping, the same for writer and reader: batches of a round carry one number, a round ends
 * with ROUND_END, and round numbers strictly increase. `end` says whether this is a ROUND_END.
 */
int stream_round_step(struct stream_rounds *s, uint64_t round, bool end, char *why, size_t len)
{
	const char *what = end ? "round-end" : "batch";

	if (s->open && round != s->cur) {
		snprintf(why, len, "%s for round %" PRIu64 " while round %" PRIu64 " is open", what, round, s->cur);
		return -EBADMSG;
	}
	if (!s->open && s->any_ended && round <= s->last) {
		snprintf(why, len, "%s for round %" PRIu64 " after round %" PRIu64 " already ended", what, round,
			 s->last);
		return -EBADMSG;
	}
	if (!s->open) {
		s->open = true;
		s->cur = round;
		s->pages = 0;
	}
	if (end) {
		s->open = false;
		s->any_ended = true;
		s->last = round;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

bool stream_index_repeats(uint64_t *idx, uint32_t n, uint64_t *dup)
{
	uint32_t i = 1;

	/* A batch comes from a dirty bitmap walked upwards: strictly increasing, checked in one pass. */
	while (i < n && idx[i] > idx[i - 1])
		i++;
	if (i >= n)
		return false;
	qsort(idx, n, sizeof(idx[0]), cmp_u64);
	for (i = 1; i < n; i++)
		if (idx[i] == idx[i - 1]) {
			*dup = idx[i];
			return true;
		}
	return false;
}
