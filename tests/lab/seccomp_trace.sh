#!/usr/bin/env bash
# How vmm/lib/syscall_allow.c was derived (not a test: run it by hand after changing what rvmig does
# after setup). One lab boot runs every command with RVMIG_SECCOMP_TRACE=1: the filter is installed
# as usual, but a call not on the allow list is made anyway and printed once ("rvmig: seccomp trace:
# NAME (NR on riscv64) is not on the allow list"). Prints the union of what was printed (empty: the
# list covers these runs) and leaves every run's output in results/<id>/trace-*.txt.
# SECCOMP_TRACE=all: the filter allows (almost) nothing, so every call used is printed: what the table
# needs at least (compare: calls on the table that no run made are error paths or stale).
#   [SECCOMP_TRACE=all] tests/lab/seccomp_trace.sh [RUN-ID]
. "$(dirname "$0")/lib.sh"
. lab/common.sh

id=${1:-$(test_run_id seccomp-trace)}
dir=results/$id
mkdir -p "$dir"
# shellcheck disable=SC2012 # the newest by mtime; the cache has plain directory names
image=${KERNEL_IMAGE:-$(ls -t "$RVMIG_CACHE"/kernel/*/Image 2>/dev/null | head -n 1)}
cp "$image" "$dir/Image"
printf '#!/bin/busybox sh\n/bin/busybox poweroff -f\n' >"$dir/init.sh"
# shellcheck disable=SC2016 # the job runs in the lab's shell
job='export RVMIG_SECCOMP_TRACE='"${SECCOMP_TRACE:-1}"'
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
s="--vcpus 2 --mem 32M --backing hugetlb-2M"
t() { n=$1; shift; timeout 300 "$@" >trace-$n.txt 2>&1; echo "$n: rc $?" >>trace-rc.txt; }
mkdir -p /tmp/ir/bin && cp /bin/busybox /tmp/ir/bin/ && cp init.sh /tmp/ir/init && chmod 755 /tmp/ir/init
(cd /tmp/ir && find . | busybox cpio -o -H newc) >/tmp/initrd.cpio
t run rvmig run $s --dirty-log --duration 1s --json run.json
t run-thp rvmig run --vcpus 1 --mem 32M --backing thp --duration 500ms --json run-thp.json
t linux rvmig run --kernel Image --initrd /tmp/initrd.cpio --vcpus 2 --mem 128M
t bench rvmig bench $s --passes 2 --cancel --json bench.json
t bench-ring rvmig bench $s --passes 1 --dirty ring --json bench-ring.json
for m in get manual manual-init-set ring; do
	t local-$m rvmig migrate $s --dirty $m --duration 500ms --rate 300 --to local --post-run 300ms --json local-$m.json
done
# A chain: A receives and sends on to B (its dirty ring set up at receive, logging turned on after).
rvmig recv --listen unix:/tmp/b.sock $s --backing thp --post-run 300ms --accept-timeout 120s --json chain-b.json >trace-chain-b.txt 2>&1 &
b=$!
rvmig recv --listen unix:/tmp/a.sock $s --post-run 300ms --accept-timeout 120s --then-migrate-to unix:/tmp/b.sock \
	--dirty ring --migrate-after 300ms --json chain-a.json >trace-chain-a.txt 2>&1 &
a=$!
sleep 2
t chain-src rvmig migrate $s --duration 500ms --to unix:/tmp/a.sock --post-run 300ms --json chain-src.json
wait $a; echo "chain-a: rc $?" >>trace-rc.txt
wait $b; echo "chain-b: rc $?" >>trace-rc.txt
# tcp with --auth-key (getrandom, the handshake), and a source whose destination is not there.
(umask 077; head -c 32 /dev/urandom >k1)
rvmig recv --listen tcp:0.0.0.0:4460 --auth-key k1 $s --post-run 300ms --accept-timeout 60s --json auth-recv.json >trace-auth-recv.txt 2>&1 &
r=$!
sleep 2
t auth rvmig migrate $s --duration 500ms --to tcp:127.0.0.1:4460 --auth-key k1 --json auth.json
wait $r; echo "auth-recv: rc $?" >>trace-rc.txt
t refused rvmig migrate $s --duration 500ms --to unix:/tmp/nobody.sock --connect-timeout 1s --json refused.json
t selftest env RVMIG_SECCOMP_TRACE= RVMIG_SECCOMP_SELFTEST=1 rvmig run $s --duration 500ms'
./run.sh shell --run-id "$id" --timeout 1500 -c "$job" >"$dir/shell.txt" 2>&1
cat "$dir/trace-rc.txt"
grep -ho 'seccomp trace: .* is not on' "$dir"/trace-*.txt | sort | uniq -c | sort -rn
