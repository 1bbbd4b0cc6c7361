/* SPDX-License-Identifier: MIT */
/*
 * The option parser (see opt.h). Hand-rolled rather than getopt_long: it keeps no global state, so
 * the unit tests can call it any number of times, and every error becomes one line with a hint.
 */
#include "lib/opt.h"

#include <stdarg.h>
#include <string.h>

#include "lib/err.h"
#include "lib/units.h"
#include "lib/util.h"

/* Longest option name looked up; a longer one is unknown without a look. */
#define OPT_NAME_MAX 32

/*
 * Messages quote what the user typed: a newline or escape sequence in an argument would make the
 * one-line error several lines (or drive the terminal). Control bytes are shown as '?'.
 */
static enum cli_result cli_one_line(char *err)
{
	for (unsigned char *p = (unsigned char *)err; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return CLI_USAGE;
}

enum cli_result cli_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return cli_one_line(err);
}

/* The table's `bad` messages are formats with the value as their one argument. */
static enum cli_result opt_bad(const struct opt *o, const char *val, char *err, size_t errlen)
{
	snprintf(err, errlen, o->bad, val);
	return cli_one_line(err);
}

int cli_exit_status(enum cli_result r, const char *cmd, const char *err, void (*help)(FILE *f))
{
	switch (r) {
	case CLI_HELP:
		help(stdout);
		return RVMIG_EXIT_OK;
	case CLI_USAGE:
		fprintf(stderr, "rvmig %s: %s\n", cmd, err);
		return RVMIG_EXIT_USAGE;
	case CLI_OK:
		break;
	}
	return -1;
}

static const struct opt *opt_find(const struct opt *opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i].kind != OPT_NOTE && !strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

static bool opt_takes_value(const struct opt *o)
{
	return o->kind != OPT_FLAG && o->kind != OPT_REFUSED;
}

static void opt_store(const struct opt *o, void *opts, uint64_t v)
{
	char *p = (char *)opts + o->off;

	if (o->size == sizeof(uint64_t)) {
		uint64_t u = v;

		memcpy(p, &u, sizeof(u));
	} else {
		uint32_t u = (uint32_t)v;

		memcpy(p, &u, sizeof(u));
	}
}

static enum cli_result opt_set(const struct opt *o, void *opts, const char *val, char *err, size_t errlen)
{
	char *field = (char *)opts + o->off;
	uint64_t v;

	switch (o->kind) {
	case OPT_FLAG:
		*(bool *)field = true;
		return CLI_OK;
	case OPT_UINT:
		if (parse_uint(val, o->min, o->max, &v) || (o->pow2 && !is_pow2(v)))
			return opt_bad(o, val, err, errlen);
		opt_store(o, opts, v);
		return CLI_OK;
	case OPT_SIZE:
		if (parse_size(val, &v))
			return opt_bad(o, val, err, errlen);
		opt_store(o, opts, v);
		return CLI_OK;
	case OPT_DURATION:
		if (parse_duration(val, &v))
			return opt_bad(o, val, err, errlen);
		opt_store(o, opts, v);
		return CLI_OK;
	case OPT_STRING:
		*(const char **)field = val;
		return CLI_OK;
	case OPT_ENUM: {
		int e = o->name_to_enum(val);

		if (e < 0)
			return opt_bad(o, val, err, errlen);
		opt_store(o, opts, (uint64_t)e);
		return CLI_OK;
	}
	case OPT_FUNC:
		return o->set(field, val) ? opt_bad(o, val, err, errlen) : CLI_OK;
	case OPT_REFUSED:
		return opt_bad(o, val, err, errlen);
	case OPT_NOTE:
		break;
	}
	return CLI_OK;
}

/* "--x needs a value", and where to read what it takes: the table's hint, or its command's --help. */
static enum cli_result opt_needs_value(const struct opt_table *t, const char *name, char *err, size_t errlen)
{
	if (t->hint)
		return cli_fail(err, errlen, "--%s needs a value%s", name, t->hint);
	return cli_fail(err, errlen, "--%s needs a value; see rvmig %s --help", name, t->cmd);
}

static bool opt_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

