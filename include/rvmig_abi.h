/* SPDX-License-Identifier: MIT */
/*
 * The contract between the rvmig VMM (vmm/) and its bare-metal guest (guest/).
 *
 * Both sides are built separately (the VMM for Linux/riscv64 and the host's unit tests, the guest
 * freestanding), so everything they share lives here with a fixed layout: guest RAM layout, the
 * control block the VMM writes and the guest polls, the per-vCPU statistics the guest writes and the
 * VMM reads, the page stamp, and the rvmig SBI extension the guest calls for guest -> VMM messages.
 */
#ifndef RVMIG_ABI_H
#define RVMIG_ABI_H

#include <stdint.h>

#include "rvmig_stamp.h"

/*
 * 2: log-linear latency histograms (struct rvmig_hist), first writes classed by 2M / 1G region, the
 *    image header (struct rvmig_image_header). A VMM refuses a guest of another version, and the
 *    guest a control block of another version.
 */
#define RVMIG_ABI_VERSION 2

/*
 * Guest-physical layout. RAM starts at a 1 GiB-aligned base so a hugetlb-1G backing can map it with
 * 1G G-stage leaves. The first 2 MiB hold the guest image, the device tree, the control block and the
 * per-vCPU stats; the rest is the work area the vCPUs dirty, split into equal per-vCPU slices of whole
 * 4K pages (slice i = vCPU i).
 */
#define RVMIG_RAM_BASE     0x80000000ULL
#define RVMIG_IMAGE_OFFSET 0x0ULL      /* guest entry = RAM base                       */
#define RVMIG_IMAGE_MAX    0x100000ULL /* 1 MiB for text, data, bss and stacks          */
#define RVMIG_FDT_OFFSET   0x100000ULL /* device tree, a1 at entry                      */
#define RVMIG_FDT_MAX      0x10000ULL
#define RVMIG_CTL_OFFSET   0x110000ULL /* struct rvmig_ctl                              */
#define RVMIG_STATS_OFFSET 0x111000ULL /* struct rvmig_vcpu_stats[RVMIG_MAX_VCPUS]      */
#define RVMIG_TAG1G_OFFSET 0x17f000ULL /* guest-private: uint32_t tag per 1G region      */
#define RVMIG_TAG2M_OFFSET 0x180000ULL /* guest-private: uint32_t tag per 2M region      */
#define RVMIG_WORK_OFFSET  0x200000ULL /* work area: from here to the end of RAM        */
#define RVMIG_PAGE_SIZE    4096ULL
#define RVMIG_MAX_VCPUS    16
/*
 * The region tags: the guest puts (uint32_t)epoch + 1 into a region's tag with an atomic swap when it
 * first writes a data page there in that epoch, so it knows which first write was the region's first
 * (struct rvmig_vcpu_stats.fw). Regions are counted from RAM base's region: tag i = the i-th 2M
 * (1G) region of guest-physical space at or after it. 512K of 2M tags cover 256 GiB, the most the
 * VMM maps; 4K of 1G tags cover 1 TiB.
 */
#define RVMIG_TAG2M_COUNT  ((RVMIG_WORK_OFFSET - RVMIG_TAG2M_OFFSET) / 4)
#define RVMIG_TAG1G_COUNT  ((RVMIG_TAG2M_OFFSET - RVMIG_TAG1G_OFFSET) / 4)

/*
 * The guest image starts with this header (start.S): a jump over it, then the magic and the ABI
 * version, so that the VMM can refuse a guest of another ABI before it runs a single instruction.
 * Images older than ABI 2 have no header.
 */
#define RVMIG_IMAGE_MAGIC 0x474d4947494d5652ULL /* "RVMIGIMG" in memory (little-endian) */
struct rvmig_image_header {
	uint32_t jump;        /* `j` over the header (an instruction, not data)            */
	uint32_t reserved;    /* 0                                                         */
	uint64_t magic;       /* RVMIG_IMAGE_MAGIC                                         */
	uint32_t abi_version; /* RVMIG_ABI_VERSION of the guest                            */
	uint32_t header_size; /* sizeof(struct rvmig_image_header)                         */
	uint64_t reserved2;   /* 0; keeps _start 16-byte aligned after the header           */
};

/* Dirtying patterns (rvmig_ctl.pattern). */
enum rvmig_pattern {
	RVMIG_PATTERN_SEQUENTIAL = 0, /* page after page through the slice, wrapping          */
	RVMIG_PATTERN_RANDOM = 1,     /* uniform random page of the slice                      */
	RVMIG_PATTERN_HOTCOLD = 2,    /* hot_pct % of the pages take 90 % of the accesses       */
};

