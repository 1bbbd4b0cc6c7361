// SPDX-License-Identifier: MIT
/*
 * The command loop every hart runs: poll rvmig_ctl.cmd and act on it.
 *   RUN    dirty the slice (dirty.c), following epoch changes, announcing the slice's first pass;
 *   VERIFY once per entry into VERIFY: check the slice, publish, print, RVMIG_SBI_REPORT; then idle;
 *   EXIT   secondary harts stop, the boot hart waits for them and resets the system;
 *   other  idle (NONE before the VMM asks for anything).
 */
#include "arch.h"
#include "console.h"
#include "guest.h"
#include "sbi.h"

#define ACCESSES_PER_TIME_CHECK 64
#define EXIT_WAIT_MS            2000

uint32_t worker_poll_cmd(struct hart *h)
{
	if (g.selftest && h->hartid == g.boot_hartid)
		selftest_poll();
	return READ_ONCE(g.ctl->cmd);
}

static void phase(struct hart *h, enum rvmig_phase p, uint64_t arg)
{
	rvmig_sbi_phase(h->hartid, p, arg);
}

/* A new epoch also picks up new parameters: the VMM may change the workload between rounds. */
static void begin_epoch(struct hart *h, uint64_t epoch)
{
	fence_r_r(); /* the parameters are read after the epoch that announced them */
	dirty_load_params(h);
	stats_new_epoch(h, epoch, rdtime());
	h->slice_done = false;
	h->epoch_seen = true;
	stats_publish(h);
	phase(h, RVMIG_PHASE_EPOCH, epoch);
}

static void announce_slice_done(struct hart *h)
{
	h->slice_done = true;
	stats_publish(h);
	WRITE_ONCE(h->slice_done_epoch, h->st.epoch);
	phase(h, RVMIG_PHASE_SLICE_DONE, h->st.epoch);
}

static void enter_run(struct hart *h)
{
	fence_r_r(); /* the parameters are read after the RUN command that follows them */
	dirty_load_params(h);
	if (h->pattern > RVMIG_PATTERN_HOTCOLD)
		console_printf("rvmig-guest: hart %lu: unknown pattern %u, running sequential\n",
			       (unsigned long)h->hartid, h->pattern);
	WRITE_ONCE(h->run_entries, h->run_entries + 1);
	phase(h, RVMIG_PHASE_RUNNING, 0);
}

/* Dirties until cmd is no longer RUN; returns that command. */
static uint32_t run(struct hart *h)
{
	volatile struct rvmig_ctl *ctl = g.ctl;
	unsigned since_time_check = 0;
	uint32_t cmd;

	enter_run(h);
	while ((cmd = READ_ONCE(ctl->cmd)) == RVMIG_CMD_RUN) {
		uint64_t epoch = READ_ONCE(ctl->epoch);
		if (!h->epoch_seen || epoch != h->st.epoch)
			begin_epoch(h, epoch);

		struct access a = dirty_pick(h);
		/* Paced writes wait here, still polling ctl so a command is never late. */
		while (a.write && !dirty_write_due(h, rdtime()) && READ_ONCE(ctl->cmd) == RVMIG_CMD_RUN &&
		       READ_ONCE(ctl->epoch) == epoch)
			worker_poll_cmd(h);
		if (a.write && !dirty_write_due(h, rdtime()))
			continue; /* interrupted by a command or a new epoch: drop this access */
		dirty_access(h, a, epoch);

		if (h->st.slice_done_ticks && !h->slice_done)
			announce_slice_done(h);
		if (++since_time_check == ACCESSES_PER_TIME_CHECK) {
			since_time_check = 0;
			stats_maybe_publish(h, rdtime());
			worker_poll_cmd(h);
		}
	}
	stats_publish(h);
	return cmd;
}

static void verify(struct hart *h)
{
	phase(h, RVMIG_PHASE_VERIFYING, 0);
	bool ok = verify_slice(h);
	stats_publish(h);
	if (ok)
		console_printf("rvmig-guest: hart %lu: verify OK: %lu stamped pages of %lu\n", (unsigned long)h->hartid,
			       (unsigned long)h->st.verify_pages, (unsigned long)h->data_pages);
	else
		console_printf("rvmig-guest: hart %lu: verify FAILED: %lu errors in %lu stamped pages, "
			       "first bad page %lu of the slice\n",
			       (unsigned long)h->hartid, (unsigned long)h->st.verify_errors,
			       (unsigned long)h->st.verify_pages, (unsigned long)h->st.verify_first_bad);
	rvmig_sbi_report(h->hartid);
	WRITE_ONCE(h->verifies_done, h->verifies_done + 1);
}

static uint64_t ms_to_ticks(uint64_t ms)
{
	return g.dt.timebase / 1000 * ms;
}

/* Boot hart: wait (bounded) for the other harts to stop, then reset; never returns. */
static __attribute__((noreturn)) void shutdown(struct hart *h)
{
	uint64_t deadline = rdtime() + ms_to_ticks(EXIT_WAIT_MS);
	bool failed = g.selftest && selftest_failed();

	for (uint32_t i = 0; i < g.nr_vcpus; i++) {
		while (i != h->hartid && !READ_ONCE(harts[i].exited) && rdtime() < deadline)
			cpu_relax();
		fence_r_r();
		if (i != h->hartid && !READ_ONCE(harts[i].exited)) {
			console_printf("rvmig-guest: hart %u did not stop within %u ms\n", i, EXIT_WAIT_MS);
			failed = true;
		}
		if (READ_ONCE(g.stats[i].verify_status) == RVMIG_VERIFY_FAILED)
			failed = true;
	}
	console_printf("rvmig-guest: shutdown (%s)\n", failed ? "failure" : "ok");
	long err = sbi_system_reset(SBI_SRST_TYPE_SHUTDOWN, failed ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE);
	guest_panic("SBI system reset returned %ld", err);
}

static __attribute__((noreturn)) void exit_hart(struct hart *h)
{
	stats_publish(h);
	fence_rw_rw();
	WRITE_ONCE(h->exited, 1);
	if (h->hartid == g.boot_hartid)
		shutdown(h);
	long err = sbi_hart_stop();
	guest_panic("SBI hart_stop returned %ld", err);
}

static void idle(void)
{
	uint64_t until = rdtime() + g.dt.timebase / 100000; /* ~10 us between polls */
	while (rdtime() < until)
		cpu_relax();
}

void hart_run(struct hart *h)
{
	uint32_t cmd = worker_poll_cmd(h), prev = RVMIG_CMD_NONE;
	bool warned_unknown = false;

	for (;;) {
		switch (cmd) {
		case RVMIG_CMD_RUN:
			prev = cmd;
			cmd = run(h);
			continue;
		case RVMIG_CMD_VERIFY:
			if (prev != RVMIG_CMD_VERIFY)
				verify(h);
			break;
		case RVMIG_CMD_EXIT:
			exit_hart(h);
		case RVMIG_CMD_NONE:
			break;
		default:
			if (!warned_unknown)
				console_printf("rvmig-guest: hart %lu: unknown command %u, idling\n",
					       (unsigned long)h->hartid, cmd);
			warned_unknown = true;
			break;
		}
		prev = cmd;
		idle();
		cmd = worker_poll_cmd(h);
	}
}
