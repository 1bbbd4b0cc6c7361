#!/usr/bin/env bash
# Smoke test of the guest without the rvmig VMM, under plain QEMU (TCG) + OpenSBI fw_dynamic:
#   1. builds the guest as the Makefile does (the KVM image, linked at RVMIG_RAM_BASE 0x80000000);
#   2. links the same sources at 0x80200000, where OpenSBI jumps (guest.ld, GUEST_LOAD_ADDR);
#   3. boots it with 1, 2 and 4 harts: with no control block the guest runs its built-in self-test
#      and shuts down through SBI SRST;
#   4. boots it with 2 and 4 harts under gdb-vmm.py, a stand-in VMM that fills and drives the control
#      block through QEMU's gdbstub and reads the stats with the seqcount protocol (needs python3);
#   5. boots a variant that makes a bad load on purpose: the trap must be reported, then SRST.
# Prints "ok - ..." / "not ok - ..." lines (tests/run.sh counts them); exits 0 when all pass.
# Env: BUILD (default /tmp/build-guest), QEMU, OPENSBI, TIMEOUT (seconds per boot, default 60).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-/tmp/build-guest}
QEMU=${QEMU:-qemu-system-riscv64}
OPENSBI=${OPENSBI:-/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin}
TIMEOUT=${TIMEOUT:-60}
CROSS=${CROSS:-riscv64-linux-gnu-}
SMOKE_LOAD_ADDR=0x80200000
OPENSBI_BASE=0x80000000 # PMP-protected from S-mode: loading from it must trap
out=$BUILD/guest-smoke
fail=0

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fail=1; }

mkdir -p "$out"
if make -C "$ROOT" -s BUILD="$BUILD" guest >"$out/build.log" 2>&1; then
	ok "guest builds (KVM image at 0x80000000)"
else
	sed 's/^/    /' "$out/build.log"; not_ok "guest builds (KVM image at 0x80000000)"; exit 1
fi

# The Makefile's own flags and sources, so every image shares everything but the load address.
# shellcheck disable=SC2016 # $(%s) is make's expansion
make_var() { printf 'print-var:\n\t@echo $(%s)\n' "$1" | make -C "$ROOT" -s -f Makefile -f - print-var; }
read -r -a cflags <<<"$(make_var GUEST_CFLAGS)"
read -r -a srcs <<<"$(make_var GUEST_SRCS)"

# build_variant NAME EXTRA-FLAGS...: $out/NAME.elf linked at the OpenSBI payload address.
build_variant() {
	local name=$1; shift
	if (cd "$ROOT" && "${CROSS}gcc" "${cflags[@]}" "$@" -T guest/guest.ld \
		-Wl,--defsym=GUEST_LOAD_ADDR=$SMOKE_LOAD_ADDR -o "$out/$name.elf" "${srcs[@]}" -lgcc) \
		>"$out/$name.build.log" 2>&1; then
		ok "$name image builds (linked at $SMOKE_LOAD_ADDR)"
	else
		sed 's/^/    /' "$out/$name.build.log"; not_ok "$name image builds"; exit 1
	fi
}
build_variant guest-smoke
build_variant guest-trap -DGUEST_TEST_TRAP_ADDR=$OPENSBI_BASE

command -v "$QEMU" >/dev/null || { not_ok "$QEMU not installed"; exit 1; }
[ -r "$OPENSBI" ] || { not_ok "OpenSBI firmware $OPENSBI missing (Debian package opensbi)"; exit 1; }

# qemu_boot IMAGE SMP LOG: boots until the guest powers off (or TIMEOUT); returns QEMU's status.
qemu_boot() {
	timeout --foreground "$TIMEOUT" "$QEMU" -machine virt -cpu rv64 -smp "$2" -m 256M -nographic \
		-monitor none -serial stdio -bios "$OPENSBI" -kernel "$1" </dev/null 2>&1 | tr -d '\r' >"$3"
	return "${PIPESTATUS[0]}"
}

# report NAME LOG WHY...: one ok/not ok line; the console tail when something is wrong.
report() {
	local name=$1 log=$2; shift 2
	if [ $# -eq 0 ]; then
		ok "$name"
	else
		grep -v '^$' "$log" | tail -n 40 | sed 's/^/    /'
		not_ok "$name: $(IFS=';'; echo "$*")"
	fi
}

selftest_boot() {
	local smp=$1 log="$out/qemu-smp$1.log" rc why=() up verified
	qemu_boot "$out/guest-smoke.elf" "$smp" "$log"; rc=$?
	[ "$rc" -eq 124 ] && why+=("timed out after ${TIMEOUT}s")
	grep -q 'rvmig-guest: self-test PASSED' "$log" || why+=("no 'self-test PASSED'")
	grep -q 'rvmig-guest: shutdown (ok)' "$log" || why+=("no clean shutdown")
	grep -q 'PANIC' "$log" && why+=("guest panicked")
	grep -q 'selftest: not ok' "$log" && why+=("a self-test step failed")
	up=$(grep -c 'rvmig-guest: hart [0-9]* up' "$log")
	[ "$up" -eq "$smp" ] || why+=("$up of $smp harts came up")
	# Three verify rounds per hart, all good but slice 0's in the round with the corrupted page.
	verified=$(grep -c 'verify OK' "$log")
	[ "$verified" -eq $((3 * smp - 1)) ] || why+=("$verified verify-OK lines, want $((3 * smp - 1))")
	report "self-test passes under QEMU+OpenSBI with $smp hart(s)" "$log" "${why[@]}"
}

trap_boot() {
	local log="$out/qemu-trap.log" rc why=()
	qemu_boot "$out/guest-trap.elf" 2 "$log"; rc=$?
	[ "$rc" -eq 124 ] && why+=("hung: timed out after ${TIMEOUT}s")
	grep -qE 'PANIC: hart [0-9]+: unexpected trap: scause=5 \(load access fault\).*stval=80000000' "$log" ||
		why+=("no trap report with scause=5 stval=80000000")
	report "an unexpected trap is reported and the guest resets" "$log" "${why[@]}"
}

for smp in 1 2 4; do
	selftest_boot "$smp"
done
trap_boot
# python3 is one of the lab's host packages (lab/prepare.sh): without it this is a failure, not a skip.
for smp in 2 4; do
	QEMU=$QEMU OPENSBI=$OPENSBI python3 "$ROOT/guest/gdb-vmm.py" "$out/guest-smoke.elf" "$smp" ||
		fail=1
done
exit "$fail"
