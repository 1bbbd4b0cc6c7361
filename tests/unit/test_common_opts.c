/* SPDX-License-Identifier: MIT */
/*
 * The options migrate and bench share (cmd/common_opts.h) mean the same in both: every value is
 * accepted by both or refused by both, with the same value stored or the same message.
 */
#include <string.h>

#include "check.h"
#include "cmd/bench.h"
#include "cmd/migrate_opts.h"

struct both {
	enum cli_result rm, rb;
	char em[256], eb[256];
	struct migrate_opts m;
	struct bench_opts b;
};

static void parse_both(struct both *x, const char *opt, const char *val)
{
	char *am[] = { "migrate", (char *)opt, (char *)val };
	char *ab[] = { "bench", (char *)opt, (char *)val };

	x->em[0] = x->eb[0] = 0;
	x->rm = cli_parse_migrate(3, am, &x->m, x->em, sizeof(x->em));
	x->rb = bench_parse(3, ab, &x->b, x->eb, sizeof(x->eb));
}

static bool same_chunk(const struct both *x)
{
	return x->m.clear_chunk == x->b.clear_chunk;
}

static bool same_ring(const struct both *x)
{
	return x->m.ring_entries == x->b.ring_size;
}

static bool same_mode(const struct both *x)
{
	return x->m.dirty == x->b.mode;
}

/* Each value: taken by both with the same value stored, or refused by both with the same message. */
static void check_alike(const char *opt, const char *const *vals, unsigned n, bool (*same)(const struct both *))
{
	struct both x;

	for (unsigned i = 0; i < n; i++) {
		parse_both(&x, opt, vals[i]);
		CHECK(x.rm == x.rb && (x.rm == CLI_OK ? same(&x) : !strcmp(x.em, x.eb)), "%s '%s': %s in both (%s)",
		      opt, vals[i], x.rm == CLI_OK ? "taken" : "refused", x.rm == CLI_OK ? "same value" : x.em);
	}
}

#define NVALS(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

int main(void)
{
	static const char *const chunks[] = { "256K", "768K", "1280K", "2M", "3M",    "64M", "1G",  "slot",
					      "0",    "100K", "1M+",   "5K", "2049K", "",    "lots" };
	static const char *const rings[] = { "64",     "128",     "256",  "512", "16384", "65536",
					     "131072", "1048576", "1000", "0",   "x" };
	static const char *const modes[] = { "get", "manual", "manual-init-set", "ring", "sometimes", "" };
	struct both x;

	check_alike("--clear-chunk", chunks, NVALS(chunks), same_chunk);
	parse_both(&x, "--clear-chunk", "768K");
	CHECK(x.rm == CLI_OK && x.m.clear_chunk == 768ULL << 10, "768K: a multiple of 256K, no power of two");
	parse_both(&x, "--clear-chunk", "100K");
	CHECK(x.rm == CLI_USAGE && strstr(x.em, "256K") && strstr(x.em, "slot") && !strchr(x.em, '\n'),
	      "a bad chunk: one line naming the rule: %s", x.em);
	check_alike("--ring-size", rings, NVALS(rings), same_ring);
	parse_both(&x, "--ring-size", "128");
	CHECK(x.rm == CLI_USAGE, "128 entries (2K) refused: KVM wants a ring of at least a page");
	parse_both(&x, "--ring-size", "131072");
	CHECK(x.rm == CLI_USAGE, "131072 entries refused: above KVM_DIRTY_RING_MAX_ENTRIES (65536)");
	parse_both(&x, "--ring-size", "256");
	CHECK(x.rm == CLI_OK && x.b.ring_size == 256, "256 entries (4K, one page): the smallest ring");
	check_alike("--dirty", modes, NVALS(modes), same_mode);
	parse_both(&x, "--dirty-log", "--quiet");
	CHECK(x.rm == CLI_USAGE && x.rb == CLI_USAGE && !strcmp(x.em, x.eb) && strstr(x.em, "--dirty MODE"),
	      "--dirty-log refused alike, pointing at --dirty: %s", x.em);
	{
		char *am[] = { "migrate", "--ring-size" }, *ab[] = { "bench", "--clear-chunk" };

		x.rm = cli_parse_migrate(2, am, &x.m, x.em, sizeof(x.em));
		x.rb = bench_parse(2, ab, &x.b, x.eb, sizeof(x.eb));
		CHECK(x.rm == CLI_USAGE && strstr(x.em, "see rvmig migrate --help") && x.rb == CLI_USAGE &&
			      strstr(x.eb, "see rvmig bench --help"),
		      "a missing value names the command's help in both: %s / %s", x.em, x.eb);
	}
	CHECK_DONE();
}
