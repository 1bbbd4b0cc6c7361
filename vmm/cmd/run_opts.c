/* SPDX-License-Identifier: MIT */
/*
 * `rvmig run` options. A hand-rolled parser rather than getopt_long: it keeps no global state, so
 * the unit tests can call it any number of times, and every error becomes one line with a hint.
 */
#include "cmd/run_opts.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rvmig_abi.h"

void cli_run_defaults(struct run_opts *o)
{
	*o = (struct run_opts){
		.vcpus = 2,
		.mem = 256ULL << 20,
		.backing = MEM_HUGETLB_2M,
		.pattern = RVMIG_PATTERN_SEQUENTIAL,
		.write_pct = 100,
		.hot_pct = 10,
		.rate = 0,
		.duration_ms = 2000,
		.seed = 0x5256,
		.guest = CLI_DEFAULT_GUEST,
	};
}

void cli_run_help(FILE *f)
{
	fprintf(f,
"usage: rvmig run [options]\n"
"\n"
"Boots the bare-metal rvmig guest on KVM (RISC-V) and lets every vCPU dirty its own slice of guest\n"
"RAM, stamping each written 4K page; then the guest verifies every stamp and reports. With\n"
"--dirty-log, dirty logging is switched on while the guest runs, and the time of that memslot update\n"
"(where Linux 7.3 does its eager page split) and every page's first-write latency are measured.\n"
"\n"
"Options:\n"
"  --vcpus N          vCPUs (harts), 1..%d and at most KVM_CAP_MAX_VCPUS (default 2)\n"
"  --mem SIZE         guest RAM, e.g. 256M, 1G: >= 4M and a multiple of the backing's page size\n"
"                     (default 256M)\n"
"  --backing KIND     host memory behind the memslot (default hugetlb-2M):\n"
"                       anon        4K pages (THP off for the range): the control case\n"
"                       thp         anonymous, MADV_HUGEPAGE, mapped 2M-aligned so G-stage can map 2M\n"
"                       hugetlb-2M  MAP_HUGETLB|MAP_HUGE_2MB (needs reserved 2M pages)\n"
"                       hugetlb-1G  MAP_HUGETLB|MAP_HUGE_1GB (needs reserved 1G pages; --mem in G)\n"
"  --pattern P        sequential | random | hotcold (default sequential)\n"
"  --write-pct W      share of accesses that are page writes, 0..100 (default 100)\n"
"  --hot-pct H        hotcold: share of pages that take 90%% of the accesses, 1..100 (default 10)\n"
"  --rate PAGES/S     per-vCPU access rate limit, 0 = as fast as possible (default 0)\n"
"  --duration T       dirtying time before the verify pass: 500ms, 2s, 1.5s, 1m (default 2s);\n"
"                     with --dirty-log it is counted from the moment logging is on\n"
"  --dirty-log        once every vCPU has written its whole slice once (so G-stage maps it all),\n"
"                     set KVM_MEM_LOG_DIRTY_PAGES on the memslot (timed) and start epoch 2\n"
"  --seed N           guest PRNG seed (default 0x5256; per vCPU seed ^ hartid)\n"
"  --json FILE        write the results, raw histograms included, as JSON ('-' = stdout)\n"
"  --guest PATH       guest image, a flat binary loaded at 0x%llx (default %s)\n"
"  --quiet            no progress lines and no guest console, only the summary and errors\n"
"  -h, --help         this text\n"
"\n"
"Guest physical layout: one memslot (slot 0) at 0x%llx; image at +0, device tree at +0x%llx (a1 at\n"
"entry, a0 = hart id), control block at +0x%llx, per-vCPU stats at +0x%llx, work area from +0x%llx\n"
"split into one slice per vCPU. vCPU 0 starts; the others stay KVM_MP_STATE_STOPPED until the guest\n"
"starts them with SBI HSM (handled in KVM). Console: SBI DBCN and legacy putchar; guest -> VMM\n"
"messages: SBI extension 0x%lx (experimental range); end: SBI SRST.\n"
"\n"
"What KVM does on the dirty-log enable is chosen by /sys/module/kvm/parameters/eager_page_split (Y/N).\n"
"First-write latency: guest `time` ticks from before the store to after it, for the first write to a\n"
"page in the epoch; log2 histogram, reported as p50/p90/p99/p99.9/max in microseconds.\n"
"\n"
"Exit status: 0 every hart verified its slice, 1 run-time failure (KVM, memory, guest fault, watchdog,\n"
"verify errors), 2 bad command line.\n",
		RVMIG_MAX_VCPUS, (unsigned long long)RVMIG_RAM_BASE, CLI_DEFAULT_GUEST,
		(unsigned long long)RVMIG_RAM_BASE, (unsigned long long)RVMIG_FDT_OFFSET,
		(unsigned long long)RVMIG_CTL_OFFSET, (unsigned long long)RVMIG_STATS_OFFSET,
		(unsigned long long)RVMIG_WORK_OFFSET, (unsigned long)RVMIG_SBI_EXT);
}

