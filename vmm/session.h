/* SPDX-License-Identifier: MIT */
/*
 * The session every command drives: one VM set up for the rvmig guest (or, for a migration
 * destination, ready to receive it), the monitor that watches its harts (progress, stall watchdog),
 * and the shared boot and end (VERIFY, REPORT, EXIT). The commands (cmd/) add what happens between.
 */
#ifndef RVMIG_SESSION_H
#define RVMIG_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/run_opts.h"
#include "core/linux_image.h"
#include "core/machine.h"
#include "core/privs.h"
#include "core/syscall_filter.h"
#include "lib/json.h"
#include "lib/stats.h"
#include "lib/util.h"
#include "rvmig_abi.h"

#define SESSION_HELLO_TIMEOUT_S 10 /* boot to HELLO of every hart                                  */
/*
 * A hart's stats not changing for this long = stuck. Generous because under TCG on a busy host a
 * vCPU thread can go without a time slice for several seconds (10 s was seen to fire spuriously).
 */
#define SESSION_STALL_S         30
#define SESSION_EXIT_TIMEOUT_S  10 /* cmd=EXIT to SRST                                             */
#define SESSION_STR_(x)         #x
#define SESSION_STR(x)          SESSION_STR_(x) /* a constant in a message literal */
#define RUN_FIRST_PASS_MAX_S    60              /* --dirty-log: longest wait for every hart's first slice pass  */

struct session_vcpu_result {
	struct rvmig_vcpu_stats stats; /* final snapshot, after the hart's REPORT                 */
	bool have_stats;
	uint64_t window_writes; /* writes in the measurement window                        */
	double writes_per_s;
	struct stats_latency lat; /* first-write latency of the last epoch                   */
};

struct session;
struct vcpu;
typedef bool (*session_pred)(struct session *r);

struct session {
	struct run_opts opts;
	/* Migration hooks (NULL for rvmig run): after KVM_CREATE_VM, after each KVM_CREATE_VCPU. */
	int (*hook_vm)(struct session *r);
	int (*hook_vcpu)(struct session *r, struct vcpu *v);
	void *hook_arg;
	struct machine m;
	size_t image_size;
	struct linux_layout linux_at; /* --kernel: where the Image, initrd and device tree went */
	int fdt_size;
	char isa[512];
	bool dbcn;
	char eager_split[8]; /* module parameter as read at start, "" if absent        */
	struct privs privs;
	struct syscall_filter filter; /* the seccomp filter installed after setup             */

	/* Dirty logging (--dirty-log). */
	bool dirty_enabled;
	double dirty_enable_ms; /* duration of the memslot update that switched it on     */
	int64_t dirty_pages;    /* set bits in KVM_GET_DIRTY_LOG at the end, -1 unknown   */

	/* Measurement window: RUN (or dirty-log enable) to VERIFY. */
	uint64_t window_start_ns, window_end_ns;
	uint64_t window_start_writes[RVMIG_MAX_VCPUS];

	/* Monitor. */
	uint64_t start_ns, next_tick_ns, last_tick_ns, stall_ns;
	uint64_t last_seq[RVMIG_MAX_VCPUS], last_change_ns[RVMIG_MAX_VCPUS], last_writes[RVMIG_MAX_VCPUS];
	int stuck_vcpu; /* -1, or the vCPU the watchdog gave up on                */
	bool progress;  /* print a line a second                                   */

	/* A Linux guest's workload (session_linux.c). */
	bool linux_workload;                     /* its initrd runs the rvmig workload       */
	uint64_t linux_start_ns, linux_ready_ns; /* vCPUs started; the workload's ready line  */
	unsigned wl_want;                        /* the verify report being waited for       */
	struct wl_event wl_result;               /* the last verify report                   */

	struct session_vcpu_result res[RVMIG_MAX_VCPUS];
	bool all_verified;
	int status; /* exit status                                             */
};

/*
 * What every command does first: the options, no hart blamed yet, dirty page count unknown, the
 * machine's lock and state, and its quiet flag from --quiet. Hooks, if any, are set after this.
 */
void session_init(struct session *r, const struct run_opts *o);
/*
 * Creates the VM, memory and vCPUs, drops privileges and installs the syscall filter (unless
 * --no-seccomp); exits on failure. boot = false sets up a
 * migration destination: no image, device tree or control block init, no boot registers.
 */
void session_setup(struct session *r, bool boot);
/*
 * A migration destination receiving the bare-metal guest: its control block and stats are where the
 * guest's RAM has them. Not for a Linux guest (stream header flag LINUX): it has neither.
 */
void session_attach_ctl(struct session *r);
/* /cpus and /memory of the device tree as KVM describes vCPU 0 (sets m.timebase_hz); exits on failure. */
struct fdt_desc;
void session_hart_desc(struct session *r, struct fdt_desc *d);
/*
 * A Linux guest (--kernel): Image and initrd loaded and placed, its device tree built, vCPU 0 at the
 * kernel's entry (session_linux.c). Exits on failure: status 2 when the user's files or --mem are the
 * reason.
 */
