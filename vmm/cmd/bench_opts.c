/* SPDX-License-Identifier: MIT */
/*
 * `rvmig bench` options: its own (--dirty, --passes, --clear-chunk, ...) are taken here, everything
 * else goes to the `rvmig run` parser, so memory, backing and vCPU options mean exactly the same.
 */
#include <string.h>

#include "cmd/bench.h"
#include "cmd/common_opts.h"
#include "lib/opt.h"
#include "lib/util.h"

#define BENCH_DEFAULT_RING 16384
#define BENCH_DEFAULT_MEM  "128M"

void bench_defaults(struct bench_opts *o)
{
	*o = (struct bench_opts){
		.mode = DIRTY_MANUAL,
		.passes = 3,
		.clear_chunk = 0,
		.ring_size = BENCH_DEFAULT_RING,
		.clean_harvests = 3,
	};
	/* bench's default --mem (128M) is given to cli_parse_run by bench_parse, ahead of the user's. */
	cli_run_defaults(&o->run);
}

#define BENCH_OPT(field) OPT_FIELD(struct bench_opts, field)

static const struct opt bench_opts_list[] = {
	OPT_DIRTY(struct bench_opts, mode),
	{ "passes", "N", OPT_UINT, BENCH_OPT(passes), .min = 1, .max = BENCH_MAX_PASSES,
	  .bad = "--passes %s: want 1..16", .help = "dirty passes after logging starts, 1..%llu (default 3)",
	  .help_val = BENCH_MAX_PASSES },
	OPT_CLEAR_CHUNK(struct bench_opts, clear_chunk, "slot: the whole slot"),
	OPT_RING_SIZE(struct bench_opts, ring_size, BENCH_DEFAULT_RING),
	{ "clean-harvests", "N", OPT_UINT, BENCH_OPT(clean_harvests), .min = 0, .max = BENCH_MAX_CLEAN,
	  .bad = "--clean-harvests %s: want 0..16", .help = "harvests of the clean slot, 0..%llu (default 3)",
	  .help_val = BENCH_MAX_CLEAN },
	{ "label", "TEXT", OPT_STRING, BENCH_OPT(label), .help = "copied into the JSON (the scenario's case name)" },
	/* bench's own --json: its results, not run's */
	{ "json", "FILE", OPT_STRING, BENCH_OPT(json), .help = "results, raw samples included ('-' = stdout)" },
	{ "json-only", NULL, OPT_FLAG, BENCH_OPT(json_only),
	  .help = "no human output at all; JSON on stdout unless --json names a file" },
	{ "no-park", NULL, OPT_FLAG, BENCH_OPT(no_park),
	  .help = "let a vCPU that finished its slice keep writing (staying in guest mode)\n"
		  "instead of waiting outside KVM_RUN until the pass ends, as\n"
		  "dirty_log_perf_test's vCPUs do (under TCG a vCPU spinning in guest mode\n"
		  "makes the other vCPUs' write faults ~10 ms each)" },
	{ "trace-marks", NULL, OPT_FLAG, BENCH_OPT(trace_marks),
	  .help = "write each phase's name to /sys/kernel/tracing/trace_marker (lab/ktrace.sh)" },
	{ "enable-running", NULL, OPT_FLAG, BENCH_OPT(enable_running),
	  .help = "keep every vCPU writing across the enable and the first CLEAR instead\n"
		  "of parking them (the race: a vCPU can reach a huge leaf before the\n"
		  "eager split does and split it in its own write fault)" },
	{ "cancel", NULL, OPT_FLAG, BENCH_OPT(cancel),
	  .help = "after the passes: logging off, a pass, logging on again (a cancelled\n"
		  "migration: what the second enable finds to split)" },
	OPT_NO_DIRTY_LOG,
	{ "--vcpus --mem --backing --pattern --rate --seed --guest --quiet", NULL, OPT_NOTE,
	  .help = "   as for rvmig run\n(default here: --mem " BENCH_DEFAULT_MEM "; pattern sequential)" },
};

static const struct opt_table bench_opt_table = {
	.cmd = "bench",
	OPT_TABLE(bench_opts_list),
	.hint = "; see rvmig bench --help",
	.help_col = 21,
};

void bench_help(FILE *f)
{
	fprintf(f,
		"usage: rvmig bench [--dirty MODE] [--passes N] [--clear-chunk SIZE] [rvmig run options]\n"
		"\n"
		"One case of the eager page split A/B (lab/scenarios/bench.sh runs the matrix and toggles\n"
		"/sys/module/kvm/parameters/eager_page_split between cases). The guest first writes its whole\n"
		"slice once, so KVM maps it with huge G-stage leaves where the backing allows; then:\n"
		"  1. dirty logging is enabled in MODE (timed: where `manual` and `get` split eagerly);\n"
		"  2. manual-init-set: the first CLEAR over the whole slot, chunk by chunk (timed: where it splits);\n"
		"  3. N passes: a new epoch, every vCPU writes its whole slice once (the guest times each page's\n"
		"     first write), then one harvest: GET, CLEAR per chunk, or ring collect + reset (timed);\n"
		"  4. the guest stops writing; the clean slot is harvested --clean-harvests times (timed);\n"
		"  5. guest RAM is copied with memcpy into a 64 MiB buffer (bandwidth, for scale); verify; exit.\n"
		"\n"
		"Options:\n");
	opt_help(f, &bench_opt_table);
	fprintf(f, "\n"
		   "Exit status: 0 measured and verified, 1 run-time failure, 2 bad command line.\n");
}

enum cli_result bench_parse(int argc, char **argv, struct bench_opts *o, char *err, size_t errlen)
{
	/* cli_parse_run fills only o->run, starting from run's defaults: bench's default --mem goes
	 * first, so that a --mem of the user's wins. */
	static char *const pre[] = { "run", "--mem=" BENCH_DEFAULT_MEM };
	enum cli_result r;

	bench_defaults(o);
	r = cli_parse_with_run(&bench_opt_table, argc, argv, o, pre, 2, &o->run, err, errlen);
	if (r == CLI_USAGE && !strncmp(err, "unknown option", 14))
		strncat(err, " (or rvmig bench --help)", errlen - strlen(err) - 1);
	if (r == CLI_OK)
		r = cli_refuse_linux(&o->run, "the bench measures the bare-metal guest's stamped pages; leave it out",
				     err, errlen);
	if (r == CLI_OK && o->json_only) {
		o->run.quiet = true;
		if (!o->json)
			o->json = "-";
	}
	return r;
}
