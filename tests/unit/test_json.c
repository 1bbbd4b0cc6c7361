/* SPDX-License-Identifier: MIT */
/* The JSON writer: nesting, commas, escaping, non-finite numbers. */
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "lib/json.h"

int main(void)
{
	char buf[1024] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_u64(&j, "a", 18446744073709551615ULL);
	json_str(&j, "s", "q\"b\\n\n");
	json_arr_begin(&j, "h");
	json_u64(&j, NULL, 1);
	json_u64(&j, NULL, 2);
	json_arr_end(&j);
	json_arr_begin(&j, "empty");
	json_arr_end(&j);
	json_double(&j, "d", 0.5);
	json_double(&j, "inf", INFINITY);
	json_bool(&j, "t", true);
	json_str(&j, "n", NULL);
	json_i64(&j, "neg", -3);
	json_obj_end(&j);
	json_finish(&j);
	fclose(f);

	CHECK(buf[0] == '{' && buf[strlen(buf) - 2] == '}' && buf[strlen(buf) - 1] == '\n',
	      "one object, newline-terminated");
	CHECK(strstr(buf, "\"a\": 18446744073709551615,") != NULL, "u64 max and a comma");
	CHECK(strstr(buf, "\"s\": \"q\\\"b\\\\n\\n\"") != NULL, "string escaping: %s", buf);
	CHECK(strstr(buf, "[\n    1,\n    2\n  ]") != NULL, "array items separated and indented");
	CHECK(strstr(buf, "\"empty\": []") != NULL, "empty array");
	CHECK(strstr(buf, "\"d\": 0.5") && strstr(buf, "\"inf\": null"), "doubles, non-finite as null");
	CHECK(strstr(buf, "\"t\": true") && strstr(buf, "\"n\": null") && strstr(buf, "\"neg\": -3"),
	      "bool, null, negative");
	CHECK(strstr(buf, ",\n}") == NULL && strstr(buf, ",,") == NULL, "no trailing or double commas");

	/* The --json file helpers: a good file, an unwritable path, a full device. */
	{
		char path[] = "/tmp/rvmig-test-json-XXXXXX", back[64] = "";
		int fd = mkstemp(path);
		FILE *g;

		CHECK(fd >= 0, "mkstemp");
		close(fd);
		int rc = json_file_open(path, &g);

		CHECK(rc == 0 && g && g != stdout, "open a file");
		json_init(&j, g);
		json_obj_begin(&j, NULL);
		json_u64(&j, "x", 1);
		json_obj_end(&j);
		json_finish(&j);
		rc = json_file_close(g, path);
		CHECK(rc == 0, "close a good file: 0");
		g = fopen(path, "r");
		if (g) {
			rc = fread(back, 1, sizeof(back) - 1, g) > 0;
			fclose(g);
		}
		CHECK(g && rc && strstr(back, "\"x\": 1"), "the file holds the JSON");
		unlink(path);
		rc = json_file_open("/nonexistent-dir/x.json", &g);
		CHECK(rc == -1, "open in a missing directory: -1");
		rc = json_file_open("-", &g);
		CHECK(rc == 0 && g == stdout, "\"-\" is stdout");
		if (json_file_open("/dev/full", &g) == 0) {
			json_init(&j, g);
			json_obj_begin(&j, NULL);
			json_str(&j, "x", "y");
			json_obj_end(&j);
			json_finish(&j);
			rc = json_file_close(g, "/dev/full");
			CHECK(rc == -1, "a full device: the close reports the error");
		}
	}
	CHECK_DONE();
}
