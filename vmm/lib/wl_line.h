/* SPDX-License-Identifier: MIT */
/*
 * The Linux guest workload's console lines (include/rvmig_wl.h) as events for the monitor: ready,
 * a verify result (with the clock's largest step), exit, error. Pure: host-tested, fuzzable.
 */
#ifndef RVMIG_WL_LINE_H
#define RVMIG_WL_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wl_kind {
	WL_NONE = 0, /* not a workload event                                  */
	WL_READY,
	WL_VERIFY,
	WL_EXIT,
	WL_ERROR,
};

struct wl_event {
	enum wl_kind kind;
	bool ok;                                 /* WL_VERIFY: "ok" (else "fail")                        */
	uint64_t threads, pages, boot_ms;        /* WL_READY                                             */
	uint64_t epoch, errors, writes, step_us; /* WL_VERIFY (pages too); step_us = max_step_us      */
	char text[160];                          /* WL_ERROR: the workload's reason                      */
};

/*
 * One console line (len bytes, no newline). 1: a workload event, in ev. 0: not one (other guest
 * output, or a workload line that is not an event, such as a bad page's detail). -1: it claims to be
 * an event ("rvmig-wl: ready|verify|exit|error") but does not have its shape; why says what is off.
 */
int wl_line_parse(const char *line, size_t len, struct wl_event *ev, char *why, size_t whylen);

/* What the monitor knows of the workload: the latest event of each kind, counted. Under the machine lock. */
struct wl_status {
	unsigned readies, verifies, exits, errors, malformed;
	struct wl_event ready, verify;
	char error[160];
};

/* Folds one parsed event into st. */
void wl_status_add(struct wl_status *st, const struct wl_event *ev);

#endif