/* Commands the VMM puts in rvmig_ctl.cmd; the guest polls it between accesses. */
enum rvmig_cmd {
	RVMIG_CMD_NONE = 0,   /* VMM not there (plain QEMU/OpenSBI): guest runs a short self-test   */
	RVMIG_CMD_RUN = 1,    /* dirty memory as the parameters say                                 */
	RVMIG_CMD_VERIFY = 2, /* stop dirtying, verify every stamp of the slice, report, then idle  */
	RVMIG_CMD_EXIT = 3,   /* boot hart shuts the VM down (SBI SRST) once all harts reported     */
};

#define RVMIG_CTL_MAGIC 0x52564d4947435430ULL /* "RVMIGCT0" */

/*
 * Control block, written by the VMM (through its mapping of guest RAM), read by the guest with
 * volatile loads. The VMM fills the parameters before the boot vCPU first runs.
 */
struct rvmig_ctl {
	uint64_t magic;       /* RVMIG_CTL_MAGIC once the VMM has filled the block                */
	uint32_t abi_version; /* RVMIG_ABI_VERSION                                                */
	uint32_t nr_vcpus;    /* harts the guest starts (also in the device tree)                 */
	uint32_t cmd;         /* enum rvmig_cmd                                                   */
	uint32_t pattern;     /* enum rvmig_pattern                                               */
	uint32_t write_pct;   /* 0..100: share of accesses that are writes (rest are reads)       */
	uint32_t hot_pct;     /* hot/cold: share of pages that are hot (default 10)               */
	uint64_t rate_limit;  /* pages per second per vCPU, 0 = unlimited                         */
	uint64_t seed;        /* PRNG seed (per vCPU: seed ^ hartid)                              */
	/*
	 * Dirty-log epoch. The VMM increments it right after it starts dirty logging (or a new precopy
	 * round). A write to a page whose stamp carries an older epoch is that page's first write of the
	 * epoch: the guest times it and puts it into the first-write histogram.
	 */
	uint64_t epoch;
	uint64_t reserved[8];
};

/*
 * Log-linear latency histogram (HdrHistogram's bucketing, 32 sub-buckets per power of two). Values
 * below 64 ticks have a bucket each (exact). From 64 on, [2^e, 2^(e+1)) is cut into 32 buckets of
 * width 2^(e-5), so a bucket is at most 1/32 of its lower edge wide: reading a bucket as its midpoint
 * is off by at most 1/64 (1.6 %) of the value. 1024 buckets reach 2^36 ticks (6872 s at the 10 MHz
 * timebase of QEMU virt); anything longer lands in the last bucket (max_ticks stays exact).
 *
 *   bucket(v) = v                                  for v < 64
 *             = 32 * (e - 5) + (v >> (e - 5))      for v >= 64, e = floor(log2(v))
 *
 * The second line gives 64..95 for e = 6 (the shift keeps 6 bits: 32..63), 96..127 for e = 7, and so
 * on: each power of two adds 32. Both sides use rvmig_hist_bucket() below (the guest is freestanding:
 * no __builtin_clzll, which would call libgcc without Zbb).
 */
#define RVMIG_HIST_SUB_BITS 5
#define RVMIG_HIST_SUB      (1u << RVMIG_HIST_SUB_BITS) /* 32 sub-buckets per power of two */
#define RVMIG_HIST_BUCKETS  1024

struct rvmig_hist {
	uint64_t count;     /* samples (= sum of bucket[])                                  */
	uint64_t sum_ticks; /* sum of the samples                                           */
	uint64_t max_ticks; /* largest sample                                               */
	uint64_t bucket[RVMIG_HIST_BUCKETS];
};

/* floor(log2(v)) for v > 0, by halving steps (freestanding: no clz builtin). */
static inline unsigned rvmig_log2(uint64_t v)
{
	unsigned e = 0;

	for (unsigned step = 32; step; step >>= 1)
		if (v >> step) {
			v >>= step;
			e += step;
		}
	return e;
}

static inline unsigned rvmig_hist_bucket(uint64_t ticks)
{
	unsigned e, i;

	if (ticks < 2 * RVMIG_HIST_SUB)
		return (unsigned)ticks;
	e = rvmig_log2(ticks);
	i = RVMIG_HIST_SUB * (e - RVMIG_HIST_SUB_BITS) + (unsigned)(ticks >> (e - RVMIG_HIST_SUB_BITS));
	return i < RVMIG_HIST_BUCKETS ? i : RVMIG_HIST_BUCKETS - 1;
}

/* The smallest value of bucket i, and its width (values lo .. lo + width - 1 land in it). */
static inline uint64_t rvmig_hist_bucket_lo(unsigned i)
{
	unsigned shift;

	if (i < 2 * RVMIG_HIST_SUB)
		return i;
	shift = i / RVMIG_HIST_SUB - 1;
	return (uint64_t)(i % RVMIG_HIST_SUB + RVMIG_HIST_SUB) << shift;
}

static inline uint64_t rvmig_hist_bucket_width(unsigned i)
{
	return i < 2 * RVMIG_HIST_SUB ? 1 : 1ULL << (i / RVMIG_HIST_SUB - 1);
}