void session_setup_linux(struct session *r);
/*
 * Runs a Linux guest until it shuts down (SBI SRST) or the VMM fails, the terminal its keyboard.
 * The exit status, with the reason printed: 0 powered off or asked for a reboot (not done), 1 a
 * system failure or a VMM failure.
 */
int session_run_linux(struct session *r);
#define LINUX_READY_TIMEOUT_S 300 /* start to the workload's ready: boot + first pass, loaded TCG lab */
#define LINUX_EXIT_TIMEOUT_S  30  /* "exit" to SBI SRST (hvc polls its input every <= 2 s)           */
/* Starts a Linux guest's vCPUs and the monitor's clock. */
void session_start_linux(struct session *r);
/* Waits for the workload's ready line. 0, or -1 with the reason in m.fail_msg; who names the guest. */
int session_linux_await_ready(struct session *r, const char *who);
/* Types "verify", waits for the report (out). 0 when it verified, -1 (m.fail_msg) otherwise. */
int session_linux_verify(struct session *r, const char *who, struct wl_event *out);
/* Types "exit", waits for a clean SBI SRST shutdown after the workload's exit line. 0 or -1. */
int session_linux_poweroff(struct session *r, const char *who);
/* rvmig run --kernel --json: the boot, the workload's figures, the end. 0 or -1. */
int session_linux_json(struct session *r, const char *path, int status);

/* --dirty-log (session_dirty.c): KVM_MEM_LOG_DIRTY_PAGES on slot 0, timed into dirty_enable_ms; 0, or
 * -1 with the machine failed. */
int session_dirty_log_on(struct session *r);
/* One KVM_GET_DIRTY_LOG of slot 0: its set bits into dirty_pages (-1 when it failed). */
void session_count_dirty(struct session *r);
/* Writes the guest's command and gives every hart a fresh stall allowance (a new phase). */
void session_set_cmd(struct session *r, uint32_t cmd);
/* Gives hart i a fresh stall allowance: it was held still on purpose (parked, paused) until now. */
void session_stall_restart(struct session *r, unsigned i);
/* Starts the monitor's clock (progress ticks, stall watchdog) now: call before starting vCPUs. */
void session_monitor_start(struct session *r);
/* Stops the VM, joins the vCPU threads, dumps a stuck hart's registers. */
void session_stop_and_join(struct session *r);
/*
 * Waits until pred (called under the lock) holds, printing progress and watching for stalls. deadline_ns
 * 0 = none; at the deadline it fails with timeout_msg, or returns 0 when timeout_msg is NULL (a timed
 * sleep). -1 when the VM failed or shut down.
 */
int session_until(struct session *r, session_pred pred, uint64_t deadline_ns, const char *timeout_msg);
bool session_all_hello(struct session *r);
bool session_all_running(struct session *r);
bool session_all_slice_done(struct session *r);
bool session_all_reported(struct session *r);
bool session_shut_down(struct session *r);
uint64_t session_verify_budget_ns(const struct session *r);
/*
 * The boot every tool shares: starts the monitor's clock (session_monitor_start) and the vCPUs, then waits
 * for every hart's HELLO within SESSION_HELLO_TIMEOUT_S and its PHASE_RUNNING within SESSION_STALL_S of
 * that. stall_ns: the watchdog's limit from the start (0 = SESSION_STALL_S). 0, or -1 with the reason in
 * m.fail_msg (and the hart to blame in stuck_vcpu).
 */
int session_boot(struct session *r, uint64_t stall_ns);
/*
 * The end every tool shares: cmd VERIFY, every hart's REPORT within session_verify_budget_ns (a backstop;
 * the stall watchdog still ends a pass whose stats stop moving for SESSION_STALL_S), cmd EXIT, the guest's
 * SBI SRST within SESSION_EXIT_TIMEOUT_S. who names the guest in the timeout messages ("the guest",
 * "the source guest"). 0, or -1 with the reason in m.fail_msg.
 */
int session_verify_and_exit(struct session *r, const char *who);
/* Its first half: cmd VERIFY and every hart's REPORT; the guest then idles until the next command. */
int session_verify(struct session *r, const char *who);
/*
 * After session_verify, the guest goes back to dirtying (a guest that verified here and travels on,
 * recv --then-migrate-to): the harts' REPORT flags cleared (a later VERIFY waits for new ones), the
 * run's stall limit, a new epoch, cmd RUN.
 */
void session_rerun(struct session *r);
void session_blame(struct session *r, bool reported_only);
void session_collect(struct session *r);

/* Every rvmig result file starts alike: {"tool": TOOL, "version": ..., "params": {vcpus, mem_bytes,
 * backing, ... — the params object is left open for the command's own parameters. */
void session_json_begin(struct json *j, FILE *f, const char *tool, const struct run_opts *o);
/*
 * "privileges": {CapEff.., NoNewPrivs (as /proc/self/status says), cap_eff (a number), no_new_privs,
 * seccomp ("filter" | "off"), allowed_syscalls}: what every command's JSON says of its confinement.
 */
void session_json_privileges(struct json *j, const struct session *r);

#endif
