/* SPDX-License-Identifier: MIT */
/*
 * The Linux guest workload's console lines (vmm/lib/wl_line.c, format in include/rvmig_wl.h): every
 * event parsed into its fields, other guest output ignored, lines that claim to be events but are not
 * of their shape refused with the reason, and the monitor's status counting them.
 */
#include <string.h>

#include "check.h"
#include "lib/wl_line.h"

static int parse(const char *line, struct wl_event *ev, char *why, size_t whylen)
{
	return wl_line_parse(line, strlen(line), ev, why, whylen);
}

static void test_events(void)
{
	struct wl_event ev;
	char why[160];
	int rc;

	rc = parse("rvmig-wl: ready threads=2 pages=29550 boot_ms=4180", &ev, why, sizeof(why));
	CHECK(rc == 1 && ev.kind == WL_READY && ev.threads == 2 && ev.pages == 29550 && ev.boot_ms == 4180,
	      "ready: threads, pages, boot_ms (rc %d, %s)", rc, why);
	rc = parse("rvmig-wl: verify ok epoch=3 pages=29550 errors=0 writes=123456 max_step_us=48211", &ev, why,
		   sizeof(why));
	CHECK(rc == 1 && ev.kind == WL_VERIFY && ev.ok && ev.epoch == 3 && ev.pages == 29550 && ev.errors == 0 &&
		      ev.writes == 123456 && ev.step_us == 48211,
	      "verify ok: every field (rc %d, %s)", rc, why);
	rc = parse("rvmig-wl: verify fail epoch=1 pages=10 errors=2 writes=20 max_step_us=0", &ev, why, sizeof(why));
	CHECK(rc == 1 && ev.kind == WL_VERIFY && !ev.ok && ev.errors == 2, "verify fail with its error count (rc %d)",
	      rc);
	rc = parse("rvmig-wl: exit", &ev, why, sizeof(why));
	CHECK(rc == 1 && ev.kind == WL_EXIT, "exit (rc %d)", rc);
	rc = parse("rvmig-wl: error mmap of 1000 bytes: Cannot allocate memory", &ev, why, sizeof(why));
	CHECK(rc == 1 && ev.kind == WL_ERROR && !strcmp(ev.text, "mmap of 1000 bytes: Cannot allocate memory"),
	      "error keeps its text (\"%s\")", ev.text);
}

static void test_not_events(void)
{
	static const char *const lines[] = {
		"[    0.000000] Linux version 7.3.4 (riscv64)",
		"rvmig-wl: thread 1 page 77: stale gen (gen table 4)",
		"rvmig-wl: ignored input \"hello\" (want verify or exit)",
		"rvmig-wl:ready threads=1 pages=1 boot_ms=1",
		"",
		"rvmig-w",
	};
	struct wl_event ev;
	char why[160];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		CHECK(parse(lines[i], &ev, why, sizeof(why)) == 0 && ev.kind == WL_NONE, "not an event: \"%s\"",
		      lines[i]);
}

static void test_malformed(void)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
		{ "rvmig-wl: ready threads=2 pages=10", "boot_ms= missing" },
		{ "rvmig-wl: ready pages=10 threads=2 boot_ms=1", "want threads=NUMBER" },
		{ "rvmig-wl: ready threads=x pages=10 boot_ms=1", "want threads=NUMBER" },
		{ "rvmig-wl: ready threads=2 pages=10 boot_ms=1 extra", "trailing \"extra\"" },
		{ "rvmig-wl: ready threads=2 pages=10 boot_ms=18446744073709551616", "want boot_ms=NUMBER" },
		{ "rvmig-wl: verify maybe epoch=1 pages=1 errors=0 writes=1 max_step_us=1", "verdict \"maybe\"" },
		{ "rvmig-wl: verify ok epoch=1 pages=1 errors=3 writes=1 max_step_us=1", "verdict ok with errors=3" },
		{ "rvmig-wl: verify fail epoch=1 pages=1 errors=0 writes=1 max_step_us=1",
		  "verdict fail with errors=0" },
		{ "rvmig-wl: verify ok epoch=1 pages=1 errors=0 writes=1", "max_step_us= missing" },
		{ "rvmig-wl: exit now", "trailing \"now\"" },
	};
	struct wl_event ev;
	char why[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].line, &ev, why, sizeof(why));

		CHECK(rc == -1 && strstr(why, cases[i].why), "malformed \"%s\": refused, says \"%s\" (rc %d, \"%s\")",
		      cases[i].line, cases[i].why, rc, why);
	}
	/* Not NUL-terminated: only len bytes are read. */
	CHECK(wl_line_parse("rvmig-wl: exitXYZ", 14, &ev, why, sizeof(why)) == 1 && ev.kind == WL_EXIT,
	      "only len bytes of the line are read");
}

static void test_status(void)
{
	struct wl_status st = { 0 };
	struct wl_event ev;
	char why[160];

	parse("rvmig-wl: ready threads=1 pages=5 boot_ms=9", &ev, why, sizeof(why));
	wl_status_add(&st, &ev);
	parse("rvmig-wl: verify ok epoch=1 pages=5 errors=0 writes=7 max_step_us=3", &ev, why, sizeof(why));
	wl_status_add(&st, &ev);
	parse("rvmig-wl: verify ok epoch=2 pages=5 errors=0 writes=9 max_step_us=4", &ev, why, sizeof(why));
	wl_status_add(&st, &ev);
	parse("rvmig-wl: error out of memory", &ev, why, sizeof(why));
	wl_status_add(&st, &ev);
	CHECK(st.readies == 1 && st.verifies == 2 && st.errors == 1 && st.exits == 0 && st.ready.pages == 5 &&
		      st.verify.epoch == 2 && st.verify.writes == 9 && !strcmp(st.error, "out of memory"),
	      "status: counts and the latest event of each kind");
}

int main(void)
{
	test_events();
	test_not_events();
	test_malformed();
	test_status();
	CHECK_DONE();
}