/*
 * First writes of an epoch, by where they land (rvmig_vcpu_stats.fw[]). A first write is the first of
 * its 2M region when the guest is the one that changed the region's tag this epoch (the same for 1G).
 * Without eager page splitting, that is the write whose fault splits a huge G-stage mapping. The
 * classes overlap on purpose: every first write is in OTHER or FIRST_IN_2M (their sum is all first
 * writes), and FIRST_IN_1G is the part of FIRST_IN_2M that was also the first of its 1G region.
 */
enum rvmig_fw_class {
	RVMIG_FW_OTHER = 0,       /* not the first write of its 2M region                  */
	RVMIG_FW_FIRST_IN_2M = 1, /* the first write of its 2M region (1G firsts included) */
	RVMIG_FW_FIRST_IN_1G = 2, /* the first write of its 1G region                      */
	RVMIG_FW_CLASSES = 3,
};

/* Verification result (rvmig_vcpu_stats.verify_status). */
enum rvmig_verify {
	RVMIG_VERIFY_NOT_RUN = 0,
	RVMIG_VERIFY_OK = 1,
	RVMIG_VERIFY_FAILED = 2,
};

/* While verifying, a hart publishes its stats (verify_pages so far) after every this many pages. */
#define RVMIG_VERIFY_PUBLISH_PAGES 256u

/*
 * Per-vCPU statistics, written only by that vCPU's hart. `seq` is odd while the hart updates the
 * struct and even when it is consistent (a seqcount), so the VMM can read a snapshot while the guest
 * runs. Times are in `time` CSR ticks; the VMM converts with the timebase frequency.
 */
struct rvmig_vcpu_stats {
	uint64_t seq;
	uint64_t hartid;
	uint64_t slice_first_page;  /* page index (from the work area start) of the slice's first data page */
	uint64_t slice_pages;       /* data pages in the slice                                        */
	uint64_t slice_table_pages; /* gen-table pages just before the data pages                     */
	uint64_t accesses;          /* reads + writes since boot                                     */
	uint64_t writes;            /* page writes since boot                                        */
	uint64_t epoch;             /* epoch the counters below belong to                            */
	uint64_t epoch_start;       /* time when the hart saw the epoch                              */
	uint64_t epoch_writes;      /* writes in this epoch                                          */
	uint64_t first_writes;      /* first writes to a page in this epoch (= fw[OTHER] + fw[FIRST_IN_2M]) */
	uint64_t slice_done_ticks;  /* epoch start -> every page of the slice written once; 0 = not yet */
	uint64_t verify_status;     /* enum rvmig_verify                                             */
	uint64_t verify_pages;      /* stamped pages checked                                         */
	uint64_t verify_errors;
	uint64_t verify_first_bad; /* page index (in the slice) of the first bad page               */
	uint64_t reserved[8];
	/* First-write latencies of this epoch, by enum rvmig_fw_class. */
	struct rvmig_hist fw[RVMIG_FW_CLASSES];
};

_Static_assert(RVMIG_STATS_OFFSET + RVMIG_MAX_VCPUS * sizeof(struct rvmig_vcpu_stats) <= RVMIG_TAG1G_OFFSET,
	       "the per-vCPU stats end before the region tags");
_Static_assert(sizeof(struct rvmig_image_header) == 32, "image header: jump, magic, version, size, reserved");

/* The page stamp (struct rvmig_stamp, rvmig_stamp_check) is in rvmig_stamp.h, shared with the Linux
 * guest's workload (guest/linux/). */

/*
 * rvmig SBI extension (experimental range 0x08000000-0x08FFFFFF; KVM forwards it to userspace as
 * KVM_EXIT_RISCV_SBI). a7 = extension, a6 = function, a0.. = arguments; the VMM returns
 * a0 = SBI error (0 = success) and a1 = value.
 */
#define RVMIG_SBI_EXT 0x0852564dUL /* 0x08000000 | "RVM" */

enum rvmig_sbi_fn {
	RVMIG_SBI_HELLO = 0,  /* a0 = hartid, a1 = RVMIG_ABI_VERSION: the hart is up            */
	RVMIG_SBI_PHASE = 1,  /* a0 = hartid, a1 = enum rvmig_phase, a2 = argument               */
	RVMIG_SBI_REPORT = 2, /* a0 = hartid: this hart's stats are final (after a verify)       */
	RVMIG_SBI_PANIC = 3,  /* a0 = hartid, a1 = guest address of a NUL-terminated message     */
};

enum rvmig_phase {
	RVMIG_PHASE_RUNNING = 1,    /* started dirtying                                     */
	RVMIG_PHASE_EPOCH = 2,      /* a2 = new epoch seen                                  */
	RVMIG_PHASE_SLICE_DONE = 3, /* a2 = epoch whose first pass over the slice finished  */
	RVMIG_PHASE_VERIFYING = 4,
};

#endif /* RVMIG_ABI_H */
