#!/usr/bin/env bash
# test-timeout: 1800
# In-kernel split counts (lab/ktrace.sh's kprobes, rvmig bench --trace-marks' phases) on the "splits"
# preset: hugetlb-2M 16M, one pass, eager Y and N. Counts only, never timings.
#  - vCPUs parked across the enable (manual) and the first CLEAR (manual-init-set), eager Y: no split
#    fault in vCPU context; every 2M region split in ioctl context. Eager N: one split fault per region.
#  - a cancelled migration (logging on, a pass, off, a pass, on again): the second enable splits nothing.
#  - hugetlb-1G, one 1G region (--mem 1G), per level of the split (kvm_mmu_memory_cache_alloc calls
#    inside each split call): eager N: one 1G->2M split fault per 1G region written and one 2M->4K
#    split fault per 2M region written; eager Y, parked: none in a vCPU, the same splits in ioctl context.
# shellcheck disable=SC2016 # $r and $c in single quotes are jq's variables
. "$(dirname "$0")/lib.sh"

id=$(test_run_id bench-splits)
./run.sh bench --run-id "$id" --timeout 1500 -- --preset splits >/dev/null 2>&1
rc=$?
dir=results/$id
j=$dir/bench.json
expect "./run.sh bench --preset splits exits 0 (status $rc)" [ "$rc" = 0 ]
expect "bench.json parses and has the kprobe counts" jqe '.ktrace.runs | length == 8' "$j"
expect "every run valid: no lost events, every entry paired, phase marks present" \
	jqe 'all(.ktrace.runs[]; .valid) and all(.ktrace.fault_runs[]; .has_phases and .unpaired_maps == 0)' "$j"
expect "the vCPUs were parked across each enable and first CLEAR" \
	jqe 'all(.raw.rvmig[]; .params.vcpus_parked_at_enable == true)' "$j"
for c in h2m-manual h2m-initset h2m-cancel; do
	expect "$c, eager Y: 0 split faults in vCPU context, every 2M region split in ioctl context" \
		jqe --arg c "$c" '([.raw.rvmig[] | select(.params.label | startswith("h2m-"))][0].params.mem_bytes / 2097152) as $r |
			.ktrace.summary[] | select(.case == $c and .eager == "Y") | .vcpu_splits.median == 0 and .ioctl_splits.median == $r' "$j"
	expect "$c, eager N: one split fault in a vCPU per 2M region, none in ioctl context" \
		jqe --arg c "$c" '([.raw.rvmig[] | select(.params.label | startswith("h2m-"))][0].params.mem_bytes / 2097152) as $r |
			.ktrace.summary[] | select(.case == $c and .eager == "N") | .vcpu_splits.median == $r and .ioctl_splits.median == 0' "$j"
done
expect "pass 1 write faults (cases traced per fault) counted as fast, slow or split; eager N has one split fault per region" \
	jqe '([.raw.rvmig[] | select(.params.label | startswith("h2m-"))][0].params.mem_bytes / 2097152) as $r | all(.ktrace.fault_summary[] | select(.traced_per_fault); .pass_write_faults > 0) and
		(.ktrace.fault_summary[] | select(.case == "h2m-manual" and .eager == "N") | .faults_us.split.n == $r) and
		(.ktrace.fault_summary[] | select(.case == "h2m-manual" and .eager == "Y") | .faults_us.split.n == 0)' "$j"
expect "cancelled migration: both settings ran the cancel sequence" \
	jqe '[.raw.rvmig[] | select(.params.label | startswith("h2m-cancel")) | .cancelled_migration.enable_ms > 0] == [true, true]' "$j"
expect "cancelled migration: the second enable splits nothing; the first found every region huge" \
	jqe '([.raw.rvmig[] | select(.params.label | startswith("h2m-"))][0].params.mem_bytes / 2097152) as $r |
		[.ktrace.fault_runs | to_entries[] | select(.key | startswith("h2m-cancel.")) | .value.cancelled] |
		length == 2 and all(.[]; .split_on_reenable == 0 and .huge_before == $r)' "$j"
# shellcheck disable=SC2016
h1g='[.raw.rvmig[] | select(.params.label | startswith("h1g-"))][0].params.mem_bytes as $m | ($m / 1073741824) as $g | ($m / 2097152) as $r |
	.ktrace.summary[] | select(.case == "h1g-manual")'
expect "h1g-manual, eager N: per 1G region one 1G->2M split fault, per 2M region one 2M->4K split fault, none in ioctl" \
	jqe "$h1g"' | select(.eager == "N") | .levels_seen and .vcpu_levels["1G->2M"].median == $g and
		.vcpu_levels["2M->4K"].median == $r and .vcpu_splits.median == $r and .ioctl_splits.median == 0' "$j"
expect "h1g-manual, eager Y parked: 0 split faults in a vCPU; the 1G->2M and 2M->4K splits in ioctl context" \
	jqe "$h1g"' | select(.eager == "Y") | .levels_seen and .vcpu_splits.median == 0 and (.vcpu_levels | length) == 0 and
		.ioctl_levels["1G->2M"].median == $g and .ioctl_levels["2M->4K"].median == $r' "$j"
expect "report.md has the per-level split table" grep -q '| case | eager | vCPU 1G->2M | vCPU 2M->4K |' "$dir/report.md"
expect "report.md says what a cancelled migration leaves" \
	grep -q 'huge mappings left after a cancelled migration: 0 of 8' "$dir/report.md"
