/* SPDX-License-Identifier: MIT */
/* `rvmig run` options: the table (lib/opt.h), the help around it, the checks across options. */
#include "cmd/run_opts.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/common_opts.h"
#include "rvmig_abi.h"

/* The default --guest, one object: a guest pointer elsewhere came from the command line. */
static const char cli_default_guest[] = CLI_DEFAULT_GUEST;

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
		.guest = cli_default_guest,
	};
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

/* --kernel, --initrd, --append: which go together, and what a Linux guest does not take. */
static enum cli_result cli_validate_linux(const struct run_opts *o, char *err, size_t errlen)
{
	if (!o->kernel) {
		if (o->initrd)
			return cli_fail(
				err, errlen,
				"--initrd is for a Linux guest: give --kernel IMAGE with it (see rvmig run --help)");
		if (o->append)
			return cli_fail(
				err, errlen,
				"--append is for a Linux guest: give --kernel IMAGE with it (see rvmig run --help)");
		return CLI_OK;
	}
	if (!o->kernel[0])
		return cli_fail(err, errlen, "--kernel needs the path of a RISC-V Linux Image; see rvmig run --help");
	if (o->initrd && !o->initrd[0])
		return cli_fail(err, errlen, "--initrd needs the path of an initramfs; see rvmig run --help");
	if (o->guest != cli_default_guest)
		return cli_fail(
			err, errlen,
			"--kernel and --guest both name the guest to boot: give one of them (see rvmig run --help)");
	return CLI_OK;
}

/* Checks across options, once all are known. */
static enum cli_result cli_validate(const struct run_opts *o, char *err, size_t errlen)
{
	uint64_t page = mem_backing_page_size(o->backing);
	uint64_t work_pages;
	char a[32], b[32], c[32];

	if (o->mem < CLI_MIN_MEM)
		return cli_fail(err, errlen,
				"--mem %s is too small: the guest needs at least 4M (2M image area + work area)",
				format_size(o->mem, a, sizeof(a)));
	if (o->mem % page) {
		uint64_t up = (o->mem / page + 1) * page;
		return cli_fail(err, errlen,
				"--mem %s is not a multiple of the %s page size of --backing %s; try --mem %s",
				format_size(o->mem, a, sizeof(a)), format_size(page, b, sizeof(b)),
				mem_backing_name(o->backing), format_size(up, c, sizeof(c)));
	}
	/* RAM sits at 2 GiB; keep it below the 39-bit boundary every G-stage mode can map. */
	if (o->mem > (256ULL << 30))
		return cli_fail(err, errlen, "--mem %s is more than this VMM maps (256G)",
				format_size(o->mem, a, sizeof(a)));
	if (o->kernel || o->initrd || o->append)
		return cli_validate_linux(o, err, errlen);
	work_pages = (o->mem - RVMIG_WORK_OFFSET) / RVMIG_PAGE_SIZE;
	/* Each slice needs a gen-table page and at least one data page. */
	if (work_pages / o->vcpus < 2)
		return cli_fail(err, errlen,
				"--mem %s leaves fewer than 2 work pages per vCPU for %u vCPUs; give more memory",
				format_size(o->mem, a, sizeof(a)), o->vcpus);
	return CLI_OK;
}

#define RUN_STR_(x) #x
#define RUN_STR(x)  RUN_STR_(x)

#define RUN_OPT(field) OPT_FIELD(struct run_opts, field)

