/* SPDX-License-Identifier: MIT */
/*
 * A progress watchdog: a counter that must keep moving. It judges a slow job by whether it still
 * advances, not by a fixed time: under TCG on a shared host a dirty pass of 4 emulated harts on 2
 * cores writes ~60 pages/s per vCPU instead of ~9000, and is still correct. Pure logic (the caller
 * passes the clock), host-tested.
 */
#ifndef RVMIG_PROGRESS_H
#define RVMIG_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress_watch {
	uint64_t value;     /* the counter when it last moved               */
	uint64_t moved_ns;  /* when it last moved (the caller's clock)      */
	uint64_t window_ns; /* how long it may stand still before it stalls */
};

/* Starts watching: value is the counter now, window_ns how long it may stand still. */
void progress_watch_init(struct progress_watch *w, uint64_t value, uint64_t now_ns, uint64_t window_ns);
/* Feeds the counter's current value: true while it moved within the window (any change counts as a
 * move), false once it stood still for longer. */
bool progress_watch_ok(struct progress_watch *w, uint64_t value, uint64_t now_ns);
/* How long the counter has stood still at now_ns. */
uint64_t progress_watch_still_ns(const struct progress_watch *w, uint64_t now_ns);

#endif
