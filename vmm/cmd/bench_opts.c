/* SPDX-License-Identifier: MIT */
/*
 * `rvmig bench` options: its own (--dirty, --passes, --clear-chunk, ...) are taken here, everything
 * else goes to the `rvmig run` parser, so memory, backing and vCPU options mean exactly the same.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/bench.h"
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
"Options:\n"
"  --dirty MODE         get | manual (default) | manual-init-set | ring\n"
"  --passes N           dirty passes after logging starts, 1..%d (default 3)\n"
"  --clear-chunk SIZE   KVM_CLEAR_DIRTY_LOG chunk, e.g. 2M, 64M, or 'slot' (default: the whole slot)\n"
"  --ring-size N        dirty ring entries per vCPU, a power of two (default %d)\n"
"  --clean-harvests N   harvests of the clean slot, 0..%d (default 3)\n"
"  --label TEXT         copied into the JSON (the scenario's case name)\n"
"  --json FILE          results, raw samples included ('-' = stdout)\n"
"  --json-only          no human output at all; JSON on stdout unless --json names a file\n"
"  --no-park            let a vCPU that finished its slice keep writing (staying in guest mode)\n"
"                       instead of waiting outside KVM_RUN until the pass ends, as\n"
"                       dirty_log_perf_test's vCPUs do (under TCG a vCPU spinning in guest mode\n"
"                       makes the other vCPUs' write faults ~10 ms each)\n"
"  --vcpus --mem --backing --pattern --rate --seed --guest --quiet   as for rvmig run\n"
"                       (default here: --mem " BENCH_DEFAULT_MEM "; pattern sequential)\n"
"\n"
"Exit status: 0 measured and verified, 1 run-time failure, 2 bad command line.\n",
		BENCH_MAX_PASSES, BENCH_DEFAULT_RING, BENCH_MAX_CLEAN);
}

static enum cli_result bench_fail(char *err, size_t errlen, const char *msg, const char *val)
{
	snprintf(err, errlen, msg, val);
	return CLI_USAGE;
}

/* 1 when name is a bench option taking a value, 2 a bench flag, 0 not ours. */
static int bench_own(const char *name)
{
	static const char *const valued[] = { "dirty", "passes", "clear-chunk", "ring-size", "clean-harvests",
					      "label", "json" };

	for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
		if (!strcmp(name, valued[i]))
			return 1;
	return !strcmp(name, "json-only") || !strcmp(name, "no-park") ? 2 : 0;
}

static enum cli_result bench_set(struct bench_opts *o, const char *name, const char *v, char *err, size_t errlen)
{
	uint64_t n;
	int m;

	if (!strcmp(name, "dirty")) {
		if ((m = dirty_mode_parse(v)) < 0)
			return bench_fail(err, errlen, "--dirty %s: use get, manual, manual-init-set or ring", v);
		o->mode = (enum dirty_mode)m;
	} else if (!strcmp(name, "passes")) {
		if (parse_uint(v, 1, BENCH_MAX_PASSES, &n))
			return bench_fail(err, errlen, "--passes %s: want 1..16", v);
		o->passes = (unsigned)n;
	} else if (!strcmp(name, "clear-chunk")) {
		if (!strcmp(v, "slot"))
			o->clear_chunk = 0;
		else if (parse_size(v, &o->clear_chunk) || o->clear_chunk % (64 * RVMIG_PAGE_SIZE))
			return bench_fail(err, errlen, "--clear-chunk %s: want a multiple of 256K (64 pages), e.g. 2M, or 'slot'", v);
	} else if (!strcmp(name, "ring-size")) {
		if (parse_uint(v, 64, 1 << 20, &n) || !is_pow2(n))
			return bench_fail(err, errlen, "--ring-size %s: want a power of two from 64 to 1048576", v);
		o->ring_size = (uint32_t)n;
	} else if (!strcmp(name, "clean-harvests")) {
		if (parse_uint(v, 0, BENCH_MAX_CLEAN, &n))
			return bench_fail(err, errlen, "--clean-harvests %s: want 0..16", v);
		o->clean_harvests = (unsigned)n;
	} else if (!strcmp(name, "label")) {
		o->label = v;
	} else if (!strcmp(name, "json")) {
		o->json = v;
	}
	return CLI_OK;
}

/* Splits "--name=value" / "--name value"; returns the index of the last argv used. */
static int bench_take(int argc, char **argv, int i, char *name, size_t nlen, const char **val)
{
	const char *arg = argv[i] + 2, *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);

	snprintf(name, nlen, "%.*s", (int)n, arg);
	*val = eq ? eq + 1 : NULL;
	if (!eq && bench_own(name) == 1 && i + 1 < argc)
		*val = argv[++i];
	return i;
}

enum cli_result bench_parse(int argc, char **argv, struct bench_opts *o, char *err, size_t errlen)
{
	char **rest = calloc((size_t)argc + 2, sizeof(char *));
	int nrest = 0;
	enum cli_result r = CLI_OK;

	bench_defaults(o);
	if (!rest)
		return bench_fail(err, errlen, "out of memory%s", "");
	rest[nrest++] = "run";
	rest[nrest++] = "--mem=" BENCH_DEFAULT_MEM; /* bench's default; a later --mem wins */
	for (int i = 1; i < argc && r == CLI_OK; i++) {
		char name[32];
		const char *val;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			r = CLI_HELP;
			break;
		}
		if (strncmp(argv[i], "--", 2)) {
			rest[nrest++] = argv[i];
			continue;
		}
		int j = bench_take(argc, argv, i, name, sizeof(name), &val);
		switch (bench_own(name)) {
		case 1:
			if (!val)
				r = bench_fail(err, errlen, "--%s needs a value; see rvmig bench --help", name);
			else
				r = bench_set(o, name, val, err, errlen);
			i = j;
			break;
		case 2:
			if (val)
				r = bench_fail(err, errlen, "--%s takes no value", name);
			if (!strcmp(name, "no-park"))
				o->no_park = true;
			else
				o->json_only = true;
			break;
		default:
			if (!strcmp(name, "dirty-log"))
				r = bench_fail(err, errlen, "--dirty-log: rvmig bench always logs; choose the mode with --dirty%s", "");
			else
				rest[nrest++] = argv[i];
			break;
		}
	}
	/* cli_parse_run fills only o->run, starting from run's defaults (hence the --mem=128M above). */
	if (r == CLI_OK)
		r = cli_parse_run(nrest, rest, &o->run, err, errlen);
	free(rest);
	if (r == CLI_USAGE && !strncmp(err, "unknown option", 14))
		strncat(err, " (or rvmig bench --help)", errlen - strlen(err) - 1);
	if (r == CLI_OK && o->json_only) {
		o->run.quiet = true;
		if (!o->json)
			o->json = "-";
	}
	return r;
}
