#!/usr/bin/env bash
# test-timeout: 1200
# Live migration in the lab, one boot: every --dirty mode on hugetlb-2M (moderate dirty rate: must
# converge, match bit-exact and verify on the destination), the same over the shm ring (--link shm), hugetlb-1G, a dirty rate the link cannot
# keep up with (must say it did not converge), tcp between two rvmig processes, a destination killed
# mid-way (source resumes and verifies, exit 1) and a shape the receiver must refuse.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id migrate)
# Small guests: under TCG a write fault on a protected page costs ~100 us.
common='--vcpus 2 --duration 500ms --post-run 500ms --quiet'
# shellcheck disable=SC2016 # the script runs in the lab's shell
./run.sh shell --run-id "$id" --timeout 600 -c '
	c="'"$common"'"
	for m in get manual manual-init-set ring; do
		# 4 s: each vCPU writes its whole slice once (dense RAM), then at most 4 MiB/s of writes against
		# a 16 MiB/s cap; the stream in the lab, CPU-bound next to the running guest, delivers 8..12 MiB/s of it
		# (at 8 MiB/s of writes rounds shrank by only a third each: too little margin on a loaded host).
		rvmig migrate $c --duration 4s --mem 32M --backing hugetlb-2M --dirty $m --rate 500 \
			--max-bandwidth 16M --clear-chunk 8M --json mode-$m.json >mode-$m.txt 2>&1; echo $? >mode-$m.rc
	done
	# The shm ring instead of the socket (--link shm): the same guest and plan as the manual case, with
	# the pipeline forced on (the lab'"'"'s 2 harts leave it off by default): sender thread onto the ring.
	rvmig migrate $c --duration 4s --mem 32M --backing hugetlb-2M --dirty manual --rate 500 --max-bandwidth 16M \
		--clear-chunk 8M --to local --link shm --pipeline on --json shm.json >shm.txt 2>&1; echo $? >shm.rc
	rvmig migrate $c --mem 1G --backing hugetlb-1G --dirty manual-init-set --rate 200 --max-bandwidth 256M \
		--json huge1g.json >huge1g.txt 2>&1; echo $? >huge1g.rc
	rvmig migrate $c --mem 32M --backing hugetlb-2M --dirty manual --rate 0 --max-bandwidth 16M \
		--stall-rounds 2 --max-rounds 6 --json hot.json >hot.txt 2>&1; echo $? >hot.rc
	# 1G of 2M pages twice does not fit the lab'"'"'s 512: said before either guest takes a page.
	rvmig migrate $c --mem 1G --backing hugetlb-2M --to local >twofit.txt 2>&1; echo $? >twofit.rc
	# The lab brings no interface up; tcp over loopback needs lo.
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
	# The receivers give up by themselves when no sender comes (--accept-timeout); the watchdog is
	# for one that hangs after that, so it allows a whole migration of these sizes.
	watch() { ( sleep 240; kill "$1" 2>/dev/null ) >/dev/null 2>&1 & }
	# Both halves pipelined (--pipeline on): the sender thread, and the checker thread on the destination.
	rvmig recv --listen tcp:4444 --vcpus 2 --mem 64M --backing hugetlb-2M --post-run 500ms --quiet \
		--accept-timeout 60s --pipeline on --json tcp-recv.json >tcp-recv.txt 2>&1 &
	r=$!; watch $r
	rvmig migrate $c --mem 64M --backing hugetlb-2M --dirty ring --rate 500 --to tcp:127.0.0.1:4444 \
		--pipeline on --json tcp.json >tcp.txt 2>&1; echo $? >tcp.rc
	wait $r; echo $? >tcp-recv.rc
	rvmig recv --listen unix:/tmp/kill.sock --vcpus 2 --mem 64M --backing hugetlb-2M --quiet >kill-recv.txt 2>&1 &
	r=$!
	# Killed 2 s into round 0 (64M of dense RAM at 8 MiB/s takes 8 s), timed from the source saying
	# precopy began, not from the start: a slow boot must not turn this into a refused connection.
	( for i in $(seq 600); do grep -q "precopy to the destination" kill.txt 2>/dev/null && break; sleep 0.1; done
	  sleep 2; kill -9 $r ) >/dev/null 2>&1 &
	rvmig migrate --vcpus 2 --post-run 500ms --duration 1s --mem 64M --backing hugetlb-2M --dirty manual --rate 0 \
		--max-bandwidth 8M --to unix:/tmp/kill.sock --json kill.json >kill.txt 2>&1; echo $? >kill.rc
	wait $r
	rvmig recv --listen unix:/tmp/shape.sock --vcpus 2 --mem 32M --backing hugetlb-2M --quiet --accept-timeout 60s \
		>shape-recv.txt 2>&1 &
	r=$!; watch $r
	rvmig migrate $c --mem 64M --backing hugetlb-2M --dirty get --to unix:/tmp/shape.sock >shape.txt 2>&1
	echo $? >shape.rc
	wait $r; echo $? >shape-recv.rc
	rvmig recv --listen unix:/tmp/nobody.sock --vcpus 1 --mem 32M --backing anon --accept-timeout 2s \
		>lonely-recv.txt 2>&1; echo $? >lonely-recv.rc
' >/dev/null 2>&1
d=results/$id

rc_is() { [ "$(cat "$d/$1.rc" 2>/dev/null)" = "$2" ]; }
# Converged, bit-exact and verified on the destination, exit 0.
migrated_ok() {
	rc_is "$1" 0 && grep -q '^RAM hashes: .* identical' "$d/$1.txt" &&
		grep -q '^destination: .*verified every stamp.*: ok' "$d/$1.txt" && grep -q '^result: ok' "$d/$1.txt"
}
converged() { jqe '.total.converged == true' "$1.json" >/dev/null 2>&1; }
jqe() { jq -e "$1" "$d/$2" >/dev/null 2>&1; }

