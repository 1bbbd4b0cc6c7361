#!/usr/bin/env bash
# test-timeout: 600
# The scaling preset's 4-vCPU case, one repetition, eager Y and N (about 3-4 minutes on 2 cores):
# run.sh gives the lab the preset's LAB_SMP=4 harts by itself, every 4-vCPU pass finishes (the pass
# fails only when it stops moving, not at a fixed deadline: 4 harts on 2 cores are slow), the split
# counts hold (N: one split fault per 2M region written, none in ioctl; Y: the reverse), and on a host
# with fewer than 4 cores report.md puts the case in section 2c's "Oversubscribed" table, not the main one.
# shellcheck disable=SC2016 # jq's $variables in single quotes
. "$(dirname "$0")/lib.sh"

id=$(test_run_id bench-scaling)
env -u LAB_SMP ./run.sh bench --run-id "$id" --timeout 600 -- --preset scaling --only h2m-manual-v4 --reps 1 >/dev/null 2>&1
rc=$?
dir=results/$id
j=$dir/bench.json
cores=$(nproc)
expect "./run.sh bench --preset scaling --only h2m-manual-v4 --reps 1 exits 0 (status $rc)" [ "$rc" = 0 ]
expect "lab.json: LAB_SMP raised to the preset's 4 harts, host_cores = nproc ($cores)" \
	jqe --argjson c "$cores" '.lab_smp == "4" and .host_cores == $c' "$dir/lab.json"
expect "two runs (eager Y and N) of 4 vCPUs, each verified" \
	jqe '(.raw.rvmig | length) == 2 and all(.raw.rvmig[]; .rc == 0 and .all_verified and .params.vcpus == 4)
		and ([.raw.rvmig[].host.eager_page_split] | sort) == ["N", "Y"]' "$j"
expect "split counts: N's split faults in vCPUs = Y's 2M regions split in ioctl > 0; N none in ioctl, Y none in vCPUs" \
	jqe '(.ktrace.runs["h2m-manual-v4.N.1"]) as $n | (.ktrace.runs["h2m-manual-v4.Y.1"]) as $y |
		$n.valid and $y.valid and $n.vcpu_splits > 0 and $n.vcpu_splits == $y.ioctl_splits and
		$n.ioctl_splits == 0 and $y.vcpu_splits == 0' "$j"
expect "report.md's header names the 4 emulated harts on $cores host cores" \
	grep -q "the lab's 4 emulated harts on $cores host cores" "$dir/report.md"
# Rows of section 2c: in the main table (before "### Oversubscribed") and in the oversubscribed one.
main=$(awk '/^## / { s = /^## 2c\./ } /^### Oversubscribed/ { s = 0 } s && /^\| h2m-manual-v4 /' "$dir/report.md" | wc -l)
over=$(awk '/^## / { s = 0 } /^### Oversubscribed/ { s = 1 } s && /^\| h2m-manual-v4 \(4 vCPUs\) \| [YN] \|/' "$dir/report.md" | wc -l)
if [ "$cores" -lt 4 ]; then
	expect "4 vCPUs on $cores cores: both rows in 2c's oversubscribed table ($over), none in the main one ($main)" \
		[ "$over:$main" = 2:0 ]
else
	expect "4 vCPUs on $cores cores: both rows in 2c's main table ($main), none oversubscribed ($over)" \
		[ "$main:$over" = 2:0 ]
fi
