#!/usr/bin/env bash
# test-timeout: 1200
# ./run.sh migrate: hugetlb-2M and hugetlb-1G x every --dirty mode, eager split on; every migration
# converges at this moderate dirty rate, RAM is identical, the guest verifies on the destination,
# and the host-side report has one row per migration.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id run-migrate)
./run.sh migrate --run-id "$id" >/dev/null 2>&1
rc=$?
dir=results/$id
expect "./run.sh migrate exits 0 (status $rc)" [ "$rc" = 0 ]
for b in hugetlb-2M hugetlb-1G; do
	for m in get manual manual-init-set ring; do
		expect "$b --dirty $m: converged, RAM identical, guest verified on the destination" \
			jqe '.ok == true and .total.converged == true and .total.hash_mismatches == 0 and
				.total.destination_verified == true and .total.hash_blocks > 0' "$dir/migrate-$b-$m.json"
	done
done
expect "migrate.csv has a header and 8 rows" [ "$(wc -l <"$dir/migrate.csv")" = 9 ]
# The summary table is the first run of "| hugetlb-" rows; the per-round stage table after it has
# rows that start the same way.
expect "report.md has a row per migration" \
	[ "$(awk '/^\| hugetlb-/ { n++; t = 1; next } t { exit } END { print n + 0 }' "$dir/report.md")" = 8 ]
expect "eager_page_split was Y" jqe '.eager_page_split == "Y"' "$dir/env.json"
