#!/usr/bin/env bash
# test-timeout: 900
# Fault injection in the lab, one boot, every case a migration of a 32M hugetlb-2M guest over a unix
# socket: the destination killed in round 0, in a later round, during stop-and-copy and after it
# resumed; the socket closed by the source's side (the stream truncated at a random byte) and reset
# from the destination's; a byte flipped in a page batch, the header and the vCPU state; a stream of
# another version and of another shape; the source killed mid-way. Then over TCP (loopback), where
# the transport differs: connection refused, a reset (RST) mid-stream, a peer that never answers. The stream damage comes from
# tests/lab/streamfault.c, a relay between migrate and recv built here with the lab's cross compiler.
# Asserted every time: the receiver (when alive) rejects naming the record and offset, the source exits
# 1 and, if it had not handed over, resumes its guest and verifies it; no rvmig or relay process is
# left and every free hugetlb page is free again.
. "$(dirname "$0")/lib.sh"
. lab/common.sh

id=$(test_run_id faults)
d=results/$id
mkdir -p "$d"
"${CROSS}gcc" -static -O2 -std=gnu11 -Wall -Wextra -Werror -o "$d/streamfault" tests/lab/streamfault.c ||
	{ notok "streamfault relay builds with ${CROSS}gcc"; exit 1; }
# A random cut, told in the test's output so that a failure can be replayed.
cut=$(( (RANDOM * 32768 + RANDOM) % (8 * 1024 * 1024) + 1 ))
echo "# truncation at byte $cut"

