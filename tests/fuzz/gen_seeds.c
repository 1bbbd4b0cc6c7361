/* SPDX-License-Identifier: MIT */
/*
 * Seed corpus of the fuzz targets, written at build time by the stream's own writer so that the seeds
 * follow the format when it changes. Usage: gen_seeds DIR; writes DIR/stream_recv/, DIR/stream_reply/
 * and DIR/parsers/ (the directories must exist). Exit status 1 when a seed cannot be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lib/hash.h"

static const char *out_dir;
static uint8_t *ram; /* the source's RAM, FUZZ_RAM_SIZE */

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "gen_seeds: %s: %s\n", what, detail);
	exit(1);
}

/* A writer into DIR/target/name. */
static int open_seed(const char *target, const char *name, struct stream_writer *w)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, target, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail(path, strerror(errno));
	if (w && stream_writer_init(w, fd))
		fail(path, "stream_writer_init: no memory");
	return fd;
}

static void close_seed(struct stream_writer *w, int fd, int rc)
{
	if (rc)
		fail("writing a stream seed", w->err);
	if (stream_flush(w))
		fail("flushing a stream seed", w->err);
	stream_writer_free(w);
	if (close(fd))
		fail("close of a seed", strerror(errno));
}

/* A round of the given pages, batches of at most STREAM_BATCH_MAX, then its ROUND_END. */
static int send_round(struct stream_writer *w, uint64_t round, const uint64_t *idx, uint32_t n)
{
	int rc = 0;

	for (uint32_t off = 0; !rc && off < n; off += STREAM_BATCH_MAX)
		rc = stream_write_batch(w, round, idx + off, n - off > STREAM_BATCH_MAX ? STREAM_BATCH_MAX : n - off,
					ram);
	return rc ? rc : stream_write_round_end(w, round);
}

