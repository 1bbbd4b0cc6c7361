/* SPDX-License-Identifier: MIT */
/*
 * The `rvmig run` options: the machine shape and the workload, which every command takes alike
 * (run_opt_table). Pure: no KVM, unit-tested on the host.
 */
#ifndef RVMIG_RUN_OPTS_H
#define RVMIG_RUN_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/opt.h"
#include "core/memory.h"
#include "lib/units.h"

#define CLI_DEFAULT_GUEST "/lib/rvmig/guest.bin"
#define CLI_MIN_MEM       (4ULL << 20)

struct run_opts {
	unsigned vcpus;
	uint64_t mem; /* bytes                                                 */
	enum mem_backing backing;
	unsigned pattern; /* enum rvmig_pattern                                    */
	unsigned write_pct;
	unsigned hot_pct;
	uint64_t rate; /* pages/s per vCPU, 0 = unlimited                       */
	uint64_t duration_ms;
	uint64_t seed;
	bool dirty_log;
	bool quiet;
	bool no_seccomp;  /* no syscall filter after setup (debugging)              */
	const char *json; /* NULL = no JSON                                        */
	const char *guest;
	/* A Linux guest (--kernel): NULL = the bare-metal guest. initrd and append need kernel. */
	const char *kernel, *initrd, *append;
};

void cli_run_defaults(struct run_opts *o);
/*
 * argv[0] is the command; every other command hands what is not its own here, so a run option
 * means the same in all of them. Defaults first, then the options, then the checks across them.
 */
enum cli_result cli_parse_run(int argc, char **argv, struct run_opts *o, char *err, size_t errlen);
void cli_run_help(FILE *f);
/*
 * How every command but run parses: its own options (table t) out of argv[1..] into opts, the rest,
 * after pre[0..npre) (pre[0] stands for argv[0]), to cli_parse_run into run.
 */
enum cli_result cli_parse_with_run(const struct opt_table *t, int argc, char **argv, void *opts, char *const *pre,
				   int npre, struct run_opts *run, char *err, size_t errlen);
extern const struct opt_table run_opt_table;
/*
 * A command that cannot take a Linux guest (yet) refuses --kernel/--initrd/--append with one line:
 * "--kernel is for ...: why". CLI_OK when none was given.
 */
enum cli_result cli_refuse_linux(const struct run_opts *o, const char *why, char *err, size_t errlen);

/* "sequential" | "random" | "hotcold"; -1 when unknown. */
int cli_pattern_parse(const char *s);
const char *cli_pattern_name(unsigned p);

#endif
