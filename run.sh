#!/usr/bin/env bash
# rvmig lab: build what is missing, boot a riscv64 KVM host (QEMU TCG, or natively on a riscv64
# host with /dev/kvm), run a scenario inside and bring its results back to results/<run-id>/.
set -euo pipefail
RVMIG_ROOT=$(cd "$(dirname "$0")" && pwd)
. "$RVMIG_ROOT/lab/common.sh"

usage() {
	cat <<'EOU'
usage: ./run.sh [COMMAND] [OPTIONS] [-- SCENARIO ARGS]

Commands:
  (none)      the main job: a demo guest on hugetlb-2M with dirty logging, then a live migration
  demo        rvmig run: a guest dirtying hugetlb-2M memory, its write-fault latencies, verify
  migrate     precopy live migration of a running guest to a second VM, verified bit-exact;
              migrate -- --repeat N: the default migration N times (downtime median/min/max)
  migrate --frontier
              the convergence frontier: per --dirty mode and eager split Y/N, the highest guest
              dirty rate (MiB/s) at which precopy of a 1G hugetlb-2M guest converges within the
              downtime limit, by bisection; report.md, frontier.csv, frontier.png. Quick variant:
              migrate --frontier --mem 128M --modes manual --eager Y --probes 3 (all options:
              --mem --vcpus --modes --eager --probes --resolution --start --max --downtime-limit
              --post-run --duration; raises LAB_HUGEPAGES_2M to hold two guests)
  bench       eager page split on/off A/B (preset from configs/bench-<preset>.conf)
  selftests   the kernel's own dirty_log_perf_test: anon, hugetlb 2M and 1G, eager split Y and N
  soak        one guest live-migrated back and forth 100 times (each recv sends it on), backings and
              --dirty modes in turn; bit-exact and verified each hop, RSS and fds sampled
              (-- --hops N --mem SIZE --backings "LIST")
  shell       an interactive shell inside the lab; `shell -c 'CMD'` runs CMD and returns its status
  build       only build everything (kernel, initramfs, rvmig, guest)

Options:
  -c CMD            with `shell`: run CMD non-interactively (its output files land in results/)
  --run-id ID       name of the results directory (default: <command>-<date>-<time>)
  --timeout SEC     stop the lab after SEC seconds (default 1800)
  -h, --help        this text
Arguments after the command (or after --) go to the scenario, e.g. ./run.sh demo --backing hugetlb-1G

Environment:
  KERNEL_SRC=<tree>     build the lab kernel from this tree instead of Debian's linux-source-7.N
  KERNEL_IMAGE=<Image>  boot this riscv64 Image (headers and selftests still come from the source)
  LAB_KERNEL_TRACING=0  build and boot the lab kernel without its tracing block (no kprobe events)
  LAB_SMP, LAB_MEM      QEMU CPUs (2; a bench preset may raise it: scaling 4) and memory (6G);
                        LAB_HUGEPAGES_2M (512), LAB_HUGEPAGES_1G (2)
  LAB_BOOT_WATCHDOG     seconds a lab boot may take to reach its init before it is tried once more (240)
  RVMIG_CACHE           build cache (~/.cache/rvmig)

Results: results/<run-id>/ holds lab.json (host, QEMU, firmware, kernel), env.json (what the lab
kernel reported), console.log, the scenario's JSON/CSV/report.md, and exit-status.
EOU
}

cmd=default
case ${1:-} in
	demo|migrate|bench|selftests|soak|shell|build) cmd=$1; shift ;;
	-h|--help|help) usage; exit 0 ;;
	""|-*) ;;
	*) echo "rvmig: unknown command '$1' (try ./run.sh --help)" >&2; exit 2 ;;
esac
shell_cmd="" run_id="" args=()
while [ $# -gt 0 ]; do
	case $1 in
		-c) [ $# -ge 2 ] || { echo "rvmig: -c needs a command" >&2; exit 2; }; shell_cmd=$2; shift 2 ;;
		--run-id|--timeout)
			[ $# -ge 2 ] || { echo "rvmig: $1 needs a value (try ./run.sh --help)" >&2; exit 2; }
			if [ "$1" = --run-id ]; then run_id=$2; else export LAB_TIMEOUT=$2; fi
			shift 2 ;;
		-h|--help) usage; exit 0 ;;
		--) shift; args+=("$@"); break ;;
		*) args+=("$1"); shift ;;
	esac
done
[ "$cmd" = shell ] || [ -z "$shell_cmd" ] || { echo "rvmig: -c only goes with the shell command" >&2; exit 2; }
# migrate --frontier is a scenario of its own (lab/scenarios/frontier.sh, lab/report/frontier.py).
if [ "$cmd" = migrate ]; then
	rest=()
	for a in "${args[@]}"; do
		if [ "$a" = --frontier ]; then cmd=frontier; else rest+=("$a"); fi
	done
	args=("${rest[@]}")
	if [ "$cmd" = frontier ]; then
		. "$RVMIG_ROOT/lab/frontier-env.sh"
		frontier_lab_env "${args[@]}"
	fi
fi
# bench: a preset may ask for more harts (the scaling preset's 4 vCPUs).
if [ "$cmd" = bench ]; then
	. "$RVMIG_ROOT/lab/bench-env.sh"
	bench_lab_env "${args[@]}"
fi

native=0
[ "$(uname -m)" = riscv64 ] && [ -e /dev/kvm ] && native=1

# ---- build ---------------------------------------------------------------------------------------
. "$RVMIG_ROOT/lab/prepare.sh"
lab_prepare
[ "$cmd" = build ] && { say "built: $BUILD_DIR"; exit 0; }

# ---- run -----------------------------------------------------------------------------------------
run_id=${run_id:-$cmd-$(date +%Y%m%d-%H%M%S)}
run_dir="$RVMIG_ROOT/results/$run_id"
mkdir -p "$run_dir"
lab_write_job "$cmd" "$run_dir" "$shell_cmd" "${args[@]}"
lab_record_host "$run_dir" "$cmd"
say "run $run_id: results in results/$run_id/"
if [ "$native" = 1 ]; then
	(cd "$run_dir" && PATH="$BUILD_DIR/riscv64:$KERNEL_DIR/selftests:$PATH" RVMIG_GUEST="$BUILD_DIR/guest/guest.bin" \
		sh job.sh; echo $? >exit-status) 2>&1 | tee "$run_dir/console.log"
elif [ "$cmd" = shell ] && [ -z "$shell_cmd" ]; then
	"$RVMIG_ROOT/lab/boot.sh" "$run_dir" shell "$KERNEL_IMAGE_PATH" "$INITRAMFS"
	exit 0
else
	"$RVMIG_ROOT/lab/boot.sh" "$run_dir" job "$KERNEL_IMAGE_PATH" "$INITRAMFS"
fi
"$RVMIG_ROOT/lab/report.sh" "$cmd" "$run_dir" || say "making the report failed (raw results are in results/$run_id/)"
[ -f "$run_dir/exit-status" ] || die "the lab ended without an exit status: see results/$run_id/console.log"
rc=$(cat "$run_dir/exit-status")
say "done: results/$run_id/ (exit status $rc)"
exit "$rc"