static int send_vcpus(struct stream_writer *w)
{
	static const uint8_t value[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	const struct stream_reg regs[] = {
		{ .id = 0x8030000002000000ULL, .size = 8, .value = value },
		{ .id = 0x8030000003000001ULL, .size = 8, .value = value + 8 },
		{ .id = 0x0000000052564d50ULL, .size = 4, .value = value },
		{ .id = 0x8040000006000002ULL, .size = 16, .value = value },
	};
	int rc = 0;

	for (uint32_t v = 0; !rc && v < FUZZ_VCPUS; v++)
		rc = stream_write_vcpu(w, v, regs, sizeof(regs) / sizeof(regs[0]));
	return rc;
}

/*
 * A whole migration: round 0 every page (most of them zero), round 1 two re-dirtied pages, the final
 * round one page, the vCPU states, the hashes (in one record, or split per block), END.
 */
static void seed_migration(const char *name, bool split_hashes)
{
	static uint64_t all[FUZZ_NPAGES];
	const uint64_t again[] = { 7, FUZZ_NPAGES - 1 }, last[] = { 3 };
	uint64_t hashes[FUZZ_NBLOCKS];
	struct stream_header h = fuzz_shape();
	struct stream_writer w;
	int fd = open_seed("stream_recv", name, &w), rc;

	memset(ram, 0, FUZZ_RAM_SIZE);
	for (uint64_t i = 0; i < FUZZ_NPAGES; i++)
		all[i] = i;
	memset(ram + 7 * FUZZ_PAGE, 0x5a, 64);
	rc = stream_write_header(&w, &h);
	if (!rc)
		rc = send_round(&w, 0, all, FUZZ_NPAGES);
	memset(ram + 7 * FUZZ_PAGE + 100, 0xa5, 32);
	ram[(FUZZ_NPAGES - 1) * FUZZ_PAGE] = 1;
	if (!rc)
		rc = send_round(&w, 1, again, 2);
	ram[3 * FUZZ_PAGE + 4095] = 0xff;
	if (!rc)
		rc = send_round(&w, 2, last, 1);
	if (!rc)
		rc = send_vcpus(&w);
	hash_ram(ram, FUZZ_RAM_SIZE, MIG_HASH_BLOCK, hashes);
	for (uint64_t b = 0; !rc && split_hashes && b < FUZZ_NBLOCKS; b++)
		rc = stream_write_hashes(&w, MIG_HASH_BLOCK, b, hashes + b, 1);
	if (!rc && !split_hashes)
		rc = stream_write_hashes(&w, MIG_HASH_BLOCK, 0, hashes, FUZZ_NBLOCKS);
	if (!rc)
		rc = stream_write_end(&w);
	close_seed(&w, fd, rc);
}

/* The preamble and HEADER of a shape, then an ABORT (reason NULL: nothing more). */
static void seed_header_then(const char *target, const char *name, const struct stream_header *h, const char *reason)
{
	struct stream_writer w;
	int fd = open_seed(target, name, &w), rc = stream_write_header(&w, h);

	if (!rc && reason)
		rc = stream_write_abort(&w, reason);
	close_seed(&w, fd, rc);
}

static void seed_abort_only(const char *target, const char *name)
{
	struct stream_writer w;
	int fd = open_seed(target, name, &w);

	close_seed(&w, fd, stream_write_abort(&w, "refused: RAM size differs"));
}

/* The destination's reply: its HEADER, VERIFIED (it resumed), the hashes of its (all-zero) RAM, END. */
static void seed_reply(void)
{
	struct stream_header h = fuzz_shape();
	uint64_t hashes[FUZZ_NBLOCKS];
	struct stream_verified verified = { .hash_ns = 1000000, .wait_ns = 2000000 };
	struct stream_writer w;
	int fd = open_seed("stream_reply", "handover-and-end", &w), rc;

	memset(ram, 0, FUZZ_RAM_SIZE);
	hash_ram(ram, FUZZ_RAM_SIZE, MIG_HASH_BLOCK, hashes);
	rc = stream_write_header(&w, &h);
	if (!rc)
		rc = stream_write_verified(&w, &verified);
	if (!rc)
		rc = stream_write_hashes(&w, MIG_HASH_BLOCK, 0, hashes, FUZZ_NBLOCKS);
	if (!rc)
		rc = stream_write_end(&w);
	close_seed(&w, fd, rc);
	fd = open_seed("stream_reply", "handover-then-abort", &w);
	rc = stream_write_header(&w, &h);
	if (!rc)
		rc = stream_write_verified(&w, &verified);
	if (!rc)
		rc = stream_write_hashes(&w, MIG_HASH_BLOCK, 0, hashes, FUZZ_NBLOCKS);
	if (!rc)
		rc = stream_write_abort(&w, "the guest's verify pass failed on the destination");
	close_seed(&w, fd, rc);
}

/* Command lines, words separated by NUL (fuzz_parsers.c). */
static void seed_words(const char *name, const char *words, size_t len)
{
	int fd = open_seed("parsers", name, NULL);

	if (write(fd, words, len) != (ssize_t)len)
		fail("writing a parser seed", strerror(errno));
	if (close(fd))
		fail("close of a parser seed", strerror(errno));
}

#define SEED_WORDS(name, lit) seed_words(name, lit, sizeof(lit) - 1)

int main(int argc, char **argv)
{
	struct stream_header other = fuzz_shape();

	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	out_dir = argv[1];
	ram = calloc(1, FUZZ_RAM_SIZE);
	if (!ram)
		fail("calloc of the RAM", strerror(ENOMEM));
	seed_migration("migration", false);
	seed_migration("migration-split-hashes", true);
	seed_header_then("stream_recv", "header-only", &other, NULL);
	seed_header_then("stream_recv", "header-then-abort", &other, "the source VM failed");
	seed_abort_only("stream_recv", "abort-only");
	other.ram_size *= 2;
	seed_header_then("stream_recv", "other-shape", &other, NULL);
	seed_reply();
	seed_abort_only("stream_reply", "refused");
	seed_header_then("stream_reply", "other-shape", &other, NULL);
	SEED_WORDS("run", "--vcpus\0"
			  "4\0--mem=1G\0--backing\0anon\0--duration\0"
			  "1.5s\0--pattern\0hotcold");
	SEED_WORDS("sizes", "--mem\0"
			    "2MiB\0--rate\0"
			    "0x10\0--seed\0"
			    "18446744073709551615\0--write-pct\0"
			    "0");
	SEED_WORDS("migrate", "--dirty\0ring\0--to\0tcp:127.0.0.1:4444\0--clear-chunk\0"
			      "64M\0--ring-size\0"
			      "4096\0--max-bandwidth\0"
			      "64M\0--downtime-limit\0"
			      "300ms\0--max-rounds\0"
			      "30");
	SEED_WORDS("recv", "--listen\0unix:/tmp/x.sock\0--accept-timeout\0"
			   "0\0--post-run\0"
			   "2s\0--json\0-");
	SEED_WORDS("bench", "--passes\0"
			    "3\0--clear-chunk\0slot\0--clean-harvests\0"
			    "16\0--json-only\0--no-park");
	SEED_WORDS("bad", "--mem\0-1\0--vcpus\0"
			  "0\0--duration\0"
			  "25h\0--to\0tcp::0\0--help");
	free(ram);
	return 0;
}
