#!/usr/bin/env bash
# The lab boots, KVM is there with eager page splitting on, both huge page sizes are reserved,
# a command's files come back to the host and its exit status becomes run.sh's.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id shell)
# shellcheck disable=SC2016 # the script runs in the lab's shell
out=$(./run.sh shell --run-id "$id" -c '
	cat /sys/module/kvm/parameters/eager_page_split
	echo "2M=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)"
	echo "1G=$(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages)"
	test -c /dev/kvm && echo kvm-present
	rvmig --version > version.txt 2>&1; echo "version-status=$?"
	echo from-the-lab > file.txt
	exit 7' 2>&1)
rc=$?
dir=results/$id
expect "shell -c returns the command's exit status (7)" [ "$rc" = 7 ]
expect "eager_page_split reads Y" grep -qx Y <<<"$out"
expect "2M huge pages reserved" grep -qE '^2M=[1-9]' <<<"$out"
expect "1G huge pages reserved" grep -qE '^1G=[1-9]' <<<"$out"
expect "/dev/kvm exists in the lab" grep -qx kvm-present <<<"$out"
expect "a file written in the lab lands in results/" grep -qx from-the-lab "$dir/file.txt"
expect "rvmig --version runs in the lab" grep -qx version-status=0 <<<"$out"
expect "rvmig --version names the KVM API version" grep -qi 'api' "$dir/version.txt"
expect "env.json records eager_page_split" jqe '.eager_page_split == "Y"' "$dir/env.json"
expect "env.json records KVM's dirty-log capabilities" jqe '.kvm.caps.MANUAL_DIRTY_LOG_PROTECT2 > 0 and .kvm.caps.DIRTY_LOG_RING_ACQ_REL > 0' "$dir/env.json"
expect "lab.json records QEMU and firmware versions" jqe '(.qemu | test("QEMU")) and (.firmware | test("opensbi"))' "$dir/lab.json"
