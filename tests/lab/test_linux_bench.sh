#!/usr/bin/env bash
# test-timeout: 600
# The bench's Linux-guest case alone (`./run.sh bench -- --linux --only linux --reps 1`): rvmig run
# --kernel --dirty-log on hugetlb-2M, eager Y then N in one boot. Counts only, never timings:
#  - both runs exit 0, logging went on at the workload's ready line, the harvest counted dirtied pages,
#    the workload verified every stamp;
#  - eager N: split faults in vCPU context (the first dirty pass splits huge mappings as it writes);
#  - eager Y: huge mappings split in ioctl context (the memslot update split them).
# shellcheck disable=SC2016 # $e in single quotes is jq's variable
. "$(dirname "$0")/lib.sh"

id=$(test_run_id linux-bench)
t0=$(date +%s)
nice -n 5 ./run.sh bench --run-id "$id" --timeout 500 -- --linux --only linux --reps 1 >/dev/null 2>&1
rc=$?
t1=$(date +%s)
dir=results/$id
j=$dir/bench.json
expect "./run.sh bench -- --linux --only linux exits 0 (status $rc, $((t1 - t0)) s wall, lab boot included)" [ "$rc" = 0 ]
for e in Y N; do
	r=$dir/linux/linux.$e.1.json
	expect "eager $e: rvmig run --kernel --dirty-log exited 0" [ "$(cat "$dir/linux/linux.$e.1.rc" 2>/dev/null)" = 0 ]
	expect "eager $e: logging on with eager_page_split=$e, pages dirtied > 0, every stamp verified" \
		jqe --arg e "$e" '.ok == true and .workload == true and .dirty_log.enabled == true and
			.dirty_log.eager_page_split == $e and .dirty_log.pages_dirtied > 0 and .verify.ok == true and
			.verify.errors == 0' "$r"
done
expect "bench.json has the Linux case's summary for Y and N, every run traced" \
	jqe '[.linux.summary[] | select(.ok_runs == 1 and .traced_runs == 1) | .eager] == ["Y", "N"]' "$j"
expect "eager N: split faults in vCPU context > 0 on hugetlb-2M" \
	jqe '.linux.summary[] | select(.eager == "N") | .vcpu_splits.median > 0' "$j"
expect "eager Y: huge mappings split in the ioctl > 0 on hugetlb-2M" \
	jqe '.linux.summary[] | select(.eager == "Y") | .ioctl_splits.median > 0' "$j"
expect "report.md has the Linux-guest section" grep -q '^## Linux guest: dirty logging on' "$dir/report.md"
