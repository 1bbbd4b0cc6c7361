/* SPDX-License-Identifier: MIT */
/*
 * rvmig bench: one measured case of the eager page split A/B. The guest writes its whole slice once
 * (KVM maps it with huge G-stage leaves where the backing allows), then the VMM enables dirty logging
 * in the chosen mode (timed), and for each pass waits until every vCPU has written its whole slice
 * again, harvests (GET, each CLEAR chunk, ring collect + reset: all timed) and starts the next epoch.
 * The guest times every page's first write of each epoch. A vCPU that has written its slice waits
 * outside KVM_RUN until the pass ends (as dirty_log_perf_test's vCPUs do; --no-park keeps it writing),
 * so enabling, CLEARs and harvests run with every vCPU parked. Then the slot is harvested clean a few times
 * (guest reading only) and guest RAM is copied once with memcpy, for scale. The module parameter
 * eager_page_split is whatever the caller set: lab/scenarios/bench.sh toggles it between cases.
 */
#ifndef RVMIG_BENCH_H
#define RVMIG_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/run_opts.h"
#include "core/kvm_stats.h"
#include "lib/bench_stats.h"
#include "lib/stats.h"
#include "mig/dirty.h"
#include "rvmig_abi.h"

#define BENCH_MAX_PASSES       16
#define BENCH_MAX_CLEAN        16
#define BENCH_KSTAT_POINTS     3 /* before enable, after pass 1, after the last pass          */
#define BENCH_COPY_BUF         (64ULL << 20)
#define BENCH_COPY_REPS        3
/* A dirty pass fails when no vCPU wrote a new page of it for this long (bench.c says why). */
#define BENCH_PASS_STALL_S     30
/* A pass slower than this much, plus ... */
#define BENCH_PASS_BASE_S      30
/* ... this much per page of a vCPU's slice goes on while it progresses, flagged "over_allowance". */
#define BENCH_PASS_MS_PER_PAGE 5

struct bench_opts {
	struct run_opts run; /* the `rvmig run` options (vcpus, mem, backing, ...)        */
	enum dirty_mode mode;
	unsigned passes;
	uint64_t clear_chunk; /* bytes; 0 = the whole slot                                 */
	uint32_t ring_size;   /* entries per vCPU                                          */
	unsigned clean_harvests;
	bool no_park;        /* keep vCPUs that finished their slice writing (in guest mode) */
	bool trace_marks;    /* phase names into tracefs' trace_marker (lab/ktrace.sh)         */
	bool cancel;         /* a cancelled migration after the passes (bench_cancel.c)        */
	bool enable_running; /* vCPUs running (writing) across each enable and first CLEAR */
	bool json_only;
	const char *json; /* NULL: none, "-": stdout                                   */
	const char *label;
};

/* One harvest (or the first CLEAR sweep of manual-init-set): deltas of dirty.c's counters. */
struct bench_harvest {
	double get_ms, clear_ms, ring_ms, total_ms;
	uint64_t gets, clears, ring_entries, ring_resets;
	uint64_t pages;   /* pages in the to-send bitmap after it                      */
	double *chunk_ms; /* one per CLEAR issued (raw samples), malloc'd              */
	size_t nchunk_ms;
	struct bstat chunk;
};

struct bench_pass {
	uint64_t epoch;
	double wall_ms;                   /* VMM: epoch bump -> every vCPU announced SLICE_DONE         */
	double slice_ms[RVMIG_MAX_VCPUS]; /* guest: epoch seen -> whole slice written once         */
	uint64_t first_writes[RVMIG_MAX_VCPUS], slice_pages[RVMIG_MAX_VCPUS];
	uint64_t slice_first_page[RVMIG_MAX_VCPUS]; /* work-area page index of the slice's first data page */
	double slice_ms_max;
	uint64_t first_writes_total, slice_pages_total;
	double pages_per_s;                     /* first writes of all vCPUs / slowest vCPU's slice time       */
	struct rvmig_hist fw[RVMIG_FW_CLASSES]; /* the first-write histograms, merged over vCPUs   */
	struct stats_latency lat;               /* every first write (fw[OTHER] + fw[FIRST_IN_2M]) */
	/* Ring: harvests the vCPUs forced during the pass (ring full). */
	uint64_t ring_full_harvests;
	double ring_during_ms;
	bool over_allowance;    /* took longer than BENCH_PASS_BASE_S + BENCH_PASS_MS_PER_PAGE a page */
	struct bench_harvest h; /* the harvest closing the pass                               */
};

struct bench_kstat_set {
	struct kstats vm, vcpu[RVMIG_MAX_VCPUS];
	bool have_vm, have_vcpu;
	uint64_t *vm_vals[BENCH_KSTAT_POINTS], *vcpu_vals[BENCH_KSTAT_POINTS]; /* vCPU: summed */
	bool taken[BENCH_KSTAT_POINTS];
};

/* Logging switched on: the enable, and for manual-init-set the first CLEAR over the slot. */
struct bench_enable {
	double enable_ms;
	bool have_first_clear;
	struct bench_harvest first_clear;
};

/* --cancel: logging off after the passes, one pass with it off, logging on again (bench_cancel.c). */
struct bench_cancel {
	bool done;
	double disable_ms;
	double off_pass_ms; /* the guest writing its whole slice with logging off          */
	struct bench_enable again;
};