static const char *const cli_patterns[] = {
	[RVMIG_PATTERN_SEQUENTIAL] = "sequential",
	[RVMIG_PATTERN_RANDOM] = "random",
	[RVMIG_PATTERN_HOTCOLD] = "hotcold",
};

int cli_pattern_parse(const char *s)
{
	for (unsigned i = 0; i < sizeof(cli_patterns) / sizeof(cli_patterns[0]); i++)
		if (!strcasecmp(s, cli_patterns[i]))
			return (int)i;
	return -1;
}

const char *cli_pattern_name(unsigned p)
{
	return p < sizeof(cli_patterns) / sizeof(cli_patterns[0]) ? cli_patterns[p] : "?";
}

enum cli_result cli_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

/* Options that take a value; the parser looks the name up here to know whether to consume one. */
static const char *const cli_valued[] = {
	"vcpus", "mem", "backing", "pattern", "write-pct", "hot-pct", "rate", "duration", "seed",
	"json", "guest",
};

static bool cli_takes_value(const char *name)
{
	for (unsigned i = 0; i < sizeof(cli_valued) / sizeof(cli_valued[0]); i++)
		if (!strcmp(name, cli_valued[i]))
			return true;
	return false;
}

static enum cli_result cli_set(struct run_opts *o, const char *name, const char *val, char *err,
			       size_t errlen)
{
	uint64_t v;
	int i;

	if (!strcmp(name, "vcpus")) {
		if (parse_uint(val, 1, RVMIG_MAX_VCPUS, &v))
			return cli_fail(err, errlen, "--vcpus %s: want a number from 1 to %d (RVMIG_MAX_VCPUS)",
					val, RVMIG_MAX_VCPUS);
		o->vcpus = (unsigned)v;
	} else if (!strcmp(name, "mem")) {
		if (parse_size(val, &o->mem))
			return cli_fail(err, errlen, "--mem %s: not a size; write e.g. 256M or 1G", val);
	} else if (!strcmp(name, "backing")) {
		if ((i = mem_backing_parse(val)) < 0)
			return cli_fail(err, errlen,
					"--backing %s: unknown backing; use anon, thp, hugetlb-2M or hugetlb-1G", val);
		o->backing = (enum mem_backing)i;
	} else if (!strcmp(name, "pattern")) {
		if ((i = cli_pattern_parse(val)) < 0)
			return cli_fail(err, errlen, "--pattern %s: unknown pattern; use sequential, random or hotcold",
					val);
		o->pattern = (unsigned)i;
	} else if (!strcmp(name, "write-pct")) {
		if (parse_uint(val, 0, 100, &v))
			return cli_fail(err, errlen, "--write-pct %s: want a percentage from 0 to 100", val);
		o->write_pct = (unsigned)v;
	} else if (!strcmp(name, "hot-pct")) {
		if (parse_uint(val, 1, 100, &v))
			return cli_fail(err, errlen, "--hot-pct %s: want a percentage from 1 to 100", val);
		o->hot_pct = (unsigned)v;
	} else if (!strcmp(name, "rate")) {
		if (parse_uint(val, 0, UINT64_MAX, &o->rate))
			return cli_fail(err, errlen, "--rate %s: want pages per second per vCPU (0 = unlimited)", val);
	} else if (!strcmp(name, "duration")) {
		if (parse_duration(val, &o->duration_ms))
			return cli_fail(err, errlen, "--duration %s: want a time such as 500ms, 2s or 1m (1ms..24h)",
					val);
	} else if (!strcmp(name, "seed")) {
		if (parse_uint(val, 0, UINT64_MAX, &o->seed))
			return cli_fail(err, errlen, "--seed %s: want an unsigned number", val);
	} else if (!strcmp(name, "json")) {
		o->json = val;
	} else if (!strcmp(name, "guest")) {
		o->guest = val;
	}
	return CLI_OK;
}

