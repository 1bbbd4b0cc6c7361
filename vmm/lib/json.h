/* SPDX-License-Identifier: MIT */
/* A small streaming JSON writer: objects, arrays, numbers, strings; commas and nesting tracked. */
#ifndef RVMIG_JSON_H
#define RVMIG_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH]; /* nothing written yet at this level: no comma needed */
};

/* key is NULL inside arrays and at the top level. */
void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_double(struct json *j, const char *key, double v);   /* NaN/inf become null */
void json_str(struct json *j, const char *key, const char *s); /* NULL becomes null */
void json_bool(struct json *j, const char *key, bool v);
/* Ends the document with a newline. */
void json_finish(struct json *j);

/*
 * The --json file of a tool: path "-" is stdout. json_file_open returns 0, or -1 after a warning
 * naming the path and the reason. json_file_close flushes, checks for write errors and closes (not
 * stdout); 0, or -1 after a warning with the errno of the call that failed (none when only the
 * stream's error flag says an earlier write failed).
 */
int json_file_open(const char *path, FILE **f);
int json_file_close(FILE *f, const char *path);

#endif
