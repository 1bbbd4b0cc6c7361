/* SPDX-License-Identifier: MIT */
/* `rvmig run`: boot the guest, let it dirty memory (optionally under dirty logging), verify, report. */
#ifndef RVMIG_RUN_H
#define RVMIG_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/run_opts.h"
#include "lib/json.h"
#include "core/machine.h"
#include "core/privs.h"
#include "rvmig_abi.h"
#include "lib/stats.h"
#include "lib/util.h"

#define RUN_HELLO_TIMEOUT_S 10 /* boot to HELLO of every hart                                  */
/*
 * A hart's stats not changing for this long = stuck. Generous because under TCG on a busy host a
 * vCPU thread can go without a time slice for several seconds (10 s was seen to fire spuriously).
 */
#define RUN_STALL_S         30
#define RUN_EXIT_TIMEOUT_S  10 /* cmd=EXIT to SRST                                             */
#define RUN_STR_(x) #x
#define RUN_STR(x) RUN_STR_(x) /* a constant in a message literal */
#define RUN_FIRST_PASS_MAX_S 60 /* --dirty-log: longest wait for every hart's first slice pass  */

struct run_vcpu_result {
	struct rvmig_vcpu_stats stats;  /* final snapshot, after the hart's REPORT                 */
	bool have_stats;
	uint64_t window_writes;         /* writes in the measurement window                        */
	double writes_per_s;
	struct stats_latency lat;       /* first-write latency of the last epoch                   */
};

struct run;
struct vcpu;
typedef bool (*run_pred)(struct run *r);

struct run {
	struct run_opts opts;
	/* Migration hooks (NULL for rvmig run): after KVM_CREATE_VM, after each KVM_CREATE_VCPU. */
	int (*hook_vm)(struct run *r);
	int (*hook_vcpu)(struct run *r, struct vcpu *v);
	void *hook_arg;
	struct machine m;
	size_t image_size;
	int fdt_size;
	char isa[512];
	bool dbcn;
	char eager_split[8];            /* module parameter as read at start, "" if absent        */
	struct privs privs;

	/* Dirty logging (--dirty-log). */
	bool dirty_enabled;
	double dirty_enable_ms;         /* duration of the memslot update that switched it on     */
	int64_t dirty_pages;            /* set bits in KVM_GET_DIRTY_LOG at the end, -1 unknown   */

	/* Measurement window: RUN (or dirty-log enable) to VERIFY. */
	uint64_t window_start_ns, window_end_ns;
	uint64_t window_start_writes[RVMIG_MAX_VCPUS];

	/* Monitor. */
	uint64_t start_ns, next_tick_ns, last_tick_ns, stall_ns;
	uint64_t last_seq[RVMIG_MAX_VCPUS], last_change_ns[RVMIG_MAX_VCPUS], last_writes[RVMIG_MAX_VCPUS];
	int stuck_vcpu;                 /* -1, or the vCPU the watchdog gave up on                */
	bool progress;                  /* print a line a second                                   */

	struct run_vcpu_result res[RVMIG_MAX_VCPUS];
	bool all_verified;
	int status;                     /* exit status                                             */
};

/* `rvmig run ARGS`; argv[0] = "run". Returns the exit status. */
int run_main(int argc, char **argv);

/*
 * The pieces rvmig migrate and recv share with run. run_setup exits on failure; boot = false sets up
 * a migration destination: no image, device tree or control block init, no boot registers.
 */
void run_setup(struct run *r, bool boot);
void run_set_cmd(struct run *r, uint32_t cmd);
/* Starts the monitor's clock (progress ticks, stall watchdog) now: call before starting vCPUs. */
void run_monitor_start(struct run *r);
/* Stops the VM, joins the vCPU threads, dumps a stuck hart's registers. */
void run_stop_and_join(struct run *r);
/*
 * Waits until pred (called under the lock) holds, printing progress and watching for stalls. deadline_ns
 * 0 = none; at the deadline it fails with timeout_msg, or returns 0 when timeout_msg is NULL (a timed
 * sleep). -1 when the VM failed or shut down.
 */
int run_until(struct run *r, run_pred pred, uint64_t deadline_ns, const char *timeout_msg);
bool run_all_hello(struct run *r);
bool run_all_running(struct run *r);
bool run_all_slice_done(struct run *r);
bool run_all_reported(struct run *r);
bool run_shut_down(struct run *r);
uint64_t run_verify_budget_ns(const struct run *r);
/*
 * The boot every tool shares: starts the monitor's clock (run_monitor_start) and the vCPUs, then waits
 * for every hart's HELLO within RUN_HELLO_TIMEOUT_S and its PHASE_RUNNING within RUN_STALL_S of
 * that. stall_ns: the watchdog's limit from the start (0 = RUN_STALL_S). 0, or -1 with the reason in
 * m.fail_msg (and the hart to blame in stuck_vcpu).
 */
int run_boot(struct run *r, uint64_t stall_ns);
/*
 * The end every tool shares: cmd VERIFY, every hart's REPORT within run_verify_budget_ns (also the
 * watchdog's limit from now on), cmd EXIT, the guest's SBI SRST within RUN_EXIT_TIMEOUT_S. who names
 * the guest in the timeout messages ("the guest", "the source guest"). 0, or -1 with the reason in
 * m.fail_msg.
 */
int run_verify_and_exit(struct run *r, const char *who);
void run_blame(struct run *r, bool reported_only);
void run_collect(struct run *r);

/* report.c: the human summary on stdout and the JSON file. */
void report_print(const struct run *r);
int report_json(const struct run *r, const char *path);
/* Every rvmig result file starts alike: {"tool": TOOL, "version": ..., "params": {vcpus, mem_bytes,
 * backing, ... — the params object is left open for the command's own parameters. */
void report_json_begin(struct json *j, FILE *f, const char *tool, const struct run_opts *o);

#endif
