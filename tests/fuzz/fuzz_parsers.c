/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: every parser of command-line input. The input is split at NUL bytes into words
 * (at most FUZZ_WORDS). Each of the first words goes through the value parsers (sizes, durations,
 * numbers, transport addresses, dirty modes, backings, patterns, stream backings, the Linux workload's
 * console lines); then all words are
 * the arguments of each command's option parser (run, migrate, recv, bench). Checked: a value parser's
 * success gives a value in its range; a refused command line gives one non-empty line; an accepted
 * one a machine shape that cli_validate allows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/bench.h"
#include "cmd/migrate_opts.h"
#include "cmd/recv.h"
#include "cmd/run_opts.h"
#include "core/memory.h"
#include "harness.h"
#include "lib/units.h"
#include "lib/wl_line.h"
#include "mig/dirty_mode.h"
#include "mig/transport.h"

#define FUZZ_WORDS       24
#define FUZZ_VALUE_WORDS 4

static void value_parsers(const char *s)
{
	struct xport_addr a, b;
	char shown[160];
	uint64_t v;
	uint32_t sb;

	if (!parse_size(s, &v))
		fuzz_assert(v > 0, "parse_size accepted zero");
	if (!parse_duration(s, &v))
		fuzz_assert(v >= 1 && v <= 86400000, "parse_duration outside 1 ms..24 h");
	if (!parse_uint(s, 3, 1000, &v))
		fuzz_assert(v >= 3 && v <= 1000, "parse_uint outside its range");
	parse_uint(s, 0, UINT64_MAX, &v);
	for (int listen = 0; listen < 2; listen++) {
		if (xport_parse(s, listen, &a))
			continue;
		fuzz_assert(a.kind != XPORT_TCP || a.port != 0, "a tcp address with port 0");
		fuzz_assert(a.kind != XPORT_LOCAL || !listen, "listening on local");
		/* What the messages print parses back to the same address. */
		xport_format(&a, shown, sizeof(shown));
		if (a.kind != XPORT_TCP || a.host[0])
			fuzz_assert(!xport_parse(shown, listen, &b) && !memcmp(&a, &b, sizeof(a)),
				    "xport_format's text does not parse back to the address");
	}
	if (dirty_mode_parse(s) >= 0)
		fuzz_assert(dirty_mode_parse(s) < DIRTY_MODE_COUNT, "dirty_mode_parse out of range");
	if (mem_backing_parse(s) >= 0)
		fuzz_assert(mem_backing_parse(s) < MEM_BACKING_COUNT, "mem_backing_parse out of range");
	if (cli_pattern_parse(s) >= 0)
		fuzz_assert(strcmp(cli_pattern_name((unsigned)cli_pattern_parse(s)), "?"), "an unnamed pattern");
	if (!stream_backing_parse(s, &sb))
		fuzz_assert(sb <= STREAM_BACKING_HUGETLB_1G, "stream_backing_parse out of range");
	{
		struct wl_event ev;
		char why[160];
		int rc = wl_line_parse(s, strlen(s), &ev, why, sizeof(why));

		fuzz_assert(rc >= -1 && rc <= 1, "wl_line_parse returned something else than -1, 0, 1");
		fuzz_assert(rc != 1 || ev.kind != WL_NONE, "wl_line_parse: an event of no kind");
		fuzz_assert(rc != 0 || ev.kind == WL_NONE, "wl_line_parse: not an event, yet a kind");
		fuzz_assert(rc != -1 || why[0], "wl_line_parse refused a line without a reason");
		fuzz_assert(rc != 1 || ev.kind != WL_VERIFY || ev.ok == (ev.errors == 0), "verify ok with errors");
	}
}

/* What every command's parser promises: one line of error, or options within their ranges. */
static void check_result(enum cli_result r, const char *err, size_t errlen, const struct run_opts *o)
{
	size_t n = strnlen(err, errlen);

	fuzz_assert(r == CLI_OK || r == CLI_HELP || r == CLI_USAGE, "a parser result outside cli_result");
	if (r == CLI_USAGE) {
		fuzz_assert(n > 0 && n < errlen, "a usage error without a message");
		fuzz_assert(!memchr(err, '\n', n), "a usage error of more than one line");
	}
	if (r != CLI_OK)
		return;
	fuzz_assert(o->vcpus >= 1 && o->vcpus <= RVMIG_MAX_VCPUS, "accepted --vcpus outside 1..RVMIG_MAX_VCPUS");
	fuzz_assert(o->mem >= CLI_MIN_MEM && o->mem <= (256ULL << 30), "accepted --mem outside 4M..256G");
	fuzz_assert(o->mem % mem_backing_page_size(o->backing) == 0,
		    "accepted --mem not a multiple of the backing page");
	fuzz_assert(o->write_pct <= 100 && o->hot_pct >= 1 && o->hot_pct <= 100, "accepted a percentage over 100");
}

/* Returns how many of the four commands accepted the words (the replay counts accepted inputs). */
static int command_parsers(int argc, char **argv)
{
	char err[512];
	struct run_opts run;
	struct migrate_opts mig;
	struct recv_opts rcv;
	struct bench_opts bench;
	enum cli_result r;
	int accepted = 0;

	argv[0] = "run";
	memset(err, 0, sizeof(err));
	r = cli_parse_run(argc, argv, &run, err, sizeof(err));
	check_result(r, err, sizeof(err), &run);
	accepted += r == CLI_OK;
	argv[0] = "migrate";
	memset(err, 0, sizeof(err));
	r = cli_parse_migrate(argc, argv, &mig, err, sizeof(err));
	check_result(r, err, sizeof(err), &mig.run);
	accepted += r == CLI_OK;
	if (r == CLI_OK)
		fuzz_assert(mig.max_rounds >= 1 && mig.max_rounds <= MIG_MAX_ROUNDS,
			    "accepted --max-rounds out of range");
	argv[0] = "recv";
	memset(err, 0, sizeof(err));
	r = cli_parse_recv(argc, argv, &rcv, err, sizeof(err));
	check_result(r, err, sizeof(err), &rcv.run);
	accepted += r == CLI_OK;
	if (r == CLI_OK)
		fuzz_assert(rcv.listen.kind != XPORT_LOCAL, "recv accepted without --listen");
	argv[0] = "bench";
	memset(err, 0, sizeof(err));
	r = bench_parse(argc, argv, &bench, err, sizeof(err));
	check_result(r, err, sizeof(err), &bench.run);
	return accepted + (r == CLI_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *argv[FUZZ_WORDS + 2];
	int argc = 1;

	fuzz_assert(text != NULL, "malloc of the input's words");
	memcpy(text, data, size);
	text[size] = '\0';
	/* Words end at NUL; the last one at the end of the input. */
	for (size_t off = 0; off <= size && argc <= FUZZ_WORDS; off += strlen(text + off) + 1)
		argv[argc++] = text + off;
	argv[argc] = NULL;
	for (int i = 1; i < argc && i <= FUZZ_VALUE_WORDS; i++)
		value_parsers(argv[i]);
	fuzz_outcome(command_parsers(argc, argv) ? 0 : -EINVAL, "every command refused the words");
	free(text);
	return 0;
}
