#!/usr/bin/env bash
# Runs test programs and counts their "ok - name" / "not ok - name" lines.
# Usage: tests/run.sh PROGRAM...   Each PROGRAM is run with no arguments; one that exits non-zero
# without printing a "not ok" line counts as one failure of its own. Ends with "N passed, N failed".
#
# Every program runs under a time limit, so that a hang becomes a "not ok" naming the file instead of
# a CI run that never ends: RVMIG_TEST_TIMEOUT seconds (default 900), or the number a test file
# declares itself in a line "# test-timeout: SECONDS" (the long lab tests do).
set -u
default_limit=${RVMIG_TEST_TIMEOUT:-900}
pass=0 fail=0
for t in "$@"; do
	limit=$default_limit
	if [ -z "${RVMIG_TEST_TIMEOUT:-}" ] && [ -f "$t" ]; then
		own=$(grep -a -m1 -oE '^# test-timeout: [0-9]+' "$t" 2>/dev/null | grep -oE '[0-9]+$')
		[ -n "$own" ] && limit=$own
	fi
	start=$SECONDS
	# --kill-after: a test that ignores SIGTERM still ends; the test's own traps run on SIGTERM.
	out=$(timeout --kill-after=20 "$limit" "$t" 2>&1); rc=$?
	name=$(basename "$t")
	printf '%s\n' "$out" | grep -E '^(not )?ok - ' | sed "s|^|[$name] |"
	p=$(printf '%s\n' "$out" | grep -c '^ok - ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		printf '%s\n' "$out" | grep -vE '^ok - ' | tail -n 20 | sed 's/^/    /'
		echo "not ok - $name timed out after ${limit} s (ran $((SECONDS - start)) s; its last output is above)"
		f=$((f + 1))
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
		echo "not ok - $name exited with status $rc"
		f=1
	elif [ "$f" -gt 0 ]; then
		printf '%s\n' "$out" | grep -vE '^ok - ' | tail -n 20 | sed 's/^/    /'
	fi
	pass=$((pass + p)) fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
