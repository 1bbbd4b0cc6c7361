#!/usr/bin/env bash
# test-timeout: 1200
# The seccomp filter in the lab, one boot. Every command runs under it and exits 0: run (bare-metal
# and a --kernel Linux guest), bench, migrate --to local (over the socket and over the shm ring), a recv --then-migrate-to hop (it connects
# and turns dirty logging on after receiving) and a tcp migration with --auth-key. Each result JSON
# records privileges {cap_eff 0, no_new_privs true, seccomp "filter", allowed_syscalls N}; no run
# printed a refusal. RVMIG_SECCOMP_SELFTEST=1 makes rvmig call socket(AF_PACKET) after installing the
# filter: refused with one line naming the call, exit 1. --no-seccomp records "off" and the same call
# is not refused.
. "$(dirname "$0")/lib.sh"
. lab/common.sh

id=$(test_run_id seccomp)
d=results/$id
mkdir -p "$d"
# shellcheck disable=SC2012 # the newest by mtime; the cache has plain directory names
image=${KERNEL_IMAGE:-$(ls -t "$RVMIG_CACHE"/kernel/*/Image 2>/dev/null | head -n 1)}
[ -f "$image" ] || { notok "no kernel Image in $RVMIG_CACHE/kernel (run ./run.sh build first)"; exit 1; }
cp "$image" "$d/Image"
printf '#!/bin/busybox sh\necho rvmig-seccomp: init up\n/bin/busybox poweroff -f\n' >"$d/init.sh"
# shellcheck disable=SC2016 # the job runs in the lab's shell
./run.sh shell --run-id "$id" --timeout 1000 -c '
	s="--vcpus 2 --mem 32M --backing hugetlb-2M"
	t() { n=$1; shift; timeout 300 "$@" >$n.txt 2>&1; echo $? >$n.rc; }
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
	mkdir -p /tmp/ir/bin && cp /bin/busybox /tmp/ir/bin/ && cp init.sh /tmp/ir/init && chmod 755 /tmp/ir/init
	(cd /tmp/ir && find . | busybox cpio -o -H newc) >/tmp/initrd.cpio
	t run rvmig run $s --dirty-log --duration 1s --json run.json
	t off rvmig run $s --duration 500ms --no-seccomp --json off.json
	RVMIG_SECCOMP_SELFTEST=1 t selftest rvmig run $s --duration 500ms --json selftest.json
	RVMIG_SECCOMP_SELFTEST=1 t selftest-off rvmig run $s --duration 500ms --no-seccomp
	t linux rvmig run --kernel Image --initrd /tmp/initrd.cpio --vcpus 2 --mem 128M </dev/null
	t bench rvmig bench $s --passes 1 --json bench.json
	t local rvmig migrate $s --dirty manual --duration 500ms --rate 300 --to local --post-run 300ms --json local.json
	# --link shm: the ring'"'"'s futex waits and wakes, and its liveness ppoll, on both sides under the filter
	t local-shm rvmig migrate $s --dirty manual --duration 500ms --rate 300 --to local --link shm --post-run 300ms \
		--json local-shm.json
	# A hop: A receives from the source, verifies, and sends the guest on to B (dirty ring).
	rvmig recv --listen unix:/tmp/b.sock $s --backing thp --post-run 300ms --accept-timeout 200s \
		--json hop-b.json >hop-b.txt 2>&1 &
	b=$!
	rvmig recv --listen unix:/tmp/a.sock $s --post-run 300ms --accept-timeout 200s \
		--then-migrate-to unix:/tmp/b.sock --dirty ring --migrate-after 300ms --json hop-a.json >hop-a.txt 2>&1 &
	a=$!
	sleep 2
	t hop-src rvmig migrate $s --duration 500ms --to unix:/tmp/a.sock --post-run 300ms --json hop-src.json
	wait $a; echo $? >hop-a.rc
	wait $b; echo $? >hop-b.rc
	# tcp, --auth-key: getrandom and the handshake under the filter (the key is wiped after it).
	(umask 077; head -c 32 /dev/urandom >k1)
	rvmig recv --listen tcp:0.0.0.0:4470 --auth-key k1 $s --post-run 300ms --accept-timeout 120s \
		--json auth-recv.json >auth-recv.txt 2>&1 &
	r=$!
	sleep 2
	t auth rvmig migrate $s --duration 500ms --to tcp:127.0.0.1:4470 --auth-key k1 --json auth.json
	wait $r; echo $? >auth-recv.rc
' >"$d/shell.txt" 2>&1

rc_is() { [ "$(cat "$d/$1.rc" 2>/dev/null)" = "$2" ]; }
rc_of() { cat "$d/$1.rc" 2>/dev/null || echo none; }
filtered() { jq -e '.privileges | .seccomp == "filter" and .cap_eff == 0 and .no_new_privs == true and .allowed_syscalls > 20' \
	"$d/$1" >/dev/null 2>&1; }

for n in run linux bench local local-shm hop-src hop-a hop-b auth auth-recv; do
	expect "$n: exits 0 under the filter (status $(rc_of "$n"))" rc_is "$n" 0
	expect "$n: nothing was refused" bash -c "! grep -q 'seccomp refused' '$d/$n.txt'"
done
for j in run.json bench.json local.json local-shm.json local-shm.dest.json hop-src.json hop-a.json hop-b.json auth.json auth-recv.json; do
	expect "$j: privileges: cap_eff 0, no_new_privs, seccomp filter, allowed_syscalls > 20" filtered "$j"
done
expect "run.json keeps the old privilege keys (CapEff, NoNewPrivs)" \
	jqe '.privileges.CapEff == "0000000000000000" and .privileges.NoNewPrivs == 1' "$d/run.json"
expect "run: the guest verified (all_verified)" jqe '.all_verified == true' "$d/run.json"
expect "linux: the guest's init ran and it powered off" grep -q 'rvmig-seccomp: init up' "$d/linux.txt"
expect "local: migrated, RAM identical, verified on the destination" \
	jqe '.ok == true and .total.hash_mismatches == 0 and .total.destination_verified == true' "$d/local.json"
expect "local-shm: migrated over the shm ring, RAM identical, verified on the destination" \
	jqe '.ok == true and .params.link == "shm" and .total.hash_mismatches == 0 and .total.destination_verified == true' \
	"$d/local-shm.json"
expect "hop: A received and sent the guest on to B (forward handed over), B verified it" \
	bash -c "jq -e '.guest_verified == true and .forward.total.handed_over == true' '$d/hop-a.json' >/dev/null &&
		jq -e '.guest_verified == true' '$d/hop-b.json' >/dev/null"
expect "auth: the destination authenticated the source" jqe '.authenticated == true and .ok == true' "$d/auth-recv.json"
expect "--no-seccomp: exits 0 (status $(rc_of off))" rc_is off 0
expect "--no-seccomp: privileges.seccomp is \"off\", allowed_syscalls 0" \
	jqe '.privileges.seccomp == "off" and .privileges.allowed_syscalls == 0' "$d/off.json"
expect "selftest: socket(AF_PACKET) refused, exit 1 (status $(rc_of selftest))" rc_is selftest 1
expect "selftest: exactly one refusal line, naming socket and riscv64" \
	bash -c "[ \"\$(grep -c 'seccomp refused' '$d/selftest.txt')\" = 1 ] &&
		grep -q '^rvmig: seccomp refused socket ([0-9]* on riscv64): not on rvmig.s allow list' '$d/selftest.txt'"
expect "selftest: no JSON written after the refusal (the process ended there)" test ! -e "$d/selftest.json"
expect "selftest with --no-seccomp: the call is not refused, exit 0 (status $(rc_of selftest-off))" \
	bash -c "[ \"\$(cat '$d/selftest-off.rc')\" = 0 ] && grep -q 'was not refused by a filter' '$d/selftest-off.txt'"
