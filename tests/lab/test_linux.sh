#!/usr/bin/env bash
# test-timeout: 900
# The Linux demo guest end to end, as a user runs it: `./run.sh demo --linux` (Linux boots in a KVM
# guest on hugetlb-2M, its workload stamps its memory, verifies every stamp, powers off) and
# `./run.sh migrate --linux` for one mode (manual, hugetlb-2M): RAM bit-exact, every ONE_REG and MP
# state restored, the workload verifies every stamp on the destination, its clock's largest step
# within the pause + margin, a clean poweroff. Each command's wall time is in its check's name.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id linux)
t0=$(date +%s)
nice -n 5 ./run.sh demo --linux --run-id "$id-demo" --timeout 400 >/dev/null 2>&1
t1=$(date +%s)
nice -n 5 ./run.sh migrate --linux --modes manual --backings hugetlb-2M --run-id "$id-migrate" --timeout 400 \
	>/dev/null 2>&1
t2=$(date +%s)

d=results/$id-demo
expect "demo --linux: exit status 0 ($((t1 - t0)) s wall, lab boot included)" [ "$(cat "$d/exit-status" 2>/dev/null)" = 0 ]
expect "demo --linux: the workload said ready and verified every stamp (demo.json)" \
	jqe '.workload == true and .verify.ok == true and .verify.errors == 0 and .verify.pages > 0 and .ok == true' "$d/demo.json"
expect "demo --linux: the workload stamped as many pages as it verified" \
	jqe '.pages == .verify.pages' "$d/demo.json"
expect "demo --linux: 2 workload threads (one per vCPU)" jqe '.threads == 2' "$d/demo.json"
expect "demo --linux: the guest powered off through SBI SRST" \
	grep -q '\[rvmig\] the guest powered off (SBI SRST shutdown)' "$d/demo.txt"
expect "demo --linux: the workload's lines came over the console ([vcpuN] rvmig-wl: ready)" \
	grep -q '\[vcpu[0-9]*\] rvmig-wl: ready ' "$d/demo.txt"

m=results/$id-migrate
j=$m/migrate-linux-hugetlb-2M-manual.json
t=$m/migrate-linux-hugetlb-2M-manual.txt
expect "migrate --linux: exit status 0 ($((t2 - t1)) s wall, lab boot included)" [ "$(cat "$m/exit-status" 2>/dev/null)" = 0 ]
expect "migrate --linux: one run, manual on hugetlb-2M, a Linux guest" \
	jqe '.ok == true and .params.guest == "linux" and .params.dirty == "manual" and .params.backing == "hugetlb-2M"' "$j"
expect "migrate --linux: RAM hashes identical on both sides" grep -q 'RAM hashes: .* identical on source and destination' "$t"
expect "migrate --linux: the destination restored every register and the MP state of both vCPUs" \
	grep -q '\[recv\] vCPU state restored: [0-9]* registers set, .* MP state of 2 vCPUs' "$t"
expect "migrate --linux: the stream header said Linux" grep -q '\[recv\] accepted a stream .* a Linux guest' "$t"
expect "migrate --linux: the workload verified every stamp on the destination" \
	grep -q '\[rvmig\] workload verify on the guest: ok, [1-9][0-9]* stamped pages, 0 errors' "$t"
expect "migrate --linux: the clock step was checked against the pause" grep -q '\[recv\] workload clock: largest step' "$t"
expect "migrate --linux: the destination guest powered off, the source says it verified" \
	grep -q 'destination: the guest ran on, its workload verified every stamp' "$t"
sed -n 's/.*\[recv\] workload clock: //p' "$t" >"$m/clock-step.txt" 2>/dev/null
echo "# demo $((t1 - t0)) s, migrate $((t2 - t1)) s, clock: $(cat "$m/clock-step.txt" 2>/dev/null)"