for m in get manual manual-init-set ring; do
	expect "--dirty $m, hugetlb-2M: migrated, RAM identical, guest verified on the destination" migrated_ok mode-$m
	expect "--dirty $m, hugetlb-2M: moderate dirty rate converges" converged mode-$m
done
expect "--link shm, hugetlb-2M: migrated, RAM identical, guest verified on the destination" migrated_ok shm
expect "--link shm --pipeline on: the JSON says pipeline on and the sender thread ran" \
	jqe '.params.pipeline == "on" and .params.stream_pipelined == true' shm.json
cpus=$(jq -r .cpus "$d/env.json" 2>/dev/null)
expect "--pipeline auto (default) on the lab's $cpus harts: a sender thread only with 4 or more" \
	jqe ".params.pipeline == \"auto\" and .params.stream_pipelined == ($cpus >= 4)" mode-manual.json
expect "tcp, both sides --pipeline on: the destination had its checker thread and verified" \
	jqe '.params.stream_checker == true and .params.pipeline == "on" and .ok == true' tcp-recv.json
expect "--link shm: JSON link is shm, no socket buffer (no socket carried the stream)" \
	jqe '.params.link == "shm" and (.params | has("socket_sndbuf_bytes") | not)' shm.json
expect "--link shm: the report's header names the ring" grep -q '^rvmig migrate: .* over a shared-memory ring' "$d/shm.txt"
# The header says pipelined exactly when the JSON does (shm: forced on; mode-manual: auto).
header_says_pipelined() {
	local said=false
	grep -q '^rvmig migrate: .*, pipelined (a sender thread' "$d/$1.txt" && said=true
	jqe ".params.stream_pipelined == $said" "$1.json"
}
expect "--pipeline on: the report's header says pipelined, as the JSON does" header_says_pipelined shm
expect "--pipeline auto: the report's header says pipelined exactly when the JSON does" header_says_pipelined mode-manual
expect "default link: JSON link is socket, with its buffer" \
	jqe '.params.link == "socket" and .params.socket_sndbuf_bytes > 0' mode-manual.json
expect "--dirty manual: CLEARs are timed and counted" jqe '[.rounds[].clears] | add > 0' mode-manual.json
expect "--dirty get: GETs are timed and counted, no CLEAR" jqe '([.rounds[].gets] | add > 0) and ([.rounds[].clears] | add == 0)' mode-get.json
expect "--dirty manual-init-set: round 0 CLEARs every 8M chunk (4 of 32M)" jqe '.rounds[0].clears == 4' mode-manual-init-set.json
expect "--dirty ring: ring entries harvested" jqe '[.rounds[].ring_entries] | add > 0' mode-ring.json
expect "--dirty get: the stop-and-copy round counts the GET that decided on it and its own (2)" \
	jqe '.rounds[-1].stop_and_copy and .rounds[-1].gets == 2' mode-get.json
expect "JSON has per-round dirty rate, bandwidth, expected downtime and the measured downtime" \
	jqe '(.rounds[1] | has("dirty_rate_Bps") and has("bandwidth_Bps") and has("expected_downtime_ms")) and (.total.downtime_ms > 0)' mode-manual.json
expect "hugetlb-1G (manual-init-set): migrated and verified" migrated_ok huge1g
expect "high dirty rate: migration still completes and verifies" migrated_ok hot
expect "high dirty rate: reported as not converged, switch forced" \
	grep -q '^did not converge: forced' "$d/hot.txt"
expect "high dirty rate: JSON says converged false" jqe '.total.converged == false' hot.json
expect "tcp: source migrated to rvmig recv on 127.0.0.1:4444" migrated_ok tcp
expect "tcp: the receiver exits 0 after the guest verified" rc_is tcp-recv 0
expect "killed destination: source exits 1" rc_is kill 1
expect "killed destination: source reports the failure" grep -q '^\[migrate\] migration failed' "$d/kill.txt"
expect "killed destination: it died mid-stream, in round 0 after some pages, before the handover" \
	jqe '.total.handed_over == false and .rounds[0].round == 0 and .rounds[0].pages_sent > 0' kill.json
expect "killed destination: source guest resumed and verified" \
	grep -q '^source guest after the failed migration: resumed and verified ok' "$d/kill.txt"
expect "mismatched shape: source exits 1" rc_is shape 1
expect "mismatched shape: the receiver refuses, naming the RAM size" grep -q 'refused: .*RAM size differs' "$d/shape-recv.txt"
expect "mismatched shape: no page was sent (refused at the header)" grep -q 'refused the migration' "$d/shape.txt"
expect "mismatched shape: the receiver exits 1" rc_is shape-recv 1
expect "no sender: the receiver gives up after --accept-timeout, exit 1" rc_is lonely-recv 1
expect "no sender: the receiver says where it waited and for how long" \
	grep -q 'no sender connected to unix:/tmp/nobody.sock within 2 s' "$d/lonely-recv.txt"
expect "--to local with two guests that cannot fit: exit 1, one line naming both guests' pages (free less reserved)" \
	bash -c "[ \"\$(cat '$d/twofit.rc')\" = 1 ] && [ \$(grep -c '^rvmig' '$d/twofit.txt') = 1 ] &&
		grep -q '2 x 512 = 1024 hugetlb-2M huge pages needed, 512 available (free less reserved)' '$d/twofit.txt'"
