/* SPDX-License-Identifier: MIT */
/* Command-line parsing for `rvmig run` (pure: no KVM, unit-tested on the host). */
#ifndef RVMIG_CLI_H
#define RVMIG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/memory.h"
#include "lib/units.h"

#define CLI_DEFAULT_GUEST "/lib/rvmig/guest.bin"
#define CLI_MIN_MEM       (4ULL << 20)

struct run_opts {
	unsigned vcpus;
	uint64_t mem;               /* bytes                                                 */
	enum mem_backing backing;
	unsigned pattern;           /* enum rvmig_pattern                                    */
	unsigned write_pct;
	unsigned hot_pct;
	uint64_t rate;              /* pages/s per vCPU, 0 = unlimited                       */
	uint64_t duration_ms;
	uint64_t seed;
	bool dirty_log;
	bool quiet;
	const char *json;           /* NULL = no JSON                                        */
	const char *guest;
};

enum cli_result {
	CLI_OK    = 0,
	CLI_HELP  = 1,  /* --help given: caller prints cli_run_help() and exits 0             */
	CLI_USAGE = -1, /* err holds one line: what is wrong and what to do instead           */
};

void cli_run_defaults(struct run_opts *o);
/* argv[0] is the subcommand name ("run"). */
enum cli_result cli_parse_run(int argc, char **argv, struct run_opts *o, char *err, size_t errlen);
/* Formats a usage error into err and returns CLI_USAGE (for every command's option parser). */
enum cli_result cli_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cli_run_help(FILE *f);

/* "sequential" | "random" | "hotcold"; -1 when unknown. */
int cli_pattern_parse(const char *s);
const char *cli_pattern_name(unsigned p);

#endif
