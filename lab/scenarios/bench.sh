# rvmig bench: what eager page splitting costs, where, and what it buys the vCPUs (busybox sh, in
# the lab). Runs a preset's matrix of `rvmig bench` cases, each with the module parameter
# eager_page_split toggled in this boot (Y N Y N ...), the kernel's dirty_log_perf_test with the
# matching configuration, and a clear-chunk sweep. Raw results go to bench/ and perf/; the host's
# lab/report/ (python3 -m report bench) turns them into bench.json, bench.csv, report.md and plots.
#
# Arguments:
#   --preset NAME    configs/bench-NAME.conf (default quick); run.sh puts it in this directory
#   --only NAME      run only the case (or sweep) called NAME of the preset
#   --case 'NAME|OPTS'  run this one case instead of the preset's (OPTS: rvmig bench options)
#   --reps N         repetitions per case and setting (overrides the preset)
#   --passes N       default dirty passes per case (overrides the preset)
#   --no-perf        skip dirty_log_perf_test      --no-sweep   skip the clear-chunk sweep
#   (the preset's MIGRATE options, when set: one `rvmig migrate` at the end, not with --only/--case)
#   --rvmig PATH     the rvmig binary to run (default: rvmig)
#   --no-ktrace      no in-kernel counts even when the kernel can (no kprobe armed): the traced kernel
#                    as it runs when nobody traces, for lab/tracing-cost.sh's traced vs untraced boots
#   --linux          also the Linux-guest case "linux" (run.sh copies Image and linux-guest.cpio.gz here):
#                    rvmig run --kernel --dirty-log, eager Y and N interleaved, --reps or 3 repetitions
#                    each, results in linux/; `--linux --only linux` runs it alone. Not in any preset: a
#                    run boots Linux in the KVM guest, ~20-30 s under TCG (2026-12-02).
PARAM=/sys/module/kvm/parameters/eager_page_split
# The job's first line: kernel boot to here on the lab's own clock (lab/tracing-cost.sh reads it,
# and times it from the host too).
echo "bench: started at uptime $(cut -d' ' -f1 /proc/uptime) s"
preset=quick only="" one_case="" reps="" passes="" noperf=0 nosweep=0 RVMIG=rvmig linux=0 noktrace=0
while [ $# -gt 0 ]; do
	case $1 in
		--preset) preset=$2; shift 2 ;;
		--only) only=$2; shift 2 ;;
		--case) one_case=$2; shift 2 ;;
		--reps) reps=$2; shift 2 ;;
		--passes) passes=$2; shift 2 ;;
		--no-perf) noperf=1; shift ;;
		--no-sweep) nosweep=1; shift ;;
		--rvmig) RVMIG=$2; shift 2 ;;
		--linux) linux=1; shift ;;
		--no-ktrace) noktrace=1; shift ;;
		*) echo "bench: unknown argument '$1' (see lab/scenarios/bench.sh)" >&2; exit 2 ;;
	esac
done
[ -w "$PARAM" ] || { echo "bench: $PARAM missing: this kernel ($(uname -r)) has no RISC-V eager page splitting" >&2; exit 1; }
conf=bench-$preset.conf
if [ -f "$conf" ]; then
	# shellcheck source=/dev/null # a preset, configs/bench-*.conf, that run.sh copies into the run directory
	. "./$conf"
elif [ -z "$one_case" ]; then
	echo "bench: $conf is not in the run directory (run.sh copies configs/bench-*.conf there); or give --case" >&2
	exit 1
fi
[ -n "$one_case" ] && { CASES=$one_case; SWEEP=""; }
REPS=${reps:-${REPS:-2}} PASSES=${passes:-${PASSES:-2}} VCPUS=${VCPUS:-2} EAGER=${EAGER:-Y N} PERF=${PERF:-1}
PERF_REPS=${PERF_REPS:-$REPS}
[ "$noperf" = 1 ] && PERF=0
[ "$nosweep" = 1 ] && SWEEP=""
perf=$(command -v dirty_log_perf_test || true)
[ "$PERF" = 1 ] && [ -z "$perf" ] && { echo "bench: dirty_log_perf_test not found: running without it"; PERF=0; }
mkdir -p bench perf
[ "$linux" = 1 ] && mkdir -p linux
# The Linux-guest case: the workload stamps its memory once (huge G-stage mappings), then logging goes
# on (timed) and its first dirty pass runs for --duration, at full speed.
LINUX_OPTS=${LINUX_OPTS:---kernel Image --initrd linux-guest.cpio.gz --vcpus 2 --mem 256M --backing hugetlb-2M --duration 3s --dirty-log}