/* Checks across options, once all are known. */
static enum cli_result cli_validate(const struct run_opts *o, char *err, size_t errlen)
{
	uint64_t page = mem_backing_page_size(o->backing);
	uint64_t work_pages;
	char a[32], b[32], c[32];

	if (o->mem < CLI_MIN_MEM)
		return cli_fail(err, errlen, "--mem %s is too small: the guest needs at least 4M (2M image area + work area)",
				format_size(o->mem, a, sizeof(a)));
	if (o->mem % page) {
		uint64_t up = (o->mem / page + 1) * page;
		return cli_fail(err, errlen, "--mem %s is not a multiple of the %s page size of --backing %s; try --mem %s",
				format_size(o->mem, a, sizeof(a)), format_size(page, b, sizeof(b)),
				mem_backing_name(o->backing), format_size(up, c, sizeof(c)));
	}
	/* RAM sits at 2 GiB; keep it below the 39-bit boundary every G-stage mode can map. */
	if (o->mem > (256ULL << 30))
		return cli_fail(err, errlen, "--mem %s is more than this VMM maps (256G)",
				format_size(o->mem, a, sizeof(a)));
	work_pages = (o->mem - RVMIG_WORK_OFFSET) / RVMIG_PAGE_SIZE;
	/* Each slice needs a gen-table page and at least one data page. */
	if (work_pages / o->vcpus < 2)
		return cli_fail(err, errlen, "--mem %s leaves fewer than 2 work pages per vCPU for %u vCPUs; give more memory",
				format_size(o->mem, a, sizeof(a)), o->vcpus);
	return CLI_OK;
}

enum cli_result cli_parse_run(int argc, char **argv, struct run_opts *o, char *err, size_t errlen)
{
	cli_run_defaults(o);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		char name[32];
		enum cli_result r;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
			return CLI_HELP;
		if (strncmp(arg, "--", 2) || !arg[2])
			return cli_fail(err, errlen, "unexpected argument '%s'; see rvmig run --help", arg);
		arg += 2;
		const char *eq = strchr(arg, '=');
		size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
		if (n >= sizeof(name))
			return cli_fail(err, errlen, "unknown option '--%s'; see rvmig run --help", arg);
		memcpy(name, arg, n);
		name[n] = 0;

		if (cli_takes_value(name)) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return cli_fail(err, errlen, "--%s needs a value; see rvmig run --help", name);
			r = cli_set(o, name, val, err, errlen);
			if (r != CLI_OK)
				return r;
			continue;
		}
		if (eq && (!strcmp(name, "dirty-log") || !strcmp(name, "quiet")))
			return cli_fail(err, errlen, "--%s takes no value", name);
		if (!strcmp(name, "dirty-log"))
			o->dirty_log = true;
		else if (!strcmp(name, "quiet"))
			o->quiet = true;
		else
			return cli_fail(err, errlen, "unknown option '--%s'; see rvmig run --help", name);
	}
	return cli_validate(o, err, errlen);
}
