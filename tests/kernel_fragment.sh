#!/usr/bin/env bash
# Host test of lab/kernel-fragment.sh: the lab kernel's default fragment is configs/kvm-host.config
# byte for byte (so the traced kernel's cache key does not move), and LAB_KERNEL_TRACING=0 drops
# exactly the tracing block: the four tracing options, nothing else, every other line kept in order.
# Prints "ok - name" / "not ok - name" per check for tests/run.sh.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
frag=$root/configs/kvm-host.config
gen=$root/lab/kernel-fragment.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # name, then a command that must succeed
	local name=$1
	shift
	if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fi
}
opts() { grep -oE '^CONFIG_[A-Z0-9_]+' "$1" | sort; }

"$gen" >"$tmp/default"
check "kernel-fragment: default is configs/kvm-host.config unchanged" cmp -s "$tmp/default" "$frag"
LAB_KERNEL_TRACING=1 "$gen" >"$tmp/traced"
check "kernel-fragment: LAB_KERNEL_TRACING=1 is configs/kvm-host.config unchanged" cmp -s "$tmp/traced" "$frag"

LAB_KERNEL_TRACING=0 "$gen" >"$tmp/notrace"
check "kernel-fragment: LAB_KERNEL_TRACING=0 succeeds" test -s "$tmp/notrace"
comm -23 <(opts "$frag") <(opts "$tmp/notrace") >"$tmp/dropped"
printf '%s\n' CONFIG_FTRACE CONFIG_KALLSYMS CONFIG_KPROBES CONFIG_KPROBE_EVENTS | sort >"$tmp/tracing"
check "kernel-fragment: notrace lacks exactly KALLSYMS, FTRACE, KPROBES, KPROBE_EVENTS" cmp -s "$tmp/dropped" "$tmp/tracing"
check "kernel-fragment: notrace adds no option" test -z "$(comm -13 <(opts "$frag") <(opts "$tmp/notrace"))"
# Every kept line in its original order: the notrace fragment is the default minus one run of lines.
kept=$(diff "$frag" "$tmp/notrace" | grep -c '^>')
removed=$(diff "$frag" "$tmp/notrace" | grep -c '^<')
check "kernel-fragment: notrace only removes lines (0 added, $removed removed)" test "$kept" = 0
check "kernel-fragment: notrace removes one contiguous block" \
	test "$(diff "$frag" "$tmp/notrace" | grep -cE '^[0-9]+(,[0-9]+)?d[0-9]+$')" = 1
check "kernel-fragment: notrace keeps $(grep -c . "$tmp/notrace") of $(grep -c . "$frag") lines, all but the block" \
	test "$(($(wc -l <"$frag") - removed))" = "$(wc -l <"$tmp/notrace")"

# A tracing block in the middle of a fragment: dropped up to its blank line, the rest kept.
printf '# base\nCONFIG_A=y\n\n# In-kernel tracing, say\nCONFIG_KPROBES=y\n\n# after\nCONFIG_B=y\n' >"$tmp/mid"
LAB_KERNEL_TRACING=0 "$gen" "$tmp/mid" >"$tmp/mid.out"
check "kernel-fragment: a block mid-fragment ends at its blank line" \
	test "$(opts "$tmp/mid.out" | tr '\n' ' ')" = "CONFIG_A CONFIG_B "

# No marked block: refused, not printed unchanged (an untraced kernel that traces would go unnoticed).
printf 'CONFIG_A=y\nCONFIG_KPROBES=y\n' >"$tmp/nomark"
LAB_KERNEL_TRACING=0 "$gen" "$tmp/nomark" >"$tmp/nomark.out" 2>"$tmp/nomark.err"
rc=$?
check "kernel-fragment: no tracing block is an error (status $rc, nothing printed)" \
	test "$rc" != 0 -a ! -s "$tmp/nomark.out"
check "kernel-fragment: the error names the missing block" grep -q 'no tracing block' "$tmp/nomark.err"
LAB_KERNEL_TRACING=yes "$gen" >/dev/null 2>"$tmp/bad.err"
rc=$?
check "kernel-fragment: LAB_KERNEL_TRACING=yes is bad input (status 2, one line)" \
	test "$rc" = 2 -a "$(grep -c . "$tmp/bad.err")" = 1
# kernel-build.sh hashes the fragment as printf '%s\n' "$(kernel-fragment.sh)": the same bytes as the
# file (so the traced kernel keeps its cache key) as long as the file ends in exactly one newline.
check "kernel-fragment: configs/kvm-host.config ends in exactly one newline" \
	test "$(tail -c 2 "$frag" | od -An -c | tr -d ' ')" != '\n\n' -a "$(tail -c 1 "$frag" | od -An -c | tr -d ' ')" = '\n'
