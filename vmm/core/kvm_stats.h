/* SPDX-License-Identifier: MIT */
/*
 * KVM's binary statistics (KVM_GET_STATS_FD on a VM or vCPU fd): the descriptor table read once,
 * then snapshots of every scalar counter (histogram stats are skipped), so a benchmark can report
 * what KVM itself counted between two points (exits, TLB flushes, halts...).
 */
#ifndef RVMIG_KVM_STATS_H
#define RVMIG_KVM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KSTATS_NAME_MAX 64

struct kstats_desc {
	char name[KSTATS_NAME_MAX];
	uint32_t type;   /* KVM_STATS_TYPE_* (cumulative, instant, peak)                         */
	uint32_t offset; /* byte offset of the value from the header's data_offset              */
};

struct kstats {
	int fd; /* -1 when this KVM offers no binary stats                             */
	uint32_t data_offset;
	size_t n;
	struct kstats_desc *desc;
	char id[KSTATS_NAME_MAX];
};

/* Opens the stats fd of obj_fd (a VM or vCPU fd) and reads its descriptors. 0, or -errno with a
 * warning printed (-ENOTTY: no KVM_GET_STATS_FD in this kernel). what names obj_fd in messages. */
int kstats_open(struct kstats *k, int obj_fd, const char *what);
void kstats_close(struct kstats *k);
/* Reads every value into vals[0..k->n). 0 or -errno. */
int kstats_read(const struct kstats *k, uint64_t *vals);
const char *kstats_type_name(uint32_t type);

#endif