static const struct opt run_opts_list[] = {
	{ "vcpus", "N", OPT_UINT, RUN_OPT(vcpus), .min = 1, .max = RVMIG_MAX_VCPUS,
	  .bad = "--vcpus %s: want a number from 1 to " RUN_STR(RVMIG_MAX_VCPUS) " (RVMIG_MAX_VCPUS)",
	  .help = "vCPUs (harts), 1..%llu and at most KVM_CAP_MAX_VCPUS (default 2)", .help_val = RVMIG_MAX_VCPUS },
	{ "mem", "SIZE", OPT_SIZE, RUN_OPT(mem), .bad = "--mem %s: not a size; write e.g. 256M or 1G",
	  .help = "guest RAM, e.g. 256M, 1G: >= 4M and a multiple of the backing's page size\n(default 256M)" },
	{ "backing", "KIND", OPT_ENUM, RUN_OPT(backing), .name_to_enum = mem_backing_parse,
	  .bad = "--backing %s: unknown backing; use anon, thp, hugetlb-2M or hugetlb-1G",
	  .help = "host memory behind the memslot (default hugetlb-2M):\n"
		  "  anon        4K pages (THP off for the range): the control case\n"
		  "  thp         anonymous, MADV_HUGEPAGE, mapped 2M-aligned so G-stage can map 2M\n"
		  "  hugetlb-2M  MAP_HUGETLB|MAP_HUGE_2MB (needs reserved 2M pages)\n"
		  "  hugetlb-1G  MAP_HUGETLB|MAP_HUGE_1GB (needs reserved 1G pages; --mem in G)" },
	{ "pattern", "P", OPT_ENUM, RUN_OPT(pattern), .name_to_enum = cli_pattern_parse,
	  .bad = "--pattern %s: unknown pattern; use sequential, random or hotcold",
	  .help = "sequential | random | hotcold (default sequential)" },
	{ "write-pct", "W", OPT_UINT, RUN_OPT(write_pct), .min = 0, .max = 100,
	  .bad = "--write-pct %s: want a percentage from 0 to 100",
	  .help = "share of accesses that are page writes, 0..100 (default 100)" },
	{ "hot-pct", "H", OPT_UINT, RUN_OPT(hot_pct), .min = 1, .max = 100,
	  .bad = "--hot-pct %s: want a percentage from 1 to 100",
	  .help = "hotcold: share of pages that take 90%% of the accesses, 1..100 (default 10)" },
	{ "rate", "PAGES/S", OPT_UINT, RUN_OPT(rate), .min = 0, .max = UINT64_MAX,
	  .bad = "--rate %s: want pages per second per vCPU (0 = unlimited)",
	  .help = "per-vCPU access rate limit, 0 = as fast as possible (default 0)" },
	{ "duration", "T", OPT_DURATION, RUN_OPT(duration_ms),
	  .bad = "--duration %s: want a time such as 500ms, 2s or 1m (1ms..24h)",
	  .help = "dirtying time before the verify pass: 500ms, 2s, 1.5s, 1m (default 2s);\n"
		  "with --dirty-log it is counted from the moment logging is on" },
	{ "dirty-log", NULL, OPT_FLAG, RUN_OPT(dirty_log),
	  .help = "once every vCPU has written its whole slice once (so G-stage maps it all),\n"
		  "set KVM_MEM_LOG_DIRTY_PAGES on the memslot (timed) and start epoch 2;\n"
		  "with --kernel: at the workload's ready line, and one harvest after --duration" },
	{ "seed", "N", OPT_UINT, RUN_OPT(seed), .min = 0, .max = UINT64_MAX,
	  .bad = "--seed %s: want an unsigned number",
	  .help = "guest PRNG seed (default 0x5256; per vCPU seed ^ hartid)" },
	{ "json", "FILE", OPT_STRING, RUN_OPT(json),
	  .help = "write the results, raw histograms included, as JSON ('-' = stdout)" },
	{ "guest", "PATH", OPT_STRING, RUN_OPT(guest),
	  .help = "guest image, a flat binary loaded at 0x%llx (default " CLI_DEFAULT_GUEST ")",
	  .help_val = RVMIG_RAM_BASE },
	OPT_KERNEL(struct run_opts, kernel),
	OPT_INITRD(struct run_opts, initrd),
	OPT_APPEND(struct run_opts, append),
	{ "quiet", NULL, OPT_FLAG, RUN_OPT(quiet),
	  .help = "no progress lines and no guest console, only the summary and errors" },
	{ "no-seccomp", NULL, OPT_FLAG, RUN_OPT(no_seccomp),
	  .help = "no seccomp filter after setup (debugging; by default only the system calls\n"
		  "rvmig needs go through: vmm/lib/syscall_allow.c)" },
	{ "-h, --help", NULL, OPT_NOTE, .help = "this text" },
};

