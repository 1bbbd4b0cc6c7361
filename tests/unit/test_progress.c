/* SPDX-License-Identifier: MIT */
/* The progress watchdog: a counter that keeps moving is never stalled, however slow; one that stands
 * still longer than its window is. */
#include "check.h"
#include "lib/progress.h"

#define S 1000000000ULL

static void test_slow_but_moving(void)
{
	struct progress_watch w;
	bool ok = true;

	progress_watch_init(&w, 0, 0, 30 * S);
	/* One page every 29 s for an hour: slow, never stalled. */
	for (uint64_t t = 1; t <= 124; t++)
		ok = progress_watch_ok(&w, t, t * 29 * S) && ok;
	CHECK(ok, "a counter moving every 29 s never stalls a 30 s window (124 moves)");
	CHECK(progress_watch_still_ns(&w, 124 * 29 * S) == 0, "still 0 ns right after a move");
}

static void test_standstill(void)
{
	struct progress_watch w;

	progress_watch_init(&w, 100, 10 * S, 30 * S);
	CHECK(progress_watch_ok(&w, 100, 40 * S), "standing still exactly the window: not stalled yet");
	CHECK(!progress_watch_ok(&w, 100, 40 * S + 1), "one ns past the window: stalled");
	CHECK(progress_watch_still_ns(&w, 41 * S) == 31 * S, "still for 31 s");
	CHECK(progress_watch_ok(&w, 101, 41 * S), "a move after the stall: fresh window");
	CHECK(progress_watch_ok(&w, 101, 71 * S) && !progress_watch_ok(&w, 101, 72 * S),
	      "the window counts from the last move");
}

static void test_odd_inputs(void)
{
	struct progress_watch w;

	progress_watch_init(&w, 5, 10 * S, 0);
	CHECK(progress_watch_ok(&w, 5, 10 * S) && !progress_watch_ok(&w, 5, 10 * S + 1),
	      "window 0: only the same instant passes");
	progress_watch_init(&w, 5, 10 * S, 30 * S);
	CHECK(progress_watch_ok(&w, 5, 9 * S) && progress_watch_still_ns(&w, 9 * S) == 0,
	      "a clock read from before the last move is no standstill");
	CHECK(progress_watch_ok(&w, 3, 50 * S) && w.value == 3,
	      "a counter that went back (a new epoch) counts as moved");
}

int main(void)
{
	test_slow_but_moving();
	test_standstill();
	test_odd_inputs();
	CHECK_DONE();
}
