/* SPDX-License-Identifier: MIT */
/* rvmig: subcommand dispatch. migrate/recv/bench join the table as they arrive. */
#include <stdio.h>
#include <string.h>

#include "cmd/bench.h"
#include "cmd/migrate.h"
#include "cmd/recv.h"
#include "cmd/run.h"
#include "core/kvm.h"
#include "lib/err.h"

struct cmd {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "run", run_main, "boot the guest, dirty memory (optionally under dirty logging), verify, report" },
	{ "migrate", migrate_main, "live-migrate a running guest (precopy) to a destination VM, verify it there" },
	{ "recv", recv_main, "receive one migration (the destination of migrate --to unix:/tcp:)" },
	{ "bench", bench_main,
	  "one measured case of the eager page split A/B (lab/scenarios/bench.sh runs the matrix)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: rvmig <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "  %-8s %s\n", "help", "this text; 'rvmig help run' or 'rvmig run --help' for a command");
	fprintf(f, "\n  --version  version, KVM API version and the KVM capabilities rvmig uses\n");
}

static int version(void)
{
	printf("rvmig %s (rvmig guest ABI %d)\n", RVMIG_VERSION, RVMIG_ABI_VERSION);
	return kvm_print_caps(stdout) ? RVMIG_EXIT_FAIL : RVMIG_EXIT_OK;
}

int main(int argc, char **argv)
{
	/* Line-buffered even into a pipe or file: progress and guest console are read live. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return RVMIG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))
		return version();
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc > 2) {
			char *sub[] = { argv[2], "--help", NULL };

			for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
				if (!strcmp(argv[2], cmds[i].name))
					return cmds[i].main(2, sub);
		}
		usage(stdout);
		return RVMIG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].main(argc - 1, argv + 1);
	fprintf(stderr, "rvmig: unknown command '%s'; try rvmig help\n", argv[1]);
	return RVMIG_EXIT_USAGE;
}
