// SPDX-License-Identifier: MIT
/*
 * Built-in self-test for when no VMM filled the control block (plain QEMU + OpenSBI). The boot hart
 * plays the VMM: it drives a control block of its own through the same commands the VMM uses,
 * from its worker polls, and checks what the harts report. So the self-test exercises the real
 * worker, dirtying and verify code, including a deliberately corrupted page that verify must catch.
 */
#include "arch.h"
#include "console.h"
#include "guest.h"

#define STEP_TIMEOUT_MS 20000
#define CORRUPT_PAGE    5 /* data page of slice 0 whose tail word the test flips */

enum wait_for { WAIT_SLICE_DONE, WAIT_VERIFIED, WAIT_RUNNING };
enum expect { EXPECT_NOTHING, EXPECT_ALL_OK, EXPECT_CORRUPTION };

struct step {
	const char *name;
	uint32_t cmd, pattern, write_pct;
	bool new_epoch;
	bool corrupt_first; /* flip a word of slice 0 before issuing the command */
	enum wait_for wait;
	enum expect expect;
};

static const struct step steps[] = {
	{ "sequential writes cover every slice", RVMIG_CMD_RUN, RVMIG_PATTERN_SEQUENTIAL, 100, true, false,
	  WAIT_SLICE_DONE, EXPECT_NOTHING },
	{ "random 70% writes cover every slice", RVMIG_CMD_RUN, RVMIG_PATTERN_RANDOM, 70, true, false, WAIT_SLICE_DONE,
	  EXPECT_NOTHING },
	{ "hot/cold 80% writes cover every slice", RVMIG_CMD_RUN, RVMIG_PATTERN_HOTCOLD, 80, true, false,
	  WAIT_SLICE_DONE, EXPECT_NOTHING },
	{ "verify passes", RVMIG_CMD_VERIFY, 0, 0, false, false, WAIT_VERIFIED, EXPECT_ALL_OK },
	{ "read-only run after a corruption", RVMIG_CMD_RUN, RVMIG_PATTERN_RANDOM, 0, false, true, WAIT_RUNNING,
	  EXPECT_NOTHING },
	{ "verify catches the corrupted page", RVMIG_CMD_VERIFY, 0, 0, false, false, WAIT_VERIFIED, EXPECT_CORRUPTION },
	{ "sequential rewrite covers every slice", RVMIG_CMD_RUN, RVMIG_PATTERN_SEQUENTIAL, 100, true, false,
	  WAIT_SLICE_DONE, EXPECT_NOTHING },
	{ "verify passes after the rewrite", RVMIG_CMD_VERIFY, 0, 0, false, false, WAIT_VERIFIED, EXPECT_ALL_OK },
};

static struct rvmig_ctl ctl;
static struct {
	unsigned step; /* index of the running step; ARRAY_SIZE(steps) once done */
	bool started;
	bool failed;
	bool busy; /* re-entry guard: the driver runs inside the boot hart's polls */
	uint64_t deadline;
	uint32_t target[RVMIG_MAX_VCPUS]; /* run_entries / verifies_done hart i must reach */
} st;

volatile struct rvmig_ctl *selftest_ctl_init(uint32_t nr_vcpus, uint64_t seed)
{
	ctl = (struct rvmig_ctl){
		.magic = RVMIG_CTL_MAGIC,
		.abi_version = RVMIG_ABI_VERSION,
		.nr_vcpus = nr_vcpus,
		.cmd = RVMIG_CMD_NONE,
		.hot_pct = 10,
		.seed = seed,
	};
	return &ctl;
}

bool selftest_failed(void)
{
	return st.failed;
}

static void corrupt_slice0(void)
{
	volatile uint64_t *tail =
		(volatile uint64_t *)(harts[0].data + CORRUPT_PAGE * PAGE_SIZE + PAGE_SIZE - sizeof(uint64_t));
	*tail ^= 1;
}

/*
 * Each hart's counter is read before the command is published: a hart that sees the command at
 * once may bump its counter before the boot hart gets another instruction in, and a target taken
 * afterwards would then be one too far to ever be reached.
 */
static void set_targets(const struct step *s)
{
	for (uint32_t i = 0; i < g.nr_vcpus; i++) {
		if (s->wait == WAIT_VERIFIED)
			st.target[i] = READ_ONCE(harts[i].verifies_done) + 1;
		else if (s->wait == WAIT_RUNNING)
			st.target[i] = READ_ONCE(harts[i].run_entries) + 1;
	}
}

