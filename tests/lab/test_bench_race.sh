#!/usr/bin/env bash
# test-timeout: 900
# The race with the vCPUs running (rvmig bench --enable-running, preset "race", one repetition):
# how many split faults still happen in a vCPU with eager Y is reported, not asserted (it depends on
# timing). Asserted: the runs kept their vCPUs running across the enable / first CLEAR, and each run's
# race row is well formed (before + during + after = the split faults counted; 9 cells in report.md).
# shellcheck disable=SC2016 # jq's $variables in single quotes
. "$(dirname "$0")/lib.sh"

id=$(test_run_id bench-race)
./run.sh bench --run-id "$id" --timeout 900 -- --preset race --reps 1 >/dev/null 2>&1
rc=$?
dir=results/$id
j=$dir/bench.json
expect "./run.sh bench --preset race --reps 1 exits 0 (status $rc)" [ "$rc" = 0 ]
expect "two runs (manual, manual-init-set), eager Y, vCPUs running across the enable, not parked" \
	jqe '(.raw.rvmig | length) == 2 and all(.raw.rvmig[]; .rc == 0 and .all_verified and .host.eager_page_split == "Y" and
		.params.vcpus_running_at_enable == true and .params.vcpus_parked_at_enable == false)' "$j"
expect "a race figure per run: before + during + after == the split faults in vCPUs, the walk found regions to split" \
	jqe '(.ktrace.race | length) == 2 and all(.ktrace.race[]; .vcpus_running_at_enable and
		.before + .during + .after == .vcpu_splits and (.offsets_ms | length) == .vcpu_splits and .ioctl_splits > 0)' "$j"
rows=$(grep -c '^| h2m-[a-z]*-running rep 1 | Y | ' "$dir/report.md")
expect "report.md section 2e has one row per run ($rows)" [ "$rows" = 2 ]
expect "each row has the header's 9 cells" \
	awk -F'|' '/^## / { s = /^## 2e\./ } s && /^\| h2m-/ { n++; if (NF != 11) bad = 1 } END { exit !(n == 2 && !bad) }' "$dir/report.md"
