/* SPDX-License-Identifier: MIT */
/*
 * The one option parser of every command, table-driven as kvmtool's parse-options: each option is
 * declared once, with its kind, its range or parser, the message for a bad value and its help text;
 * --help's option list is generated from the same table. Pure (no KVM), host-tested.
 *
 * A command's options are its own table plus the `rvmig run` table (machine shape and workload,
 * which every command shares): opt_take() takes the command's own options out of argv and leaves
 * the rest, in order, for opt_parse() with the run table. Two passes, so that a command's own
 * option is checked before any run option, whatever the order on the command line.
 */
#ifndef RVMIG_OPT_H
#define RVMIG_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cli_result {
	CLI_OK = 0,
	CLI_HELP = 1,   /* --help given: caller prints the command's help and exits 0          */
	CLI_USAGE = -1, /* err holds one line: what is wrong and what to do instead           */
};

enum opt_kind {
	OPT_FLAG,     /* bool; "--name=value" is refused                                     */
	OPT_UINT,     /* parse_uint within [min, max] (a power of two if pow2) into an unsigned field of `size` bytes */
	OPT_SIZE,     /* parse_size into a uint64_t                                           */
	OPT_DURATION, /* parse_duration into a uint64_t (milliseconds)                        */
	OPT_STRING,   /* the value itself (const char *)                                      */
	OPT_ENUM,     /* name(value): the enum's number, -1 for the `bad` message            */
	OPT_FUNC,     /* set(field, value): 0, or -1 for the `bad` message                    */
	OPT_REFUSED,  /* taken by name, never accepted: `bad` says what to use instead        */
	OPT_NOTE,     /* help only: what an option of another table means for this command    */
};

struct opt {
	const char *name; /* without the leading "--"                                   */
	const char *arg;  /* the value's name in the help ("N", "SIZE"); NULL = a flag  */
	enum opt_kind kind;
	size_t off, size;                         /* the field in the command's options struct                  */
	uint64_t min, max;                        /* OPT_UINT                                                   */
	int (*set)(void *field, const char *val); /* OPT_FUNC: the field at off, so one setter serves every table */
	int (*name_to_enum)(const char *val);     /* OPT_ENUM                                    */
	const char *bad;                          /* usage error for a bad value: a format with one %s, the value */
	const char *help; /* help lines, a format that may use help_val once (as %llu or %llx) */
	unsigned long long help_val;
	bool hidden; /* not listed in --help (the usage line names it)             */
	bool pow2;   /* OPT_UINT: the value must be a power of two                  */
};

#define OPT_FIELD(type, field) .off = offsetof(type, field), .size = sizeof(((type *)0)->field)

/* One table of options, and how its parser reports what is not in it. */
struct opt_table {
	const char *cmd; /* "run": in messages                                         */
	const struct opt *opts;
	size_t n;
	/* The sibling command's options: refused by name ("--listen is not an option of migrate"). */
	const struct opt_table *siblings;
	const char *hint;  /* after "--x needs a value", e.g. "; see rvmig bench --help" */
	unsigned help_col; /* width of the "--name ARG" column in --help                 */
};

#define OPT_TABLE(t) .opts = (t), .n = sizeof(t) / sizeof((t)[0])

/* Formats a usage error into err and returns CLI_USAGE (for every command's option parser). */
enum cli_result cli_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * All of argv[1..] against t, nothing left over: what `rvmig run` parses, and what the other
 * commands hand on. argv[0] is the command. Unknown options and stray arguments are errors.
 */
enum cli_result opt_parse(const struct opt_table *t, int argc, char **argv, void *opts, char *err, size_t errlen);
/*
 * The options of t out of argv[1..] into opts; everything else goes, in order, to rest (which
 * must have room for argc entries and gets argv[0] first), *nrest its count.
 */
enum cli_result opt_take(const struct opt_table *t, int argc, char **argv, void *opts, char **rest, int *nrest,
			 char *err, size_t errlen);
/*
 * What every command does with its parser's answer: CLI_HELP prints help to stdout (exit status 0),
 * CLI_USAGE prints "rvmig CMD: err" to stderr (2). -1 for CLI_OK: the command goes on.
 */
int cli_exit_status(enum cli_result r, const char *cmd, const char *err, void (*help)(FILE *f));
/* The option list of --help: "  --name ARG" in help_col columns, then the help lines. */
void opt_help(FILE *f, const struct opt_table *t);

#endif