static void issue(const struct step *s)
{
	if (s->corrupt_first)
		corrupt_slice0();
	set_targets(s);
	WRITE_ONCE(ctl.pattern, s->pattern);
	WRITE_ONCE(ctl.write_pct, s->write_pct);
	/* Harts already in RUN react to the epoch, not to cmd: the parameters go out before it. */
	fence_w_w();
	if (s->new_epoch)
		WRITE_ONCE(ctl.epoch, ctl.epoch + 1);
	/* The command goes last, as the VMM must do it: harts load the parameters when they see RUN. */
	fence_rw_rw();
	WRITE_ONCE(ctl.cmd, s->cmd);
	st.deadline = rdtime() + g.dt.timebase / 1000 * STEP_TIMEOUT_MS;
}

static bool hart_reached(const struct step *s, uint32_t i)
{
	const struct hart *h = &harts[i];

	switch (s->wait) {
	case WAIT_SLICE_DONE:
		return READ_ONCE(h->slice_done_epoch) == ctl.epoch;
	case WAIT_VERIFIED:
		return READ_ONCE(h->verifies_done) >= st.target[i];
	case WAIT_RUNNING:
		return READ_ONCE(h->run_entries) >= st.target[i];
	}
	return false;
}

static bool all_reached(const struct step *s)
{
	for (uint32_t i = 0; i < g.nr_vcpus; i++)
		if (!hart_reached(s, i))
			return false;
	fence_r_r(); /* their published stats are read after their progress flags */
	return true;
}

static bool verify_result_ok(const struct step *s, uint32_t i)
{
	const struct rvmig_vcpu_stats *v = &g.stats[i];
	bool corrupted = s->expect == EXPECT_CORRUPTION && i == 0;

	if (corrupted)
		return v->verify_status == RVMIG_VERIFY_FAILED && v->verify_errors == 1 &&
		       v->verify_first_bad == CORRUPT_PAGE;
	return v->verify_status == RVMIG_VERIFY_OK && v->verify_pages == harts[i].data_pages;
}

/* Checks that follow from the step's own numbers; prints what went wrong. */
static bool step_checks_pass(const struct step *s)
{
	bool ok = true;

	for (uint32_t i = 0; i < g.nr_vcpus; i++) {
		const struct rvmig_vcpu_stats *v = &g.stats[i];
		if (s->wait == WAIT_SLICE_DONE &&
		    (v->first_writes != harts[i].data_pages || v->slice_done_ticks == 0 || v->epoch != ctl.epoch)) {
			console_printf("rvmig-guest: selftest: hart %u: first_writes %lu of %lu, "
				       "slice_done_ticks %lu, epoch %lu\n",
				       i, (unsigned long)v->first_writes, (unsigned long)harts[i].data_pages,
				       (unsigned long)v->slice_done_ticks, (unsigned long)v->epoch);
			ok = false;
		}
		if (s->expect != EXPECT_NOTHING && !verify_result_ok(s, i)) {
			console_printf("rvmig-guest: selftest: hart %u: verify status %lu, pages %lu, "
				       "errors %lu, first bad %lu\n",
				       i, (unsigned long)v->verify_status, (unsigned long)v->verify_pages,
				       (unsigned long)v->verify_errors, (unsigned long)v->verify_first_bad);
			ok = false;
		}
	}
	return ok;
}

static void finish(void)
{
	console_printf("rvmig-guest: self-test %s\n", st.failed ? "FAILED" : "PASSED");
	st.step = ARRAY_SIZE(steps);
	fence_w_w();
	WRITE_ONCE(ctl.cmd, RVMIG_CMD_EXIT);
}

static void advance(void)
{
	const struct step *s = &steps[st.step];

	if (!all_reached(s)) {
		if (rdtime() < st.deadline)
			return;
		console_printf("rvmig-guest: selftest: not ok %u - %s (timed out)\n", st.step + 1, s->name);
		st.failed = true;
		finish();
		return;
	}
	bool ok = step_checks_pass(s);
	console_printf("rvmig-guest: selftest: %s %u - %s\n", ok ? "ok" : "not ok", st.step + 1, s->name);
	st.failed |= !ok;
	if (++st.step == ARRAY_SIZE(steps)) {
		finish();
		return;
	}
	issue(&steps[st.step]);
}

void selftest_poll(void)
{
	if (st.busy || st.step >= ARRAY_SIZE(steps))
		return;
	st.busy = true;
	if (!st.started) {
		st.started = true;
		issue(&steps[0]);
	} else {
		advance();
	}
	st.busy = false;
}