const struct opt_table run_opt_table = {
	.cmd = "run",
	OPT_TABLE(run_opts_list),
	.hint = "; see rvmig run --help",
	.help_col = 19,
};

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
		"Options:\n");
	opt_help(f, &run_opt_table);
	fprintf(f,
		"\n"
		"Guest physical layout: one memslot (slot 0) at 0x%llx; image at +0, device tree at +0x%llx (a1 at\n"
		"entry, a0 = hart id), control block at +0x%llx, per-vCPU stats at +0x%llx, work area from +0x%llx\n"
		"split into one slice per vCPU. vCPU 0 starts; the others stay KVM_MP_STATE_STOPPED until the guest\n"
		"starts them with SBI HSM (handled in KVM). Console: SBI DBCN and legacy putchar; guest -> VMM\n"
		"messages: SBI extension 0x%lx (experimental range); end: SBI SRST.\n"
		"\n"
		"What KVM does on the dirty-log enable is chosen by /sys/module/kvm/parameters/eager_page_split (Y/N).\n"
		"First-write latency: guest `time` ticks from before the store to after it, for the first write to a\n"
		"page in the epoch; log-linear histograms (32 sub-buckets per power of two, percentiles within 1.6 %%),\n"
		"reported as p50/p90/p99/p99.9/max in microseconds, for every first write and apart for the first\n"
		"write into each 2M region (the one that splits a huge mapping when eager splitting is off).\n"
		"\n"
		"Linux guests (--kernel IMAGE [--initrd FILE] [--append ARGS]): the Image's header is checked (magic\n"
		"\"RISCV\" at 0x30, \"RSC\\x05\" at 0x38) and it is loaded at 0x%llx + its text_offset (2M aligned); the\n"
		"initrd goes right below the device tree, which sits in the last 2M block of RAM. The device tree has\n"
		"/cpus (timebase-frequency from KVM's timer, one cpu@N per vCPU with riscv,isa, riscv,isa-base and\n"
		"riscv,isa-extensions as KVM reports them, mmu-type from KVM's satp_mode, a riscv,cpu-intc), /memory,\n"
		"and /chosen (bootargs, default \"" FDT_LINUX_DEFAULT_BOOTARGS
		"\", linux,initrd-start/end). No devices and\n"
		"no external interrupt controller: timer and IPIs come through SBI in KVM; the console is SBI's debug\n"
		"console (hvc0), each output line prefixed [vcpuN]; a terminal on stdin is the guest's keyboard (raw\n"
		"mode; Ctrl-C still ends rvmig). The pattern and rate options go to the workload on the command line;\n"
		"--dirty-log switches logging on at its ready line (timed) and counts the pages dirtied in --duration.\n"
		"Exit status with --kernel: 0 the guest powered off (SBI SRST shutdown) or asked for a reboot (not\n"
		"done: rvmig says so and exits), 1 it shut down for a system failure or the VMM failed, 2 bad command\n"
		"line, --kernel/--initrd files or a --mem they do not fit in.\n"
		"\n"
		"Exit status: 0 every hart verified its slice, 1 run-time failure (KVM, memory, guest fault, watchdog,\n"
		"verify errors), 2 bad command line.\n",
		(unsigned long long)RVMIG_RAM_BASE, (unsigned long long)RVMIG_FDT_OFFSET,
		(unsigned long long)RVMIG_CTL_OFFSET, (unsigned long long)RVMIG_STATS_OFFSET,
		(unsigned long long)RVMIG_WORK_OFFSET, (unsigned long)RVMIG_SBI_EXT,
		(unsigned long long)RVMIG_RAM_BASE);
}

enum cli_result cli_parse_run(int argc, char **argv, struct run_opts *o, char *err, size_t errlen)
{
	enum cli_result r;

	cli_run_defaults(o);
	r = opt_parse(&run_opt_table, argc, argv, o, err, errlen);
	return r == CLI_OK ? cli_validate(o, err, errlen) : r;
}

enum cli_result cli_refuse_linux(const struct run_opts *o, const char *why, char *err, size_t errlen)
{
	if (!o->kernel && !o->initrd && !o->append)
		return CLI_OK;
	return cli_fail(err, errlen, "--%s is for rvmig run (a Linux guest): %s",
			o->kernel   ? "kernel"
			: o->initrd ? "initrd"
				    : "append",
			why);
}

enum cli_result cli_parse_with_run(const struct opt_table *t, int argc, char **argv, void *opts, char *const *pre,
				   int npre, struct run_opts *run, char *err, size_t errlen)
{
	char **rest = calloc((size_t)argc + (size_t)npre, sizeof(*rest));
	enum cli_result r;
	int n = npre;

	if (!rest)
		return cli_fail(err, errlen, "out of memory");
	memcpy(rest, pre, (size_t)npre * sizeof(*rest));
	r = opt_take(t, argc, argv, opts, rest, &n, err, errlen);
	if (r == CLI_OK)
		r = cli_parse_run(n, rest, run, err, errlen);
	free(rest);
	return r;
}