# Value of option $1 in the option words that follow, the last one winning as in rvmig ("" when absent).
optval() {
	local want="$1" v=""; shift
	while [ $# -gt 0 ]; do
		[ "$1" = "$want" ] && v=${2:-}
		case $1 in "$want="*) v=${1#*=} ;; esac
		shift
	done
	echo "$v"
}
# "128M" / "1G" -> MiB
mib() {
	case $1 in
		*G) echo $((${1%G} * 1024)) ;;
		*M) echo "${1%M}" ;;
		*) echo 128 ;;
	esac
}
perf_backing() {
	case $1 in
		anon) echo anonymous ;; thp) echo anonymous_thp ;;
		hugetlb-2M) echo anonymous_hugetlb_2mb ;; hugetlb-1G) echo anonymous_hugetlb_1gb ;;
	esac
}

# The plan: one line per run, "kind|name|eager|rep|options" (kind: case, perf, sweep), built first
# so the progress line can say how much is left.
plan=bench/plan.txt
: >"$plan"
add_case_runs() { # name opts rep noperf
	local name="$1" opts="$2" rep="$3" noperf="$4" e dirty
	for e in $EAGER; do
		echo "case|$name|$e|$rep|--vcpus $VCPUS --passes $PASSES $opts" >>"$plan"
		# shellcheck disable=SC2086 # opts holds option words: split on purpose
		dirty=$(optval --dirty $opts)
		if [ "$PERF" = 1 ] && [ "$noperf" = 0 ] && [ "$rep" -le "$PERF_REPS" ] &&
			{ [ "$dirty" = get ] || [ "$dirty" = manual-init-set ]; }; then
			echo "perf|$name|$e|$rep|--vcpus $VCPUS --passes $PASSES $opts" >>"$plan"
		fi
	done
}
rep=1
while [ "$rep" -le "$REPS" ]; do
	echo "$CASES" | while IFS='|' read -r name opts; do
		[ -n "$name" ] || continue
		# NAME!once: one repetition only; NAME!noperf: no dirty_log_perf_test next to it.
		noperf=0
		case $name in *'!noperf'*) noperf=1 ;; esac
		case $name in *'!once'*) [ "$rep" = 1 ] || continue ;; esac
		name=${name%%!*}
		[ -z "$only" ] || [ "$only" = "$name" ] || continue
		add_case_runs "$name" "$opts" "$rep" "$noperf"
	done
	rep=$((rep + 1))
done
if [ -n "${SWEEP:-}" ]; then
	echo "$SWEEP" | while IFS='|' read -r name opts chunks; do
		[ -n "$name" ] || continue
		[ -z "$only" ] || [ "$only" = "$name" ] || continue
		for c in $chunks; do
			for e in $EAGER; do
				echo "sweep|$name@$c|$e|1|--vcpus $VCPUS --passes $PASSES $opts --clear-chunk $c" >>"$plan"
			done
		done
	done
fi
if [ "$linux" = 1 ] && { [ -z "$only" ] || [ "$only" = linux ]; }; then
	rep=1
	while [ "$rep" -le "${reps:-3}" ]; do
		for e in $EAGER; do echo "linux|linux|$e|$rep|$LINUX_OPTS" >>"$plan"; done
		rep=$((rep + 1))
	done
fi
total=$(grep -c . "$plan")
[ "$total" -gt 0 ] || { echo "bench: nothing to run (--only '$only' matches no case of $conf?)" >&2; exit 2; }

# Weight of a run for the time-left estimate: pages written (first touch + passes) plus a fixed cost.
weight() { # kind opts
	local kind="$1"; shift
	local m p v
	m=$(mib "$(optval --mem "$@")") p=$(optval --passes "$@")
	[ -n "$p" ] || p=$PASSES
	[ "$kind" = perf ] && p=$((p + 2))
	echo $((m * (p + 1) + 64))
}
total_w=0
while IFS='|' read -r kind name e rep opts; do
	# shellcheck disable=SC2086 # opts holds option words: split on purpose
	total_w=$((total_w + $(weight "$kind" $opts)))
