#!/usr/bin/env bash
# test-timeout: 600
# A Linux guest between two rvmig processes over tcp (loopback): `rvmig recv` is told nothing about the
# guest and learns from the stream header that it is Linux; the guest's workload verifies every stamp
# on the destination and both sides exit 0. Then a destination that refuses a Linux guest (recv
# --then-migrate-to): the source exits 1, names the refusal, and its own guest is resumed, verified by
# its workload and powered off.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id linux-tcp)
dir=results/$id
mkdir -p "$dir"
. lab/common.sh
image=$(lab_guest_image)
# shellcheck disable=SC2012 # the newest by mtime, as lab_guest_image
initrd=$(ls -t "$RVMIG_CACHE"/linux-guest/*/initrd.cpio.gz 2>/dev/null | head -n 1)
if [ ! -f "$image" ] || [ ! -f "$initrd" ]; then
	notok "no kernel Image or Linux guest initramfs in $RVMIG_CACHE (run ./run.sh build first)"
	exit 1
fi
cp "$image" "$dir/Image"
cp "$initrd" "$dir/linux-guest.cpio.gz"
# shellcheck disable=SC2016 # the job runs in the lab's shell
job='ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
c="--vcpus 2 --mem 256M --backing hugetlb-2M"
( rvmig recv --listen tcp:4445 $c --accept-timeout 120s --json recv.json >recv.txt 2>&1; echo $? >recv.rc ) &
sleep 1
rvmig migrate $c --kernel Image --initrd linux-guest.cpio.gz --dirty ring --rate 1000 --duration 1s \
	--to tcp:127.0.0.1:4445 --json mig.json >mig.txt 2>&1; echo $? >mig.rc
wait
( rvmig recv --listen tcp:4446 $c --accept-timeout 120s --then-migrate-to tcp:127.0.0.1:4447 >onward-recv.txt 2>&1
  echo $? >onward-recv.rc ) &
sleep 1
rvmig migrate $c --kernel Image --initrd linux-guest.cpio.gz --duration 1s --to tcp:127.0.0.1:4446 >onward.txt 2>&1
echo $? >onward.rc
wait'
nice -n 5 ./run.sh shell --run-id "$id" --timeout 500 -c "$job" >/dev/null 2>&1

rc_of() { cat "$dir/$1.rc" 2>/dev/null || echo none; }
expect "tcp: the source exits 0 (status $(rc_of mig))" [ "$(rc_of mig)" = 0 ]
expect "tcp: the receiver exits 0 (status $(rc_of recv))" [ "$(rc_of recv)" = 0 ]
expect "tcp: the receiver learnt from the header that the guest is Linux" \
	jqe '.guest == "linux" and .resumed == true and .hash_mismatches == 0' "$dir/recv.json"
expect "tcp: the workload verified every stamp on the receiver" \
	jqe '.guest_verified == true and .workload.verify_ok == true and .workload.errors == 0 and .workload.pages > 0' "$dir/recv.json"
expect "tcp: the clock step was within the pause + margin" \
	jqe '.workload.max_clock_step_ms <= .workload.pause_seen_ms + .workload.step_margin_ms' "$dir/recv.json"
expect "tcp: the source's JSON says a Linux guest moved, ring mode" jqe '.ok == true and .params.guest == "linux" and .params.dirty == "ring"' "$dir/mig.json"
expect "refused onward: the source exits 1 (status $(rc_of onward))" [ "$(rc_of onward)" = 1 ]
expect "refused onward: the receiver exits 1 (status $(rc_of onward-recv))" [ "$(rc_of onward-recv)" = 1 ]
expect "refused onward: the source names the refusal" \
	grep -q 'result: FAILED: .*a Linux guest does not travel onward (--then-migrate-to) yet' "$dir/onward.txt"
expect "refused onward: the source guest was resumed, verified by its workload and powered off" \
	grep -q 'source guest after the failed migration: resumed and verified ok' "$dir/onward.txt"
