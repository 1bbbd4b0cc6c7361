/* Minimal unit-test helpers: each check prints one TAP-like line that tests/run.sh counts. */
#ifndef RVMIG_CHECK_H
#define RVMIG_CHECK_H
#include <stdio.h>

static int check_failed;

#define CHECK(cond, ...) do {                                              \
	if (cond) { printf("ok - "); }                                     \
	else { printf("not ok - "); check_failed = 1; }                    \
	printf(__VA_ARGS__);                                               \
	if (!(cond)) printf("  (%s:%d: %s)", __FILE__, __LINE__, #cond);  \
	printf("\n");                                                      \
} while (0)

#define CHECK_DONE() return check_failed ? 1 : 0
#endif
