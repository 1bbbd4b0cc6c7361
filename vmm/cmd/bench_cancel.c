/* SPDX-License-Identifier: MIT */
/*
 * rvmig bench --cancel: what a cancelled migration leaves behind. After the passes, dirty logging is
 * switched off (the migration gave up), the guest writes its whole slice once with logging off, and
 * logging is switched on again (timed, as the first enable; manual-init-set: with its first CLEAR).
 * Linux 7.3's RISC-V KVM never joins split G-stage mappings back into huge ones (gstage.c maps a
 * huge-size fault onto an existing 4K leaf as 4K), so the second enable finds nothing to split:
 * lab/ktrace.sh counts it, in the phases "cancel", "offpass" and "reenable" this file marks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/bench.h"
#include "session.h"

int bench_cancelled_migration(struct bench *b)
{
	struct bench_cancel *c = &b->cancel;
	uint64_t t0;
	int e;

	if (bench_hold_still(b, "disabling dirty logging"))
		return -1;
	bench_mark(b, "cancel");
	t0 = machine_now_ns();
	e = dirty_stop(&b->d);
	if (e < 0) {
		snprintf(b->fail, sizeof(b->fail), "disabling dirty logging (--cancel): %s", strerror(-e));
		return -1;
	}
	c->disable_ms = bench_ms(machine_now_ns() - t0);
	bench_set_epoch(b, b->epoch + 1);
	bench_mark(b, "offpass");
	t0 = machine_now_ns();
	bench_resume(b);
	if (bench_wait_pass(b, NULL))
		return -1;
	c->off_pass_ms = bench_ms(machine_now_ns() - t0);
	if (bench_start_logging(b, &c->again, "reenable"))
		return -1;
	c->done = true;
	if (bench_say(b))
		printf("[bench] cancelled migration: logging off %.3f ms, a pass without it %.0f ms, on again %.3f ms\n",
		       c->disable_ms, c->off_pass_ms, c->again.enable_ms);
	return 0;
}
