/* SPDX-License-Identifier: MIT */
/* rvmig bench option parsing: its own options, the run options passed through, the errors. */
#include <string.h>

#include "check.h"
#include "cmd/bench.h"

static enum cli_result parse(struct bench_opts *o, char *err, const char *const *args, int n)
{
	char *argv[32] = { "bench" };

	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	return bench_parse(n + 1, argv, o, err, 256);
}
#define PARSE(o, err, ...)                                  \
	parse(o, err, (const char *const[]){ __VA_ARGS__ }, \
	      (int)(sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *)))

int main(void)
{
	struct bench_opts o;
	char err[256] = "";
	enum cli_result r;

	r = parse(&o, err, NULL, 0);
	CHECK(r == CLI_OK && o.mode == DIRTY_MANUAL && o.passes == 3 && o.clear_chunk == 0 &&
		      o.run.mem == 128ULL << 20 && o.run.vcpus == 2 && !o.json && !o.json_only,
	      "defaults: manual, 3 passes, whole-slot CLEAR, 128M");
	r = PARSE(&o, err, "--dirty", "manual-init-set", "--passes=2", "--clear-chunk", "2M", "--vcpus", "1",
		  "--backing", "hugetlb-1G", "--mem", "1G", "--json", "x.json", "--label", "c1");
	CHECK(r == CLI_OK && o.mode == DIRTY_MANUAL_INIT_SET && o.passes == 2 && o.clear_chunk == 2ULL << 20 &&
		      o.run.vcpus == 1 && o.run.backing == MEM_HUGETLB_1G && o.run.mem == 1ULL << 30 &&
		      !strcmp(o.json, "x.json") && !strcmp(o.label, "c1"),
	      "own options and run options mixed: %s", err);
	r = PARSE(&o, err, "--dirty=ring", "--ring-size", "4096", "--json-only");
	CHECK(r == CLI_OK && o.mode == DIRTY_RING && o.ring_size == 4096 && o.json_only && o.run.quiet &&
		      !strcmp(o.json, "-"),
	      "--json-only: quiet, JSON on stdout");
	r = PARSE(&o, err, "--no-park");
	CHECK(r == CLI_OK && o.no_park && !o.json_only, "--no-park");
	r = PARSE(&o, err, "--trace-marks", "--cancel");
	CHECK(r == CLI_OK && o.trace_marks && o.cancel && !o.no_park, "--trace-marks --cancel");
	r = PARSE(&o, err, "--dirty", "get");
	CHECK(r == CLI_OK && !o.trace_marks && !o.cancel, "no phase marks and no cancel by default");
	r = PARSE(&o, err, "--clear-chunk", "slot");
	CHECK(r == CLI_OK && o.clear_chunk == 0, "--clear-chunk slot");
	r = PARSE(&o, err, "--dirty", "sometimes");
	CHECK(r == CLI_USAGE && strstr(err, "manual-init-set"), "bad mode names the choices: %s", err);
	r = PARSE(&o, err, "--clear-chunk", "5K");
	CHECK(r == CLI_USAGE && strstr(err, "256K"), "chunk not a multiple of 64 pages: %s", err);
	r = PARSE(&o, err, "--ring-size", "1000");
	CHECK(r == CLI_USAGE && strstr(err, "power of two"), "ring size not a power of two: %s", err);
	r = PARSE(&o, err, "--passes", "0");
	CHECK(r == CLI_USAGE, "0 passes refused: %s", err);
	r = PARSE(&o, err, "--dirty-log");
	CHECK(r == CLI_USAGE && strstr(err, "--dirty"), "--dirty-log points at --dirty: %s", err);
	r = PARSE(&o, err, "--mem", "5M", "--backing", "hugetlb-2M");
	CHECK(r == CLI_USAGE && strstr(err, "multiple"), "run's validation applies: %s", err);
	r = PARSE(&o, err, "--bogus");
	CHECK(r == CLI_USAGE && strstr(err, "bench --help"), "unknown option: %s", err);
	r = PARSE(&o, err, "--passes");
	CHECK(r == CLI_USAGE && strstr(err, "needs a value"), "missing value: %s", err);
	r = PARSE(&o, err, "--help");
	CHECK(r == CLI_HELP, "--help");
	CHECK_DONE();
}
