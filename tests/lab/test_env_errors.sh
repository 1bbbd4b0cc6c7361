#!/usr/bin/env bash
# A bad environment gives one clear line naming what is missing and what to do, and a non-zero exit.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one_line_error NAME EXPECTED-REGEX command...: fails with status 1 and one "rvmig: error:" line matching
one_line_error() {
	local name=$1 re=$2; shift 2
	local out rc
	out=$("$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" = 1 ] && [ "$(grep -c '^rvmig: error:' <<<"$out")" = 1 ] && grep -qE "$re" <<<"$out"; then
		ok "$name"
	else
		notok "$name (status $rc, said: $(tail -n 3 <<<"$out" | tr '\n' '|'))"
	fi
}

one_line_error "KERNEL_SRC that is not a kernel tree" "KERNEL_SRC=$tmp is not a Linux kernel tree" \
	env KERNEL_SRC="$tmp" lab/kernel-source.sh
one_line_error "no network to the mirror" "cannot reach the Debian mirror http://127.0.0.1:9/debian" \
	env RVMIG_CACHE="$tmp/c1" RVMIG_MIRROR=http://127.0.0.1:9/debian lab/kernel-source.sh
one_line_error "no linux-source >= 7.3 in the suites" "no linux-source-7.N with N >= 3 in bookworm.*KERNEL_SRC" \
	env RVMIG_CACHE="$tmp/c2" RVMIG_SUITES=bookworm lab/kernel-source.sh

mkdir -p "$tmp/oldqemu"
printf '#!/bin/sh\necho "QEMU emulator version 6.1.0"\n' >"$tmp/oldqemu/qemu-system-riscv64"
chmod +x "$tmp/oldqemu/qemu-system-riscv64"
one_line_error "QEMU too old" "QEMU 6.1.0 is too old.*>= 7.0" \
	env PATH="$tmp/oldqemu:$PATH" bash -c '. lab/common.sh; . lab/prepare.sh; check_qemu'

# Not root and no sudo: installing a missing package must say so (run as nobody, sudo hidden).
# nobody gets its own copy of common.sh and runs in $tmp: the checkout may live where nobody cannot
# read (root's mode-700 home, as a root user clones it), and the test must not depend on where it is.
chmod 755 "$tmp"
cp lab/common.sh "$tmp/common.sh" && chmod 644 "$tmp/common.sh"
# shellcheck disable=SC2016 # the inner bash expands $1
one_line_error "not root, no sudo" "needs root" \
	bash -c 'cd "$1" && exec setpriv --reuid=nobody --regid=nogroup --clear-groups env PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$1" \
		bash -c ". ./common.sh; sudo() { return 1; }; apt_need rvmig-no-such-package"' _ "$tmp"

out=$(./run.sh frobnicate 2>&1); rc=$?
expect "an unknown command is a usage error (status 2) with a hint" \
	bash -c "[ $rc = 2 ] && grep -q 'try ./run.sh --help' <<<'$out'"
expect "./run.sh --help lists the commands" bash -c "./run.sh --help | grep -q 'selftests'"

mkdir -p "$tmp/k"; echo no >"$tmp/k/eager-split"; echo 7.2.13 >"$tmp/k/kernelrelease"
one_line_error "a kernel without eager page splitting is refused for the A/B" "kernel 7.2.13 has no RISC-V eager page splitting.*KERNEL_SRC" \
	env KERNEL_DIR="$tmp/k" bash -c '. lab/common.sh; . lab/prepare.sh; native=0; require_eager_split'

out=$(./run.sh shell --run-id 2>&1); rc=$?
expect "an option without its value is a usage error (status 2) naming it" \
	bash -c "[ $rc = 2 ] && grep -q -- '--run-id needs a value' <<<'$out'"
