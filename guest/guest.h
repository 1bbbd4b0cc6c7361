/* SPDX-License-Identifier: MIT */
/*
 * Guest-internal state shared between the guest's files: the boot-time configuration (written by
 * the boot hart before it starts the others, read-only afterwards) and the per-hart state.
 *
 * A hart's index is its hartid: slice i, stats[i] and stacks[i] belong to hartid i, so the guest
 * requires hartids 0..nr_vcpus-1 (KVM numbers vCPUs that way, so does QEMU virt).
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "fdt.h"
#include "rvmig_abi.h"

#define PAGE_SIZE            RVMIG_PAGE_SIZE
#define GENS_PER_TABLE_PAGE  (PAGE_SIZE / sizeof(uint64_t))
#define SELFTEST_SLICE_PAGES 65 /* 1 gen-table page + 64 data pages per hart */

/* The work area split: every slice is table_pages gen-table pages, then data_pages data pages. */
struct layout {
	uint64_t work_base; /* RAM base + RVMIG_WORK_OFFSET */
	uint64_t work_end;
	uint64_t slice_pages; /* table_pages + data_pages, whole pages */
	uint64_t table_pages;
	uint64_t data_pages;
};

struct guest_config {
	uint64_t ram_base; /* where the image was loaded, minus RVMIG_IMAGE_OFFSET */
	uint64_t boot_hartid;
	const void *fdt;
	struct fdt_info dt;
	uint32_t nr_vcpus;
	bool selftest; /* no VMM: the boot hart drives a built-in self-test */
	volatile struct rvmig_ctl *ctl;
	struct rvmig_vcpu_stats *stats; /* [RVMIG_MAX_VCPUS] at ram_base + RVMIG_STATS_OFFSET */
	struct layout layout;
};

extern struct guest_config g;

/* The page access a hart is about to make (picked before rate limiting waits for it). */
struct access {
	uint64_t page; /* index in the slice's data pages */
	bool write;
};

struct hart {
	uint64_t hartid;
	/* The hart's working copy of its stats; stats_publish() copies it out under the seqcount. */
	struct rvmig_vcpu_stats st;
	struct rvmig_vcpu_stats *shared;
	uint64_t *gens; /* gen table: one uint64_t per data page */
	uint8_t *data;  /* data page 0 of the slice */
	uint64_t data_pages;
	uint64_t first_page; /* work-area page index of data page 0 */

	/* Dirtying parameters, loaded from ctl when the hart enters RUN. */
	uint32_t pattern;
	uint32_t write_pct;
	uint64_t hot_pages;
	uint64_t write_interval; /* ticks between paced writes, 0 = unlimited */
	uint64_t next_write;     /* earliest time of the next paced write */
	uint64_t prng;
	bool prng_seeded;
	uint64_t seq_cursor;
	bool epoch_seen; /* the hart has adopted an epoch (set on the first RUN) */
	/* Per first-write class (stats.c): the bucket ranges [lo, hi) that may differ from the shared
	 * copy, and those used this epoch. An empty range has lo >= hi. */
	uint16_t pub_lo[RVMIG_FW_CLASSES], pub_hi[RVMIG_FW_CLASSES];
	uint16_t used_lo[RVMIG_FW_CLASSES], used_hi[RVMIG_FW_CLASSES];
	bool slice_done;
	uint64_t last_publish;

	/* Progress the boot hart reads (self-test driver, shutdown); written with WRITE_ONCE. */
	uint32_t run_entries;
	uint32_t verifies_done;
	uint64_t slice_done_epoch;
	uint32_t exited;
};

extern struct hart harts[RVMIG_MAX_VCPUS];

/* start.S */
extern char __image_start[], __image_end[];
void _secondary_start(void);

/* main.c */
__attribute__((noreturn)) void boot_main(uint64_t hartid, const void *fdt);
__attribute__((noreturn)) void secondary_main(uint64_t hartid);
bool layout_compute(struct layout *l, uint64_t work_base, uint64_t work_end, uint32_t nr_vcpus);

/* worker.c: the command loop every hart runs. */
__attribute__((noreturn)) void hart_run(struct hart *h);
/* Returns the command, also giving the self-test driver (boot hart, no VMM) its turn. */
uint32_t worker_poll_cmd(struct hart *h);

/* dirty.c */
void dirty_load_params(struct hart *h);
struct access dirty_pick(struct hart *h);
void dirty_access(struct hart *h, struct access a, uint64_t epoch);
bool dirty_write_due(struct hart *h, uint64_t now);

/* stats.c */
void stats_init(struct hart *h);
void stats_new_epoch(struct hart *h, uint64_t epoch, uint64_t now);
/* regions: what regions_first_write() said of the write. */
void stats_add_first_write(struct hart *h, unsigned regions, uint64_t ticks);
void stats_publish(struct hart *h);
void stats_maybe_publish(struct hart *h, uint64_t now);

/* regions.c: was this first write (at guest-physical gpa) the first of its 2M / 1G region this epoch? */
#define REGION_FIRST_IN_2M 1u
#define REGION_FIRST_IN_1G 2u
unsigned regions_first_write(uint64_t gpa, uint64_t epoch);
/* Whether the region tags reach RAM's end (the tag tables cover 256 GiB of 2M regions). */
bool regions_cover(uint64_t ram_end);

/* verify.c: checks every data page of the slice, fills st.verify_*; returns true if all good. */
bool verify_slice(struct hart *h);

/* selftest.c */
volatile struct rvmig_ctl *selftest_ctl_init(uint32_t nr_vcpus, uint64_t seed);
void selftest_poll(void);
bool selftest_failed(void);

/* trap.c */
__attribute__((noreturn, format(printf, 1, 2))) void guest_panic(const char *fmt, ...);

/* Current hartid, kept in tp by start.S (the guest has no TLS). */
static inline uint64_t this_hartid(void)
{
	uint64_t tp;
	__asm__("mv %0, tp" : "=r"(tp));
	return tp;
}

#endif /* GUEST_GUEST_H */