struct session;

/* The state of one case, shared by bench.c (the sequence), bench_probes.c and bench_report.c. */
struct bench {
	struct bench_opts o;
	struct session *r;
	struct dirty d;
	bool dirty_ready;
	uint64_t target_epoch;        /* what the wait predicates look for                          */
	bool parked[RVMIG_MAX_VCPUS]; /* finished its slice this pass, waiting outside KVM_RUN      */
	uint64_t epoch;               /* last epoch the VMM set                                     */
	struct bench_enable on;       /* the first enable (+ manual-init-set's first CLEAR sweep)   */
	struct bench_cancel cancel;
	int trace_fd; /* tracefs trace_marker under --trace-marks, else -1            */
	struct bench_pass passes[BENCH_MAX_PASSES];
	unsigned npasses;
	struct bench_harvest clean[BENCH_MAX_CLEAN];
	unsigned nclean;
	double copy_ms[BENCH_COPY_REPS];
	unsigned ncopy;
	double calib_gib_s;  /* memcpy of up to 64 MiB just before logging starts           */
	double crc_gib_s;    /* zlib crc32 (stream version 1) over the same bytes, right after */
	double xxh64_gib_s;  /* XXH64 (stream records since v2, RAM hashes) over them, right after */
	double xxh3_gib_s;   /* XXH3-64 over them, right after: the alternative not taken     */
	double stream_gib_s; /* the stop-and-copy stream over a socketpair, right after (0: failed) */
	bool stream_hugetlb; /* its buffers were hugetlb 2M pages (else anonymous 4K)         */
	/* The stream probe's scale, same call, same two buffers (stream_probe.h): memcpy src -> dst, XXH64
	 * over src, the bare socketpair (the socket's ceiling), the bare shm ring (the ring's ceiling); 0
	 * when the probe failed. */
	double probe_memcpy_gib_s, probe_xxh64_gib_s, probe_socket_gib_s;
	double probe_ring_gib_s;       /* the bare shm ring, no records: the ring's ceiling (0: failed) */
	double stream_pipe_gib_s;      /* the same stream with its sender and checker threads (0: failed) */
	double probe_shm_stream_gib_s; /* the same stream through the shm ring (migrate --link shm) */
	struct bench_kstat_set ks;
	uint64_t start_ns;
	char kernel[256];
	char fail[512]; /* room for every vCPU's progress when a pass stalls */
};

static inline double bench_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* The [bench] progress lines: off under --quiet (as for rvmig run) and --json-only. */
static inline bool bench_say(const struct bench *b)
{
	return !b->o.json_only && !b->o.run.quiet;
}

static inline double gib_per_s(uint64_t bytes, double seconds)
{
	return (double)bytes / (double)(1ULL << 30) / seconds;
}

int bench_main(int argc, char **argv);

/* bench_probes.c: KVM's binary stats at BENCH_KSTAT_POINTS points, and the host's copy bandwidth. */
void bench_kstats_open(struct bench *b);
/* Snapshot point p: VM values, and vCPU values summed over the vCPUs. */
void bench_kstats_take(struct bench *b, unsigned p);
void bench_kstats_close(struct bench *b);
void bench_copy(struct bench *b);
void bench_calibrate(struct bench *b);

/* bench_collect.c: the guest's stats of the finished pass, merged; the pass's progress (first writes
 * of the target epoch, summed over the vCPUs; last[] keeps each vCPU's last consistent count); after a
 * pass stalled, how far each vCPU got (into b->fail). */
void bench_pass_collect(struct bench *b, struct bench_pass *p);
uint64_t bench_pass_progress(struct bench *b, uint64_t last[RVMIG_MAX_VCPUS]);
void bench_blame_pass(struct bench *b, uint64_t still_s);

/* bench.c's steps, shared with bench_cancel.c. */
void bench_set_epoch(struct bench *b, uint64_t epoch);
void bench_resume(struct bench *b);
int bench_wait_pass(struct bench *b, struct bench_pass *p);
/* Parks every vCPU (waits until each is outside KVM_RUN) unless --no-park: KVM's dirty-log ioctls
 * then run with no vCPU able to reach a huge leaf before the eager split does. --enable-running does
 * the opposite for the enable and first CLEAR (bench_start_logging): every vCPU writing across them. */
int bench_hold_still(struct bench *b, const char *before);
int bench_start_logging(struct bench *b, struct bench_enable *on, const char *what);

/* bench_cancel.c: logging off, a pass, logging on again; what the second enable finds to split. */
int bench_cancelled_migration(struct bench *b);

/* bench_trace.c: phase names into /sys/kernel/tracing/trace_marker (--trace-marks), so that the
 * kprobe events of lab/ktrace.sh fall into the phase that caused them. */
void bench_trace_open(struct bench *b);
void bench_mark(struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bench_trace_close(struct bench *b);

/* bench_report.c: the summary on stdout and the JSON file. */
void bench_summary(const struct bench *b);
int bench_json(const struct bench *b, const char *path);

/* Pure parsing (bench_opts.c), host-tested. argv[0] = "bench". */
void bench_defaults(struct bench_opts *o);
enum cli_result bench_parse(int argc, char **argv, struct bench_opts *o, char *err, size_t errlen);
void bench_help(FILE *f);

#endif
