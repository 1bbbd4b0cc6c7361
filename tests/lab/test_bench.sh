#!/usr/bin/env bash
# test-timeout: 1200
# ./run.sh bench end to end on the quick preset's smallest case (hugetlb-2M, manual-init-set, with
# its dirty_log_perf_test), eager split Y and N, one repetition: the files exist and are well formed
# and the counts agree. Timings are never asserted (TCG), only that they were measured.
# shellcheck disable=SC2016 # $names in single quotes are jq's variables
. "$(dirname "$0")/lib.sh"

id=$(test_run_id bench)
# The preset's case line, smaller: 16M and one pass keep it around a minute of lab time even when
# write faults crawl at ~10 ms each (seen under TCG).
case_line=$(sed -n 's/^\(h2m-initset|.*\)$/\1/p' configs/bench-quick.conf | sed 's/--mem [0-9]*[MG]/--mem 16M/')
expect "the quick preset has the h2m-initset case" [ -n "$case_line" ]
./run.sh bench --run-id "$id" --timeout 600 -- --case "$case_line" --reps 1 --passes 1 >/dev/null 2>&1
rc=$?
dir=results/$id
expect "./run.sh bench exits 0 (status $rc)" [ "$rc" = 0 ]
expect "bench.json parses" jqe . "$dir/bench.json"
expect "one summary per eager setting, each read back as set" \
	jqe '(.summary | length) == 2 and (.summary | map(.eager) | sort) == ["N", "Y"] and
		all(.summary[]; .eager_read_back == [.eager] and .failed == 0)' "$dir/bench.json"
expect "every rvmig run verified, on 2M pages, with one pass and 3 clean harvests" \
	jqe '(.raw.rvmig | length) == 2 and all(.raw.rvmig[]; .all_verified == true and .rc == 0 and
		.backing.kernel_page_kb == 2048 and (.passes | length) == 1 and (.clean_harvests | length) == 3)' "$dir/bench.json"
expect "histogram totals == first writes == the slices' data pages, per pass" \
	jqe 'all(.raw.rvmig[].passes[]; ([.first_write_hist.buckets[][2]] | add) == .first_writes and .first_writes == .slice_pages and
		.first_write_latency_us.count == .first_writes and ([.vcpus[].first_writes] | add) == .first_writes)' "$dir/bench.json"
# The first write per region (guest ABI 2): every data page is written in each pass, so each 2M (1G)
# region holding data pages has exactly one first write that was its first. Regions of guest-physical
# space from the work area (RAM base 0x80000000 + 2M = 2149580800) and each vCPU's slice.
regions='def regions($s): [.vcpus[] | ((2149580800 + .slice_first_page * 4096) / $s | floor) as $a |
	((2149580800 + (.slice_first_page + .slice_pages) * 4096 - 1) / $s | floor) as $b | range($a; $b + 1)] | unique | length;'
expect "first writes by region class: other + first-in-2M == all first writes; each class's buckets add up to its count" \
	jqe 'all(.raw.rvmig[].passes[]; .first_write_classes as $c | $c.other.count + $c.first_in_2m.count == .first_writes and
		all($c[]; ([.buckets[][2]] | add // 0) == .count) and $c.first_in_1g.count <= $c.first_in_2m.count)' "$dir/bench.json"
expect "first writes in a 2M region == the 2M regions the pass wrote (and the same for 1G), per pass" \
	jqe "$regions"' all(.raw.rvmig[].passes[]; .first_write_classes.first_in_2m.count == regions(2097152) and
		.first_write_classes.first_in_1g.count == regions(1073741824))' "$dir/bench.json"
# shellcheck disable=SC2016 # $s is jq's variable
expect "each harvest holds at least the pages written, at most the slot" \
	jqe 'all(.raw.rvmig[]; .params.slot_pages as $s | all(.passes[]; .harvest.pages >= .first_writes and .harvest.pages <= $s))' \
	"$dir/bench.json"
expect "enable and the first CLEAR (one chunk = the slot) were timed; the pass ran and was timed" \
	jqe 'all(.raw.rvmig[]; .enable_ms > 0 and .first_clear.clears == .params.clear_chunks and .first_clear.clear_ms > 0 and
		.passes[0].wall_ms > 0 and .passes[0].pages_per_s > 0 and .passes[0].first_write_latency_us.max > 0)' "$dir/bench.json"
