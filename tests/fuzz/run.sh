#!/usr/bin/env bash
# The fuzz targets (tests/fuzz/fuzz_*.c, built by `make fuzz-bins` into RVMIG_FUZZ_DIR), one after
# the other on one core, one "ok - " / "not ok - " line each (the format tests/run.sh counts).
#   RVMIG_FUZZ_SECONDS=0   replay: every seed (RVMIG_FUZZ_DIR/seeds/T) and regression input
#                          (tests/fuzz/regress/T) runs once through target T; make check does this
#   RVMIG_FUZZ_SECONDS=N   fuzz each target N seconds from those inputs plus the corpus it grew in
#                          earlier runs (RVMIG_FUZZ_DIR/corpus/T); what crashes is saved in
#                          RVMIG_FUZZ_DIR/artifacts/ (copy it to tests/fuzz/regress/T/ with the fix)
# Test timeout (tests/run.sh): make test fuzzes 3 targets for TEST_FUZZ_SECONDS each.
# test-timeout: 900
set -u
cd "$(dirname "$0")/../.." || exit 1
dir=${RVMIG_FUZZ_DIR:-build/fuzz}
seconds=${RVMIG_FUZZ_SECONDS:-0}
fail=0

# "#123456 DONE cov: 812 ft: 2345 corp: 310/1.2Mb ..." -> "cov 812, ft 2345, corpus 310"
last_stats() {
	grep -E '^#[0-9]+' "$1" | tail -n 1 |
		sed -nE 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/coverage \1 edges, \2 features, corpus \3/p'
}

for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	t=${bin##*/fuzz_}
	log=$dir/logs/$t.log
	mkdir -p "$dir/logs" "$dir/corpus/$t" "$dir/artifacts"
	inputs=("$dir/seeds/$t")
	[ -d "tests/fuzz/regress/$t" ] && inputs+=("tests/fuzz/regress/$t")
	opts=(-artifact_prefix="$dir/artifacts/$t-" -timeout=10 -print_final_stats=1)
	[ -f "tests/fuzz/$t.dict" ] && opts+=(-dict="tests/fuzz/$t.dict")
	if [ "$seconds" = 0 ]; then
		RVMIG_FUZZ_VERBOSE=1 "$bin" "${opts[@]}" -runs=0 "${inputs[@]}" >"$log" 2>&1; rc=$?
		n=$(sed -nE 's/.*seed corpus: files: ([0-9]+).*/\1/p' "$log" | head -n 1)
		ok=$(grep -c '^fuzz: accepted' "$log")
		what="replayed ${n:-?} seed and regression inputs ($ok accepted whole)"
		# The valid seeds must pass: a harness that rejects everything fuzzes nothing behind the header.
		[ "$ok" -gt 0 ] || { echo "    no input was accepted: the harness no longer follows the format"; rc=1; }
	else
		"$bin" "${opts[@]}" -max_total_time="$seconds" "$dir/corpus/$t" "${inputs[@]}" >"$log" 2>&1; rc=$?
		runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log")
		what="${runs:-?} executions in $seconds s, $(last_stats "$log")"
	fi
	if [ "$rc" -eq 0 ] && ! grep -qE '^(==[0-9]+==ERROR|SUMMARY: (Address|Undefined|Leak)Sanitizer)' "$log"; then
		echo "ok - fuzz_$t: $what, no crash, leak or sanitizer report"
	else
		grep -E 'ERROR|SUMMARY|invariant|runtime error|artifact' "$log" | head -n 10 | sed 's/^/    /'
		echo "not ok - fuzz_$t: exit status $rc, $what (log $log)"
		fail=1
	fi
done
if ! compgen -G "$dir/fuzz_*" >/dev/null; then
	echo "not ok - no fuzz targets in $dir (make fuzz-bins)"
	fail=1
fi
exit "$fail"
