#!/usr/bin/env bash
# test-timeout: 1200
# ./run.sh selftests: the kernel's dirty_log_perf_test for anon, hugetlb 2M and 1G, with and without
# -g, eager split Y and N in one boot; its figures parsed into CSV/JSON and a Y/N report.
# Small sizes (16M per vCPU; 1G pages always take 2 x 512M) keep it to a few minutes under TCG.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id selftests)
./run.sh selftests --run-id "$id" -- -v 1 -b 16M -i 2 >/dev/null 2>&1
rc=$?
dir=results/$id
expect "./run.sh selftests exits 0 (status $rc)" [ "$rc" = 0 ]
for b in anonymous anonymous_hugetlb_2mb anonymous_hugetlb_1gb; do
	for m in initially-set get; do
		# shellcheck disable=SC2016 # $b, $m and $r are jq's variables
		expect "$b/$m: enable time and dirty passes recorded for eager Y and N" \
			jqe --arg b "$b" --arg m "$m" '[.[] | select(.backing == $b and .mode == $m)] as $r |
				all(("Y", "N"); . as $e | ($r | map(select(.eager_page_split == $e)) |
					any(.metric == "Enabling dirty logging" and .seconds > 0) and
					any(.metric == "Iteration 2 dirty memory" and .seconds > 0)))' "$dir/selftests.json"
	done
done
expect "initially-set runs record their CLEAR times" \
	jqe 'any(.[]; .mode == "initially-set" and .metric == "Iteration 1 clear dirty log")' "$dir/selftests.json"
expect "report.md has a Y/N table per backing and mode" \
	bash -c "[ \$(grep -c '^## ' '$dir/report.md') = 6 ] && grep -q '| Enabling dirty logging |' '$dir/report.md'"
expect "the module parameter is back to Y after the run" grep -q 'eager_page_split=Y' "$dir/console.log"
