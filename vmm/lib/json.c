/* SPDX-License-Identifier: MIT */
#include "lib/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "lib/err.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

static void json_put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Comma, newline, indentation and "key": before a value. */
static void json_prefix(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (j->depth) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	if (key) {
		json_put_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	json_prefix(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void json_close(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth)
		j->depth--;
	if (!empty) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	fputc(c, j->f);
}

void json_obj_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}
void json_obj_end(struct json *j)
{
	json_close(j, '}');
}
void json_arr_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}
void json_arr_end(struct json *j)
{
	json_close(j, ']');
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_prefix(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	json_prefix(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void json_double(struct json *j, const char *key, double v)
{
	json_prefix(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);
	else
		fputs("null", j->f);
}

void json_str(struct json *j, const char *key, const char *s)
{
	json_prefix(j, key);
	if (s)
		json_put_string(j->f, s);
	else
		fputs("null", j->f);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_prefix(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}

int json_file_open(const char *path, FILE **f)
{
	*f = strcmp(path, "-") ? fopen(path, "we") : stdout;
	if (!*f) {
		warn_errno(errno, "cannot write --json %s", path);
		return -1;
	}
	return 0;
}

int json_file_close(FILE *f, const char *path)
{
	int err = 0;

	/* errno is read only right after the call that failed: a stale one would name the wrong cause. */
	errno = 0;
	if (fflush(f))
		err = errno ? errno : EIO;
	if (!err && ferror(f))
		err = -1; /* an earlier write failed; its errno is gone */
	if (f != stdout) {
		errno = 0;
		if (fclose(f) && !err)
			err = errno ? errno : EIO;
	}
	if (err > 0)
		warn_errno(err, "writing --json %s", path);
	else if (err)
		warn_msg("writing --json %s failed (write error)", path);
	return err ? -1 : 0;
}
