#!/usr/bin/env bash
# Runs test programs and counts their "ok - name" / "not ok - name" lines.
# Usage: tests/run.sh PROGRAM...   Each PROGRAM is run with no arguments; one that exits non-zero
# without printing a "not ok" line counts as one failure of its own. Ends with "N passed, N failed".
set -u
pass=0 fail=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^(not )?ok - ' | sed "s|^|[$(basename "$t")] |"
	p=$(printf '%s\n' "$out" | grep -c '^ok - ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
		echo "not ok - $(basename "$t") exited with status $rc"
		f=1
	elif [ "$f" -gt 0 ]; then
		printf '%s\n' "$out" | grep -vE '^ok - ' | tail -n 20 | sed 's/^/    /'
	fi
	pass=$((pass + p)) fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
