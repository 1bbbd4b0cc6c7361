/* SPDX-License-Identifier: MIT */
/* A progress watchdog (progress.h). */
#include "lib/progress.h"

void progress_watch_init(struct progress_watch *w, uint64_t value, uint64_t now_ns, uint64_t window_ns)
{
	w->value = value;
	w->moved_ns = now_ns;
	w->window_ns = window_ns;
}

uint64_t progress_watch_still_ns(const struct progress_watch *w, uint64_t now_ns)
{
	/* A clock read before the last move (two threads' reads racing) is no standstill. */
	return now_ns > w->moved_ns ? now_ns - w->moved_ns : 0;
}

bool progress_watch_ok(struct progress_watch *w, uint64_t value, uint64_t now_ns)
{
	if (value != w->value) {
		w->value = value;
		w->moved_ns = now_ns;
		return true;
	}
	return progress_watch_still_ns(w, now_ns) <= w->window_ns;
}
