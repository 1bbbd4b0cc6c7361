/* SPDX-License-Identifier: MIT */
/*
 * Prints what guest/gdb-vmm.py copies from include/rvmig_abi.h, one "NAME VALUE" line each, for
 * tests/gdb_abi.sh: constants, sizes, and every field's offset and size as "ctl.FIELD OFFSET SIZE".
 */
#include <stddef.h>
#include <stdio.h>

#include "rvmig_abi.h"

#define CONST(name)      printf("%s %llu\n", #name, (unsigned long long)(name))
#define FIELD(tag, s, f) printf(tag ".%s %zu %zu\n", #f, offsetof(struct s, f), sizeof(((struct s *)0)->f))

int main(void)
{
	CONST(RVMIG_ABI_VERSION);
	CONST(RVMIG_CTL_OFFSET);
	CONST(RVMIG_STATS_OFFSET);
	CONST(RVMIG_WORK_OFFSET);
	CONST(RVMIG_PAGE_SIZE);
	CONST(RVMIG_CTL_MAGIC);
	CONST(RVMIG_CMD_RUN);
	CONST(RVMIG_CMD_VERIFY);
	CONST(RVMIG_CMD_EXIT);
	CONST(RVMIG_PATTERN_SEQUENTIAL);
	CONST(RVMIG_PATTERN_RANDOM);
	CONST(RVMIG_PATTERN_HOTCOLD);
	CONST(RVMIG_VERIFY_OK);
	CONST(RVMIG_HIST_BUCKETS);
	CONST(RVMIG_FW_CLASSES);
	CONST(RVMIG_FW_OTHER);
	CONST(RVMIG_FW_FIRST_IN_2M);
	CONST(RVMIG_FW_FIRST_IN_1G);
	printf("sizeof.rvmig_vcpu_stats %zu\n", sizeof(struct rvmig_vcpu_stats));
	printf("sizeof.rvmig_hist %zu\n", sizeof(struct rvmig_hist));

	FIELD("ctl", rvmig_ctl, magic);
	FIELD("ctl", rvmig_ctl, abi_version);
	FIELD("ctl", rvmig_ctl, nr_vcpus);
	FIELD("ctl", rvmig_ctl, cmd);
	FIELD("ctl", rvmig_ctl, pattern);
	FIELD("ctl", rvmig_ctl, write_pct);
	FIELD("ctl", rvmig_ctl, hot_pct);
	FIELD("ctl", rvmig_ctl, rate_limit);
	FIELD("ctl", rvmig_ctl, seed);
	FIELD("ctl", rvmig_ctl, epoch);

	FIELD("stats", rvmig_vcpu_stats, seq);
	FIELD("stats", rvmig_vcpu_stats, hartid);
	FIELD("stats", rvmig_vcpu_stats, slice_first_page);
	FIELD("stats", rvmig_vcpu_stats, slice_pages);
	FIELD("stats", rvmig_vcpu_stats, slice_table_pages);
	FIELD("stats", rvmig_vcpu_stats, accesses);
	FIELD("stats", rvmig_vcpu_stats, writes);
	FIELD("stats", rvmig_vcpu_stats, epoch);
	FIELD("stats", rvmig_vcpu_stats, epoch_start);
	FIELD("stats", rvmig_vcpu_stats, epoch_writes);
	FIELD("stats", rvmig_vcpu_stats, first_writes);
	FIELD("stats", rvmig_vcpu_stats, slice_done_ticks);
	FIELD("stats", rvmig_vcpu_stats, verify_status);
	FIELD("stats", rvmig_vcpu_stats, verify_pages);
	FIELD("stats", rvmig_vcpu_stats, verify_errors);
	FIELD("stats", rvmig_vcpu_stats, verify_first_bad);
	FIELD("stats", rvmig_vcpu_stats, fw);

	FIELD("hist", rvmig_hist, count);
	FIELD("hist", rvmig_hist, sum_ticks);
	FIELD("hist", rvmig_hist, max_ticks);
	FIELD("hist", rvmig_hist, bucket);
	return 0;
}
