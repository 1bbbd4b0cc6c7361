#!/usr/bin/env bash
# What the lab kernel's in-kernel tracing (configs/kvm-host.config's tracing block: KALLSYMS, FTRACE,
# KPROBES, KPROBE_EVENTS) costs when it is built in but no probe is armed: boot time and the bench's
# figures on the traced kernel (the default) vs the same kernel without the block
# (LAB_KERNEL_TRACING=0), booted in turn, traced first: A B A B ... Only the Image differs between the
# boots (KERNEL_IMAGE=): initramfs, rvmig and the bench's cases are the same.
#
# Usage: lab/tracing-cost.sh [--boots N] [--run-id ID] [-- BENCH ARGS]
#   --boots N     boots of each kernel (default 3)
#   --run-id ID   results/ID/ (default tracing-cost-<date>-<time>)
#   BENCH ARGS    arguments of the bench scenario (default: --preset quick --no-perf --no-sweep);
#                 the traced kernel's boots get --no-ktrace (no probe armed); the untraced kernel's
#                 boots do not need it: their bench finds no kprobe events and says so
# Results: results/ID/boot-NN-{traced,untraced}/ (each a ./run.sh bench run, plus console.stamped:
# its console lines with the host's monotonic time in front, and host-load.txt), kernels.txt, and
# report.md, tracing-cost.json, tracing-cost.csv (lab/report/tracing_cost.py; remake them with
# lab/report.sh tracing-cost results/ID). The untraced kernel is built under nice -n 19 if it is not
# in the cache yet (~25-30 min on 2 cores).
set -euo pipefail
. "$(dirname "$0")/common.sh"

boots=3 run_id="" bench_args=(--preset quick --no-perf --no-sweep)
while [ $# -gt 0 ]; do
	case $1 in
		--boots)
			[[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "tracing-cost: --boots needs a count >= 1 (e.g. --boots 3)" >&2; exit 2; }
			boots=$2; shift 2 ;;
		--run-id)
			[ -n "${2:-}" ] || { echo "tracing-cost: --run-id needs a name (e.g. --run-id tracing-cost-1)" >&2; exit 2; }
			run_id=$2; shift 2 ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		--) shift; bench_args=("$@"); break ;;
		*) echo "tracing-cost: unknown argument '$1' (try lab/tracing-cost.sh --help)" >&2; exit 2 ;;
	esac
done
[ "$(uname -m)" = riscv64 ] && [ -e /dev/kvm ] &&
	die "tracing-cost compares two lab kernels booted under QEMU; on a native KVM host boot each kernel yourself"

src=$("$RVMIG_ROOT/lab/kernel-source.sh")
traced=$("$RVMIG_ROOT/lab/kernel-build.sh" "$src")
untraced=$(LAB_KERNEL_TRACING=0 nice -n 19 "$RVMIG_ROOT/lab/kernel-build.sh" "$src")
run_id=${run_id:-tracing-cost-$(date +%Y%m%d-%H%M%S)}
dir="$RVMIG_ROOT/results/$run_id"
mkdir -p "$dir"
{
	for k in traced untraced; do
		d=$traced
		[ $k = untraced ] && d=$untraced
		printf '%s %s %s\n' "$k" "$d/Image" "$(grep -E '^(# )?CONFIG_(KALLSYMS|FTRACE|KPROBES|KPROBE_EVENTS)[ =]' "$d/obj/.config" | tr '\n' ' ')"
	done
} >"$dir/kernels.txt"

# Host monotonic time before every console line, as the line arrives (run.sh's stdout is the console).
stamp() {
	python3 -u -c '
import sys, time
out = open(sys.argv[1], "w", encoding="utf-8", errors="replace")
for raw in iter(sys.stdin.buffer.readline, b""):
    t = time.monotonic()
    line = raw.decode("utf-8", "replace")
    out.write("%.3f %s" % (t, line)); out.flush()
    sys.stdout.write(line); sys.stdout.flush()
' "$1"
}

failed=0 n=0
for _boot in $(seq 1 "$boots"); do
	for k in traced untraced; do
		n=$((n + 1))
		img=$traced/Image off=(--no-ktrace)
		[ $k = untraced ] && img=$untraced/Image off=()
		sub=$(printf 'boot-%02d-%s' "$n" "$k")
		mkdir -p "$dir/$sub"
		cut -d' ' -f1-3 /proc/loadavg >"$dir/$sub/host-load.txt"
		say "tracing-cost: boot $n of $((2 * boots)): $k kernel ($img)"
		set +e
		KERNEL_IMAGE=$img "$RVMIG_ROOT/run.sh" bench --run-id "$run_id/$sub" -- "${off[@]}" "${bench_args[@]}" |
			stamp "$dir/$sub/console.stamped"
		rc=${PIPESTATUS[0]}
		set -e
		[ "$rc" = 0 ] || { say "tracing-cost: boot $n ($k) ended with status $rc (kept; the report counts it)"; failed=1; }
	done
done
"$RVMIG_ROOT/lab/report.sh" tracing-cost "$dir" || die "making the tracing-cost report failed: raw results in $dir"
say "tracing-cost: results/$run_id/report.md"
exit "$failed"