expect "memcpy covered all of guest RAM; KVM counted vCPU exits during the pass" \
	jqe 'all(.raw.rvmig[]; .memcpy.bytes == .params.mem_bytes and .memcpy.ms.n == 3 and
		(.kvm_stats.vcpu_sum.exits.after_pass1 - .kvm_stats.vcpu_sum.exits.before_enable) > 0)' "$dir/bench.json"
expect "the memcpy probe and the stream's crc32 over the same bytes both have a bandwidth" \
	jqe 'all(.raw.rvmig[]; .memcpy.calib_gib_per_s > 0 and .memcpy.crc32_gib_per_s > 0)' "$dir/bench.json"
expect "the stream probe measured memcpy, the socket alone, the shm ring alone and the stream over the ring" \
	jqe 'all(.raw.rvmig[]; .memcpy.probe_memcpy_gib_per_s > 0 and .memcpy.probe_socket_gib_per_s > 0 and
		.memcpy.probe_ring_gib_per_s > 0 and .memcpy.probe_shm_stream_gib_per_s > 0)' "$dir/bench.json"
expect "Y/N ratios for enable, first CLEAR and pass 1" \
	jqe '.ratios[0].ratios | .enable_ms > 0 and .first_clear_ms > 0 and .pass1_ms > 0' "$dir/bench.json"
expect "dirty_log_perf_test ran Y and N and sits next to rvmig (4 comparable figures each, GET+CLEAR among them)" \
	jqe '(.rvmig_vs_perf_test | length) == 8 and ([.rvmig_vs_perf_test[] | select(.what == "GET+CLEAR per later harvest")] | length) == 2 and all(.rvmig_vs_perf_test[]; .perf > 0 and .rvmig > 0 and .ratio > 0)' \
	"$dir/bench.json"
# In-kernel split counts (lab/ktrace.sh): every 2M region of the slot is written in the pass, so each is
# split exactly once, by a vCPU's fault (eager N) or by the CLEAR's eager split (Y: the vCPUs are parked
# across the first CLEAR, so none can reach a huge leaf before the splitter does).
# shellcheck disable=SC2016 # $r is jq's variable
expect "ktrace: every run valid (no lost events); N splits every 2M region in the vCPUs and none in ioctl; Y splits every region in the CLEAR and none in a vCPU" \
	jqe '(.raw.rvmig[0].params.mem_bytes / 2097152) as $r | (.ktrace.runs | length) == 2 and all(.ktrace.runs[]; .valid) and
		all(.ktrace.summary[]; .valid_runs == 1) and
		(.ktrace.summary[] | select(.eager == "N") | .vcpu_splits.median == $r and .ioctl_splits.median == 0) and
		(.ktrace.summary[] | select(.eager == "Y") | .vcpu_splits.median == 0 and .ioctl_splits.median == $r)' \
	"$dir/bench.json"
expect "bench.csv: header and a row per figure" \
	bash -c "head -n1 '$dir/bench.csv' | grep -q '^case,dirty,backing,vcpus,mem_mib,clear_chunk_mib,eager_page_split,figure,n,median,min,max$' &&
		[ \$(grep -c ',\"enable_ms\",' '$dir/bench.csv') = 2 ] && [ \$(wc -l <'$dir/bench.csv') -gt 40 ]"
for p in latency-cdf-hugetlb-2M region-cdf-hugetlb-2M enable-clear; do
	expect "$p.png is a PNG" bash -c "head -c 8 '$dir/$p.png' | od -An -tx1 | tr -d ' \n' | grep -q '^89504e470d0a1a0a$'"
done
expect "report.md has its sections" \
	bash -c "for s in '## Setup' '## 1. ' '## 2. ' '## 2b. ' '## 2d. ' '## 3. ' '## 4. ' '## 5. ' '## 6. ' '## What this shows' 'Caveat'; do
		grep -q \"\$s\" '$dir/report.md' || { echo \"missing \$s\"; exit 1; }; done"
expect "the module parameter is back to Y after the run" grep -q 'eager_page_split=Y again' "$dir/console.log"
