#!/usr/bin/env bash
# test-timeout: 600
# A short soak (./run.sh soak, 6 hops of a 32M guest: both directions, every backing, two --dirty
# modes): every hop bit-exact and verified on the destination, both sides exit 0, the report counts
# 6 hops and 0 mismatches, no RSS or fd growth per side and backing, no hugetlb page kept.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id soak)
./run.sh soak --run-id "$id" --timeout 500 -- --hops 6 --mem 32M >/dev/null 2>&1
d=results/$id
jqe() { jq -e "$1" "$d/soak.json" >/dev/null 2>&1; }

expect "soak: the lab run exits 0" [ "$(cat "$d/exit-status" 2>/dev/null)" = 0 ]
expect "soak: soak.csv has a row per hop (6)" [ "$(tail -n +2 "$d/soak.csv" 2>/dev/null | wc -l)" = 6 ]
expect "soak: hops go both ways (A->B and B->A)" \
	bash -c "grep -q ',A,B,' '$d/soak.csv' && grep -q ',B,A,' '$d/soak.csv'"
expect "soak: anon, thp and hugetlb-2M all migrated" \
	bash -c "grep -q ',anon,' '$d/soak.csv' && grep -q ',thp,' '$d/soak.csv' && grep -q ',hugetlb-2M,' '$d/soak.csv'"
expect "soak: every hop ok (both exit 0, RAM identical, guest verified), 0 hash mismatches" \
	jqe '.hops == 6 and .hops_ok == 6 and .hash_mismatches == 0 and .not_verified == 0'
expect "soak: bytes were sent" jqe '.bytes_sent > 0'
expect "soak: no RSS or fd growth on either side" jqe '.grew == false'
expect "soak: every hugetlb page free again after each hop" \
	bash -c "[ \"\$(jq -c .hugepages_free '$d/soak.json')\" = \"\$(grep -o 'before [0-9]*' '$d/console.log' | head -1 | sed 's/before /[/;s/\$/]/')\" ]"