/* "--name[=value]": the name into name (NULL when longer than OPT_NAME_MAX - 1), the '=' or NULL. */
static const char *opt_split(const char *arg, char name[OPT_NAME_MAX], const char **eq)
{
	size_t n;

	*eq = strchr(arg, '=');
	n = *eq ? (size_t)(*eq - arg) : strlen(arg);
	if (n >= OPT_NAME_MAX)
		return NULL;
	memcpy(name, arg, n);
	name[n] = 0;
	return name;
}

enum cli_result opt_parse(const struct opt_table *t, int argc, char **argv, void *opts, char *err, size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *val;
		char name[OPT_NAME_MAX];
		const struct opt *o;
		enum cli_result r;

		if (opt_is_help(arg))
			return CLI_HELP;
		if (strncmp(arg, "--", 2) || !arg[2])
			return cli_fail(err, errlen, "unexpected argument '%s'; see rvmig %s --help", arg, t->cmd);
		arg += 2;
		if (!opt_split(arg, name, &eq))
			return cli_fail(err, errlen, "unknown option '--%s'; see rvmig %s --help", arg, t->cmd);
		o = opt_find(t->opts, t->n, name);
		if (!o)
			return cli_fail(err, errlen, "unknown option '--%s'; see rvmig %s --help", name, t->cmd);
		if (!opt_takes_value(o)) {
			if (eq && o->kind == OPT_FLAG)
				return cli_fail(err, errlen, "--%s takes no value; write --%s alone", name, name);
			val = eq ? eq + 1 : NULL;
		} else if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			return opt_needs_value(t, name, err, errlen);
		}
		r = opt_set(o, opts, val, err, errlen);
		if (r != CLI_OK)
			return r;
	}
	return CLI_OK;
}

enum cli_result opt_take(const struct opt_table *t, int argc, char **argv, void *opts, char **rest, int *nrest,
			 char *err, size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq, *val;
		char name[OPT_NAME_MAX];
		const struct opt *o, *sib;
		enum cli_result r;

		if (opt_is_help(arg))
			return CLI_HELP;
		/* Not an option of ours, or not an option at all: opt_parse says what is wrong with it. */
		if (strncmp(arg, "--", 2) || !opt_split(arg + 2, name, &eq)) {
			rest[(*nrest)++] = argv[i];
			continue;
		}
		o = opt_find(t->opts, t->n, name);
		sib = o || !t->siblings ? NULL : opt_find(t->siblings->opts, t->siblings->n, name);
		if (!o && !sib) {
			rest[(*nrest)++] = argv[i];
			continue;
		}
		if (o && o->kind == OPT_FLAG) {
			if (eq)
				return cli_fail(err, errlen, "--%s takes no value; write --%s alone", name, name);
			opt_set(o, opts, NULL, err, errlen);
			continue;
		}
		if (o && o->kind == OPT_REFUSED)
			return opt_bad(o, name, err, errlen);
		if (!eq && i + 1 >= argc)
			return opt_needs_value(t, name, err, errlen);
		val = eq ? eq + 1 : argv[++i];
		if (sib)
			return cli_fail(err, errlen, "--%s is not an option of %s; it belongs to rvmig %s", name,
					t->cmd, t->siblings->cmd);
		r = opt_set(o, opts, val, err, errlen);
		if (r != CLI_OK)
			return r;
	}
	return CLI_OK;
}

void opt_help(FILE *f, const struct opt_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct opt *o = &t->opts[i];
		char left[96], text[1024];
		const char *line = text;

		if (o->hidden)
			continue;
		/* A name that starts with '-' is printed as it stands ("-h, --help"). */
		snprintf(left, sizeof(left), "%s%s%s%s", o->name[0] == '-' ? "" : "--", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		snprintf(text, sizeof(text), o->help, o->help_val);
		for (bool first = true; line; first = false) {
			const char *nl = strchr(line, '\n');
			int len = nl ? (int)(nl - line) : (int)strlen(line);

			if (first)
				fprintf(f, "  %-*s%.*s\n", (int)t->help_col, left, len, line);
			else
				fprintf(f, "  %*s%.*s\n", (int)t->help_col, "", len, line);
			line = nl ? nl + 1 : NULL;
		}
	}
}