done <"$plan"
lx=""
[ "$linux" = 1 ] && lx=", Linux-guest case ${reps:-3} reps"
echo "bench: preset $preset, $total runs (reps $REPS$lx, eager $EAGER), kernel $(uname -r), eager_page_split=$(cat $PARAM)"
{
	echo "preset=$preset"; echo "kernel=$(uname -r)"; echo "param_before=$(cat $PARAM)"
	echo "cpu=$(grep -m1 -E '^(isa|uarch|model name)' /proc/cpuinfo | sed 's/.*: //')"
	echo "mmu=$(grep -m1 '^mmu' /proc/cpuinfo | sed 's/.*: //')"
	echo "hugepages_2M=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null)"
	echo "hugepages_1G=$(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages 2>/dev/null)"
	echo "thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
	echo "uptime_at_start=$(cut -d' ' -f1 /proc/uptime)"
} >bench/env.txt

# In-kernel split counts and per-fault durations (lab/ktrace.sh, copied here by run.sh): recorded
# around every case when the kernel can, with rvmig's phase marks; bench/env.txt says whether it
# could and, if not, why, and which of the probed functions this kernel lacks.
ktrace=0 marks=""
[ "$noktrace" = 1 ] && KTRACE_WHY="switched off (--no-ktrace): no probe armed"
# shellcheck source=lab/ktrace.sh
if [ "$noktrace" = 0 ] && [ -f ./ktrace.sh ] && . ./ktrace.sh && ktrace_init; then
	ktrace=1 marks=--trace-marks
	{ echo "ktrace=yes"; echo "ktrace_probes=$KTRACE_PROBES"; echo "ktrace_missing=$KTRACE_MISSING"; } >>bench/env.txt
	[ -z "$KTRACE_MISSING" ] || echo "bench: this kernel lacks (as probe-able functions):$KTRACE_MISSING"
else
	echo "ktrace=no: ${KTRACE_WHY:-lab/ktrace.sh is not in the run directory}" >>bench/env.txt
	echo "bench: no in-kernel counts: ${KTRACE_WHY:-lab/ktrace.sh is not in the run directory}"
fi

# Per-fault probes on cases of at most KTRACE_FAULTS_MIB of guest RAM (preset; default 256): the
# text trace of a 1G case's pass is ~1M lines, minutes to print under TCG. Larger cases get the split
# probes only (their counts, not the per-fault durations).
trace_what() {
	[ "$(mib "$(optval --mem "$@")")" -le "${KTRACE_FAULTS_MIB:-256}" ] && echo faults || echo splits
}
# Trace buffer per CPU for a case, KiB: every guest page written once per pass, at boot and (--cancel)
# in the pass with logging off, up to 6 events per write fault (mmu_map, fast path, map_page: entry
# and return) of ~40 bytes, all on one CPU at worst; 4 MiB at least.
trace_kb() {
	local m p c=0
	m=$(mib "$(optval --mem "$@")") p=$(optval --passes "$@")
	[ -n "$p" ] || p=$PASSES
	for w in "$@"; do [ "$w" = --cancel ] && c=1; done
	p=$((m * 256 * (p + 1 + c) * 6 * 40 / 1024))
	[ "$(trace_what "$@")" = faults ] || p=4096
	[ "$p" -ge 4096 ] || p=4096
	echo "$p"
}