# shellcheck disable=SC2016 # the script runs in the lab's shell
./run.sh shell --run-id "$id" --timeout 800 -c '
	cut='"$cut"'
	src="rvmig migrate --vcpus 2 --post-run 500ms --duration 1s --mem 32M --backing hugetlb-2M --dirty manual"
	free_pages() { awk "/^HugePages_Free/ {print \$2}" /proc/meminfo; }
	leftovers() { cat /proc/[0-9]*/comm 2>/dev/null | grep -c -e "^rvmig" -e "^streamfault"; }
	# when FILE PATTERN: wait until FILE says PATTERN (at most 60 s)
	when() { for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
	# recv_on NAME [recv options]: the destination of case NAME, listening on /tmp/NAME-r.sock
	recv_on() {
		n=$1; shift
		rvmig recv --listen unix:/tmp/$n-r.sock --vcpus 2 --mem 32M --backing hugetlb-2M --post-run 500ms \
			--accept-timeout 60s "$@" >$n-recv.txt 2>$n-recv.err &
		r=$!
	}
	# relay NAME ACTION [IN OUT]: streamfault between /tmp/NAME.sock (the source) and the receiver
	relay() { ./streamfault "${3:-/tmp/$1.sock}" "${4:-/tmp/$1-r.sock}" "$2" 2>$1-relay.txt & p=$!; }
	# send NAME TARGET [migrate options]: the source, in the foreground (TARGET a unix path or tcp:H:P)
	send() {
		n=$1 t=$2; shift 2
		case $t in tcp:*) ;; *) t=unix:$t ;; esac
		$src --to $t --json $n.json "$@" >$n.txt 2>&1; echo $? >$n.rc
	}
	# settle NAME: wait for every process of the case, then count what is left
	settle() {
		wait
		leftovers >$1.left
		free_pages >$1.free
	}
	free_pages >before.free

	# The destination killed in round 0 (32M at 8 MiB/s: 4 s), 1 s after precopy began.
	recv_on kill0
	( when kill0.txt "precopy to the destination" && sleep 1; kill -9 $r ) >/dev/null 2>&1 &
	send kill0 /tmp/kill0-r.sock --rate 0 --max-bandwidth 8M
	settle kill0

	# In a later round: dirtying keeps rounds going; killed as soon as round 0 ended.
	recv_on killn
	( when killn-recv.txt "^\[recv\] round 0:" && kill -9 $r ) >/dev/null 2>&1 &
	send killn /tmp/killn-r.sock --rate 500 --max-bandwidth 8M
	settle killn

	# During stop-and-copy: the relay holds the stream at the first vCPU record (the guest is paused)
	# and the destination is killed there.
	recv_on killsc; relay killsc hold:3
	( when killsc-relay.txt "holding" && kill -9 $r ) >/dev/null 2>&1 &
	send killsc /tmp/killsc.sock --rate 0 --max-bandwidth 16M
	settle killsc

	# After it resumed the guest: the source has handed over and waits for the verdict.
	recv_on killres --post-run 20s
	( when killres-recv.txt "guest resumed" && kill -9 $r ) >/dev/null 2>&1 &
	send killres /tmp/killres-r.sock --rate 0 --max-bandwidth 16M
	settle killres

	# The stream cut at a random byte (EOF to the receiver, then the source'"'"'s side closed).
	recv_on trunc; relay trunc truncate:$cut
	send trunc /tmp/trunc.sock --rate 0 --max-bandwidth 16M
	settle trunc

	# Both sides closed at once after 1 MiB, the source'"'"'s with a reset.
	recv_on reset; relay reset reset:1048576
	send reset /tmp/reset.sock --rate 0 --max-bandwidth 16M
	settle reset

	# One byte flipped: in a page batch (byte 300: among its page entries, checked before any data lands;
	# byte 6500: in its page data, which lands in guest RAM before the checksum fails: stream version 3
	# puts at most 512 x 12 entry bytes after the 16-byte batch header), in the header, in the vCPU state.
	for f in batch:2:300 data:2:6500 header:1:0 vcpu:3:20; do
		n=flip-${f%%:*}
		recv_on $n; relay $n flip:${f#*:}
		send $n /tmp/$n.sock --rate 0 --max-bandwidth 16M
		settle $n
	done

	# Another version (1 and 2: older formats, 4: one from the future) and another shape (1 vCPU).
	for v in 1 2 4; do
		recv_on ver$v; relay ver$v version:$v
		send ver$v /tmp/ver$v.sock --rate 0 --max-bandwidth 16M
		settle ver$v
	done
	rvmig recv --listen unix:/tmp/shape-r.sock --vcpus 1 --mem 32M --backing hugetlb-2M --accept-timeout 60s \
		>shape-recv.txt 2>shape-recv.err &
	send shape /tmp/shape-r.sock --rate 0 --max-bandwidth 16M
	settle shape

	# The source killed 1 s into round 0: the destination must give up and free its guest.
	recv_on srckill
	$src --to unix:/tmp/srckill-r.sock --rate 0 --max-bandwidth 8M >srckill.txt 2>&1 &
	s=$!
	( when srckill.txt "precopy to the destination" && sleep 1; kill -9 $s ) >/dev/null 2>&1 &
	wait $r; echo $? >srckill-recv.rc
	settle srckill

	# ---- Over TCP (loopback), where the transport differs from a unix socket.
	# Nobody listening: every connect refused for the 10 s migrate allows.
	send tcprefused tcp:127.0.0.1:47110 --rate 0
	settle tcprefused
	# A reset (RST, SO_LINGER 0) to both peers after 1 MiB.
	rvmig recv --listen tcp:47112 --vcpus 2 --mem 32M --backing hugetlb-2M --post-run 500ms --accept-timeout 60s \
		>tcpreset-recv.txt 2>tcpreset-recv.err &
	r=$!
	relay tcpreset reset:1048576 tcp:47111 tcp:47112
	send tcpreset tcp:127.0.0.1:47111 --rate 0 --max-bandwidth 16M
	wait $r; echo $? >tcpreset-recv.rc
	settle tcpreset
	# A peer that accepts and never answers: the source gives up at its deadline.
	relay tcpsilent silent tcp:47113 none
	send tcpsilent tcp:127.0.0.1:47113 --rate 0
	settle tcpsilent
' >/dev/null 2>&1

rc_is() { [ "$(cat "$d/$1.rc" 2>/dev/null)" = "$2" ]; }
# The receiver's rejection names a record (or the preamble) and its stream offset.
names_offset() { grep -qE '(record #[0-9]+.* at byte [0-9]+|preamble at byte [0-9]+)' "$d/$1-recv.err"; }
resumed_verified() {
	grep -q '^\[migrate\] migration failed' "$d/$1.txt" &&
		grep -q '^source guest after the failed migration: resumed and verified ok' "$d/$1.txt"
}
# Nothing left running, every hugetlb page that was free before the cases is free again.
clean() { [ "$(cat "$d/$1.left" 2>/dev/null)" = 0 ] && [ "$(cat "$d/$1.free")" = "$(cat "$d/before.free")" ]; }
jqe() { jq -e "$1" "$d/$2" >/dev/null 2>&1; }

# source_failed NAME WHAT: exit 1, the guest resumed and verified on the source, nothing leaked
source_failed() {
	expect "$2: source exits 1" rc_is "$1" 1
	expect "$2: source resumes its guest and it verifies" resumed_verified "$1"
	expect "$2: no process left, no hugetlb page leaked" clean "$1"
}
source_failed kill0 "destination killed in round 0"
expect "destination killed in round 0: it died in round 0 after some pages, before the handover" \
	jqe '.total.handed_over == false and .rounds[0].pages_sent > 0' kill0.json
source_failed killn "destination killed in a later round"
expect "destination killed in a later round: round 0 had ended, no handover" \
	bash -c "grep -q '^\[recv\] round 0:' '$d/killn-recv.txt' && jq -e '.total.handed_over == false' '$d/killn.json' >/dev/null"
source_failed killsc "destination killed during stop-and-copy"
expect "destination killed during stop-and-copy: the relay held the stream at the vCPU state" \
	grep -q 'holding at record #[0-9]* (type 3' "$d/killsc-relay.txt"
expect "destination killed after resume: source exits 1" rc_is killres 1
expect "destination killed after resume: the source says the destination had the guest, no resume" \
	grep -q '^the destination had taken over the guest: the source does not resume it' "$d/killres.txt"
expect "destination killed after resume: no process left, no hugetlb page leaked" clean killres

for c in trunc:"stream truncated at byte $cut" reset:"socket reset after 1 MiB" flip-batch:"byte flipped in a page batch's entries" \
	flip-data:"byte flipped in a page batch's data" \
	flip-header:"byte flipped in the header" flip-vcpu:"byte flipped in the vCPU state" \
	ver1:"stream of version 1" ver2:"stream of version 2" ver4:"stream of version 4" shape:"stream of another shape (2 vCPUs to 1)"; do
	n=${c%%:*} what=${c#*:}
	source_failed "$n" "$what"
	expect "$what: the receiver rejects it naming the record and offset" names_offset "$n"
done
expect "byte flipped in a page batch's entries: the receiver names the batch" grep -q 'record #[0-9]* (batch) at byte' "$d/flip-batch-recv.err"
expect "byte flipped in a page batch's data: the receiver names the batch's checksum mismatch" \
	grep -q 'record #[0-9]* (batch) at byte [0-9]*: checksum mismatch' "$d/flip-data-recv.err"
expect "byte flipped in the header: the receiver names the header" grep -q 'record #1 (header) at byte 16' "$d/flip-header-recv.err"
expect "byte flipped in the vCPU state: the receiver names the vCPU record" grep -q 'record #[0-9]* (vcpu) at byte' "$d/flip-vcpu-recv.err"
expect "versions 1, 2 and 4: the receiver names the version it got and the one it reads" \
	bash -c "grep -q 'stream version 1, this rvmig reads version 3' '$d/ver1-recv.err' &&
		grep -q 'stream version 2, this rvmig reads version 3' '$d/ver2-recv.err' &&
		grep -q 'stream version 4, this rvmig reads version 3' '$d/ver4-recv.err'"
expect "source killed mid-way: the destination gives up, exit 1" rc_is srckill-recv 1
expect "source killed mid-way: the destination names the record and offset" names_offset srckill
expect "source killed mid-way: no process left, no hugetlb page leaked" clean srckill

source_failed tcprefused "TCP connection refused"
expect "TCP connection refused: the source names the address and the refusal" \
	grep -q 'connecting to the destination tcp:127.0.0.1:47110 failed: Connection refused' "$d/tcprefused.txt"
expect "TCP connection refused: nothing was sent, no handover" \
	jqe '.total.handed_over == false and .total.pages_sent == 0' tcprefused.json
source_failed tcpreset "TCP reset after 1 MiB"
expect "TCP reset: the relay reset both connections after 1 MiB" grep -q 'stream cut at byte 1048576' "$d/tcpreset-relay.txt"
expect "TCP reset: the destination gives up, exit 1, naming the record and offset" \
	bash -c "[ \"\$(cat '$d/tcpreset-recv.rc')\" = 1 ] && grep -qE 'record #[0-9]+.* at byte [0-9]+' '$d/tcpreset-recv.err'"
expect "TCP reset: the source names the broken stream" grep -qiE 'reset|broken pipe|closed' "$d/tcpreset.txt"
source_failed tcpsilent "TCP peer never answering"
expect "TCP peer never answering: the source names its wait for the reply header and the deadline" \
	grep -qE "reading the destination's reply header: .*(timed out|deadline|no data)" "$d/tcpsilent.txt"
expect "TCP peer never answering: the silent peer saw the source hang up" grep -q 'the source hung up' "$d/tcpsilent-relay.txt"
