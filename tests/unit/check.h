/* Minimal unit-test helpers: each check prints one TAP-like line that tests/run.sh counts. */
#ifndef RVMIG_CHECK_H
#define RVMIG_CHECK_H
#include <stdio.h>

static int check_failed;

/* cond is evaluated exactly once, so a check may call the function under test. */
#define CHECK(cond, ...)                                                    \
	do {                                                                \
		int check_ok_ = !!(cond);                                   \
		printf(check_ok_ ? "ok - " : "not ok - ");                  \
		if (!check_ok_)                                             \
			check_failed = 1;                                   \
		printf(__VA_ARGS__);                                        \
		if (!check_ok_)                                             \
			printf("  (%s:%d: %s)", __FILE__, __LINE__, #cond); \
		printf("\n");                                               \
	} while (0)

#define CHECK_DONE() return check_failed ? 1 : 0
#endif