run_case() { # tag opts: rvmig bench, JSON to bench/TAG.json, kprobe trace to bench/TAG.ktrace
	local tag="$1"; shift
	[ "$ktrace" = 1 ] && ktrace_begin "$(trace_kb "$@")" "$(trace_what "$@")"
	$RVMIG bench "$@" $marks --label "$tag" --quiet --json "bench/$tag.json" </dev/null >"bench/$tag.out" 2>&1
	echo $? >"bench/$tag.rc"
	[ "$ktrace" = 1 ] && ktrace_end "bench/$tag.ktrace"
	[ "$(cat "bench/$tag.rc")" = 0 ] || { echo "   FAILED (status $(cat "bench/$tag.rc")):"; tail -n 3 "bench/$tag.out" | sed 's/^/   /'; }
}
run_linux() { # tag opts: rvmig run --kernel --dirty-log, results in linux/TAG.*; splits counted over the run
	local tag="$1"; shift
	# Split probes only: a per-fault trace of a Linux boot is far bigger than the case's window.
	[ "$ktrace" = 1 ] && ktrace_begin 4096 splits
	$RVMIG run "$@" --quiet --json "linux/$tag.json" </dev/null >"linux/$tag.out" 2>&1
	echo $? >"linux/$tag.rc"
	[ "$ktrace" = 1 ] && ktrace_end "linux/$tag.ktrace"
	[ "$(cat "linux/$tag.rc")" = 0 ] || { echo "   FAILED (status $(cat "linux/$tag.rc")):"; tail -n 3 "linux/$tag.out" | sed 's/^/   /'; }
}
run_perf() { # tag opts: dirty_log_perf_test with the case's configuration
	local tag="$1"; shift
	local v m b p dirty flag="" per
	v=$(optval --vcpus "$@") m=$(mib "$(optval --mem "$@")") b=$(perf_backing "$(optval --backing "$@")")
	p=$(optval --passes "$@") dirty=$(optval --dirty "$@")
	[ -n "$p" ] || p=$PASSES
	[ "$dirty" = get ] && flag=-g
	per=$((m / v))
	# Initially-set: iteration 1 does not fault (nothing write-protected yet), so one more iteration
	# makes the same number of real dirty passes.
	echo "dirty_log_perf_test -v $v -b ${per}M -s $b -i $((p + 1)) $flag" >"perf/$tag.cmd"
	"$perf" -v "$v" -b "${per}M" -s "$b" -i $((p + 1)) $flag </dev/null >"perf/$tag.log" 2>&1
	echo $? >"perf/$tag.rc"
	[ "$(cat "perf/$tag.rc")" = 0 ] || { echo "   FAILED (status $(cat "perf/$tag.rc")):"; tail -n 3 "perf/$tag.log" | sed 's/^/   /'; }
}

start=$(date +%s) done_w=0 i=0 rc=0
while IFS='|' read -r kind name e rep opts; do
	i=$((i + 1))
	echo "$e" >"$PARAM"
	got=$(cat "$PARAM")
	[ "$got" = "$e" ] || { echo "bench: wrote $e to $PARAM, read back $got" >&2; rc=1; }
	now=$(date +%s) el=$((now - start))
	if [ "$done_w" -gt 0 ]; then
		left=$((el * (total_w - done_w) / done_w))
		eta="~$((left / 60))m$((left % 60))s left"
	else
		eta="time left: after the first run"
	fi
	tag="$name.$e.$rep"
	echo "[$i/$total] $kind $name eager=$got rep $rep (${el}s elapsed, $eta): $opts"
	# shellcheck disable=SC2086 # opts holds option words: split on purpose
	case $kind in
		case|sweep) run_case "$tag" $opts ;;
		perf) run_perf "$tag" $opts ;;
		linux) run_linux "$tag" $opts ;;
	esac
	[ -f "linux/$tag.rc" ] && [ "$(cat "linux/$tag.rc")" != 0 ] && rc=1
	[ -f "bench/$tag.rc" ] && [ "$(cat "bench/$tag.rc")" != 0 ] && [ "$kind" != perf ] && rc=1
	[ -f "perf/$tag.rc" ] && [ "$(cat "perf/$tag.rc")" != 0 ] && rc=1
	# shellcheck disable=SC2086 # opts holds option words: split on purpose
	done_w=$((done_w + $(weight "$kind" $opts)))
done <"$plan"
# One live migration (eager split Y, the default), when this rvmig has `migrate`: its per-round
# GET/CLEAR/copy times and stream bandwidth go next to the memcpy figures.
if [ -n "${MIGRATE:-}" ] && [ -z "$only" ] && [ -z "$one_case" ]; then
	echo Y >"$PARAM"
	if $RVMIG migrate --help >/dev/null 2>&1; then
		echo "[migrate] eager=Y: rvmig migrate $MIGRATE"
		# shellcheck disable=SC2086 # MIGRATE holds option words: split on purpose
		$RVMIG migrate $MIGRATE --quiet --json migrate.json </dev/null >migrate.out 2>&1
		echo $? >migrate.rc
		[ "$(cat migrate.rc)" = 0 ] || { echo "   FAILED (status $(cat migrate.rc)):"; tail -n 3 migrate.out | sed 's/^/   /'; rc=1; }
	else
		echo "[migrate] this rvmig has no migrate command: no migration figures"
	fi
fi
echo Y >"$PARAM"
echo "bench: $total runs in $(($(date +%s) - start)) s; eager_page_split=$(cat $PARAM) again; status $rc"
exit $rc
