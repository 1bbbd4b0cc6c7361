#!/usr/bin/env bash
# test-timeout: 1200
# rvmig run in the lab: every backing with 1, 2 and 4 vCPUs, the guest's stats in the JSON, verify,
# exit codes, and the one-line errors for bad input. One boot runs every case.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id run)
# Each case: NAME|rvmig run options. The lab writes NAME.json, NAME.out and NAME.rc.
cases='
anon-1|--vcpus 1 --mem 16M --backing anon --duration 1s --dirty-log
anon-2|--vcpus 2 --mem 32M --backing anon --pattern random --write-pct 70 --duration 1s --dirty-log
anon-4|--vcpus 4 --mem 32M --backing anon --pattern hotcold --duration 1s
thp-1|--vcpus 1 --mem 32M --backing thp --duration 1s --dirty-log
thp-2|--vcpus 2 --mem 64M --backing thp --duration 1s --dirty-log
thp-4|--vcpus 4 --mem 64M --backing thp --pattern random --duration 1s
h2m-1|--vcpus 1 --mem 32M --backing hugetlb-2M --duration 1s --dirty-log
h2m-2|--vcpus 2 --mem 64M --backing hugetlb-2M --pattern hotcold --duration 1s --dirty-log
h2m-4|--vcpus 4 --mem 64M --backing hugetlb-2M --duration 1s
h1g-1|--vcpus 1 --mem 1G --backing hugetlb-1G --duration 1s --rate 2000
h1g-2|--vcpus 2 --mem 1G --backing hugetlb-1G --duration 1s --dirty-log --rate 2000
h1g-4|--vcpus 4 --mem 1G --backing hugetlb-1G --duration 1s --rate 1000
bad-mem|--mem 5M --backing hugetlb-2M
bad-vcpus|--vcpus 99
bad-backing|--backing hugetlb-4M
bad-pattern|--pattern zigzag
no-hugepages|--mem 3G --backing hugetlb-1G
bad-guest|--guest /nonexistent
zero-guest|--guest /tmp/zero.bin --mem 16M --backing anon
old-guest|--guest /tmp/noheader.bin --mem 16M --backing anon
'
# shellcheck disable=SC2016 # the job runs in the lab's shell
# zero.bin: a valid image header (struct rvmig_image_header: j +32, "RVMIGIMG", ABI 2, size 32), then
# zeros (illegal instructions): a guest that never reports. noheader.bin: zeros only, as an image of
# guest ABI 1 (no header) looks to the VMM.
job='hdr="\157\000\000\002\000\000\000\000RVMIGIMG\002\000\000\000\040\000\000\000\000\000\000\000\000\000\000\000"
{ printf "$hdr"; dd if=/dev/zero bs=4096 count=4 2>/dev/null; } >/tmp/zero.bin
dd if=/dev/zero of=/tmp/noheader.bin bs=4096 count=4 2>/dev/null
echo "$CASES" | while IFS="|" read -r name opts; do
	[ -n "$name" ] || continue
	echo "== $name: rvmig run $opts"
	rvmig run $opts --quiet --json $name.json >$name.out 2>&1
	echo $? >$name.rc
	tail -n 3 $name.out
done
mv /dev/kvm /dev/kvm.off && { rvmig run >no-kvm.out 2>&1; echo $? >no-kvm.rc; mv /dev/kvm.off /dev/kvm; }'
./run.sh shell --run-id "$id" --timeout 900 -c "CASES='$cases'
$job" >/dev/null 2>&1
dir=results/$id

rc_of() { cat "$dir/$1.rc" 2>/dev/null || echo none; }
for c in anon-1 anon-2 anon-4 thp-1 thp-2 thp-4 h2m-1 h2m-2 h2m-4 h1g-1 h1g-2 h1g-4; do
	n=${c#*-}
	expect "$c: rvmig run exits 0 (status $(rc_of "$c"))" [ "$(rc_of "$c")" = 0 ]
	# shellcheck disable=SC2016 # $n is jq's variable
	expect "$c: JSON has $n vCPUs, each verified with stamped pages and writes" \
		jqe --argjson n "$n" '(.vcpus | length) == $n and .all_verified == true and
			all(.vcpus[]; .verify == "ok" and .verify_pages > 0 and .writes > 0 and .verify_errors == 0)' "$dir/$c.json"
done
expect "hugetlb-1G: the result proves 1G pages back the memslot" \
	jqe '.backing.kernel_page_kb == 1048576 and .backing.page_size == 1073741824' "$dir/h1g-2.json"
expect "hugetlb-2M: backed by 2M pages" jqe '.backing.kernel_page_kb == 2048' "$dir/h2m-2.json"
expect "thp: the range is backed by huge pages" jqe '.backing.huge_bytes > 0' "$dir/thp-2.json"
expect "anon: 4K pages" jqe '.backing.kernel_page_kb == 4' "$dir/anon-2.json"
expect "dirty log: the memslot update is timed and the first writes are counted" \
	jqe '.dirty_log.enabled == true and .dirty_log.enable_ms > 0 and (.vcpus[0].first_write_latency_us.count > 0)' "$dir/h2m-2.json"
expect "histogram total equals the first-write count" \
	jqe 'all(.vcpus[]; ([.first_write_hist.buckets[][2]] | add) == .first_write_latency_us.count and
		.first_write_classes.other.count + .first_write_classes.first_in_2m.count == .first_write_latency_us.count)' "$dir/h2m-2.json"
expect "privileges: no capabilities left, no_new_privs set" \
	jqe '.privileges | (.NoNewPrivs == 1 or .NoNewPrivs == "1") and ((.CapEff | tostring) | test("^0+$"))' "$dir/h2m-2.json"

for c in bad-mem bad-vcpus bad-backing bad-pattern; do
	expect "$c: usage error, exit 2, one line" bash -c "[ '$(rc_of "$c")' = 2 ] && [ \$(grep -c . '$dir/$c.out') -le 2 ]"
done
expect "no huge pages: exit 1, says how many are free and needed and how to reserve" \
	bash -c "[ '$(rc_of no-hugepages)' = 1 ] && grep -q 'free' '$dir/no-hugepages.out' && grep -q 'nr_hugepages' '$dir/no-hugepages.out'"
expect "no /dev/kvm: exit 1 with one line naming /dev/kvm" \
	bash -c "[ '$(rc_of no-kvm)' = 1 ] && [ \$(grep -c . '$dir/no-kvm.out') = 1 ] && grep -q /dev/kvm '$dir/no-kvm.out'"
expect "missing guest image: exit 1" [ "$(rc_of bad-guest)" = 1 ]
expect "a guest that never reports: exit 1 (watchdog), no hang" [ "$(rc_of zero-guest)" = 1 ]
expect "a guest image without the ABI 2 header: exit 2, one line naming the ABI" \
	bash -c "[ '$(rc_of old-guest)' = 2 ] && [ \$(grep -c . '$dir/old-guest.out') = 1 ] && grep -q 'ABI 2' '$dir/old-guest.out'"
