#!/usr/bin/env bash
# test-timeout: 900
# The authenticated listener in the lab, one boot. The lab has only lo, so the listener that needs a
# key binds 0.0.0.0 (every interface: reachable from other hosts, not loopback) and the source reaches
# it through 127.0.0.1. Right key: migrated and verified. Wrong key, or none on the source: refused at
# the handshake, before any record (the destination read no page), exit 1 on both ends, the source
# guest resumed and verified. Bad key files and a non-loopback address without a key: exit 2.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id auth)
common='--vcpus 2 --mem 32M --backing hugetlb-2M --post-run 500ms --quiet'
# shellcheck disable=SC2016 # the script runs in the lab's shell
./run.sh shell --run-id "$id" --timeout 600 -c '
	c="'"$common"'"
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
	(umask 077; head -c 32 /dev/urandom >k1; head -c 32 /dev/urandom >k2; head -c 31 /dev/urandom >short)
	cp k1 open.key; chmod 644 open.key
	watch() { ( sleep 240; kill "$1" 2>/dev/null ) >/dev/null 2>&1 & }
	# Usage errors (exit 2), before any VM: no key on a non-loopback address, bad key files.
	rvmig recv --listen tcp:0.0.0.0:4450 $c >nokey-recv.txt 2>&1; echo $? >nokey-recv.rc
	rvmig recv --listen tcp:0.0.0.0:4450 --auth-key open.key $c >open-recv.txt 2>&1; echo $? >open-recv.rc
	rvmig recv --listen tcp:0.0.0.0:4450 --auth-key short $c >short-recv.txt 2>&1; echo $? >short-recv.rc
	rvmig migrate --to tcp:10.0.0.1:4450 $c >nokey-mig.txt 2>&1; echo $? >nokey-mig.rc
	# One migration to a receiver holding k1 on 0.0.0.0: pair NAME PORT [source options...]
	pair() {
		n=$1 p=$2; shift 2
		rvmig recv --listen tcp:0.0.0.0:$p --auth-key k1 $c --accept-timeout 60s --json $n-recv.json \
			>$n-recv.txt 2>&1 &
		r=$!; watch $r
		rvmig migrate $c --duration 500ms --dirty manual --rate 500 --to tcp:127.0.0.1:$p "$@" \
			--json $n.json >$n.txt 2>&1; echo $? >$n.rc
		wait $r; echo $? >$n-recv.rc
	}
	pair good 4451 --auth-key k1
	pair wrong 4452 --auth-key k2
	# No key on the source (allowed by its own check: it connects to 127.0.0.1).
	pair none 4453
' >/dev/null 2>&1
d=results/$id

rc_is() { [ "$(cat "$d/$1.rc" 2>/dev/null)" = "$2" ]; }
one_line_with() { [ "$(grep -c . "$d/$1.txt")" = 1 ] && grep -q -- "$2" "$d/$1.txt"; }
jqd() { jq -e "$1" "$d/$2" >/dev/null 2>&1; }

expect "recv on 0.0.0.0 without --auth-key: exit 2" rc_is nokey-recv 2
expect "recv on 0.0.0.0 without --auth-key: one line asking for --auth-key" one_line_with nokey-recv 'needs\|give both ends --auth-key'
expect "group/world-readable key file: exit 2 with a chmod hint" \
	bash -c "[ \"\$(cat '$d/open-recv.rc')\" = 2 ] && grep -q 'mode 0644.*chmod 600' '$d/open-recv.txt'"
expect "31-byte key file: exit 2" bash -c "[ \"\$(cat '$d/short-recv.rc')\" = 2 ] && grep -q '31 bytes' '$d/short-recv.txt'"
expect "migrate to a non-loopback address without --auth-key: exit 2" rc_is nokey-mig 2
expect "right key: source exits 0, RAM identical, guest verified on the destination" \
	jqd '.ok == true and .total.hash_mismatches == 0 and .total.destination_verified == true' good.json
expect "right key: the source exit status is 0" rc_is good 0
expect "right key: the destination exits 0, authenticated, guest verified" \
	bash -c "[ \"\$(cat '$d/good-recv.rc')\" = 0 ] && jq -e '.authenticated == true and .guest_verified == true' '$d/good-recv.json' >/dev/null"
expect "wrong key: source exits 1" rc_is wrong 1
expect "wrong key: the source says the destination's answer does not match" \
	grep -q "destination's answer does not match our --auth-key" "$d/wrong.txt"
expect "wrong key: the source guest resumed and verified" \
	grep -q '^source guest after the failed migration: resumed and verified ok' "$d/wrong.txt"
expect "wrong key: nothing was handed over" jqd '.total.handed_over == false and .total.source_resumed_verified == true' wrong.json
expect "wrong key: the destination exits 1 with one line naming the source's answer" \
	bash -c "[ \"\$(cat '$d/wrong-recv.rc')\" = 1 ] && grep -q \"refused the sender: authentication: the source's answer does not match\" '$d/wrong-recv.txt'"
expect "wrong key: the destination read no record and started nothing" \
	jqd '.authenticated == false and .pages_received == 0 and .rounds == 0 and .resumed == false' wrong-recv.json
expect "no key on the source: source exits 1, its guest resumed and verified" \
	bash -c "[ \"\$(cat '$d/none.rc')\" = 1 ] && grep -q '^source guest after the failed migration: resumed and verified ok' '$d/none.txt'"
expect "no key on the source: the destination says the sender did not start the handshake, exit 1" \
	bash -c "[ \"\$(cat '$d/none-recv.rc')\" = 1 ] && grep -q 'source did not start the handshake' '$d/none-recv.txt'"
expect "no key on the source: the destination read no page" jqd '.pages_received == 0 and .resumed == false' none-recv.json
