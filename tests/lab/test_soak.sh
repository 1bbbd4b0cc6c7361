#!/usr/bin/env bash
# test-timeout: 600
# A short soak (./run.sh soak, ONE 32M guest moved 6 times: both directions, every backing, four
# --dirty modes; each recv sends the guest on with --then-migrate-to): every hop bit-exact and
# verified on the destination, both sides exit 0, the report counts 6 hops and 0 mismatches, bytes
# went both ways, no RSS or fd growth per side and backing, every hugetlb page free at the end.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id soak)
./run.sh soak --run-id "$id" --timeout 500 -- --hops 6 --mem 32M >/dev/null 2>&1
d=results/$id
jqe() { jq -e "$1" "$d/soak.json" >/dev/null 2>&1; }

expect "soak: the lab run exits 0" [ "$(cat "$d/exit-status" 2>/dev/null)" = 0 ]
expect "soak: soak.csv has a row per hop (6)" [ "$(tail -n +2 "$d/soak.csv" 2>/dev/null | wc -l)" = 6 ]
expect "soak: hops go both ways (A->B and B->A)" \
	bash -c "grep -q ',A,B,' '$d/soak.csv' && grep -q ',B,A,' '$d/soak.csv'"
expect "soak: the guest landed on anon, thp and hugetlb-2M" \
	bash -c "cut -d, -f4 '$d/soak.csv' | sort -u | tr '\n' ' ' | grep -qx 'anon backing hugetlb-2M thp '"
expect "soak: the senders used get, manual, manual-init-set and ring" \
	bash -c "cut -d, -f6 '$d/soak.csv' | tail -n +2 | sort -u | tr '\n' ' ' | grep -qx 'get manual manual-init-set ring '"
expect "soak: one guest: hops 2.. were sent by the recv that received the hop before (its forward half)" \
	bash -c "for n in 1 2 3 4 5; do jq -e '.forward.total.handed_over == true' '$d/soak-'\$n'.json' >/dev/null || exit 1; done; jq -e '.forward == null' '$d/soak-6.json' >/dev/null"
expect "soak: every hop ok (both exit 0, RAM identical, guest verified), 0 hash mismatches" \
	jqe '.hops == 6 and .hops_ok == 6 and .hash_mismatches == 0 and .not_verified == 0'
expect "soak: bytes were sent" jqe '.bytes_sent > 0'
expect "soak: no RSS or fd growth on either side" jqe '.grew == false'
expect "soak: every hugetlb page free again at the end" \
	grep -qE 'hugepages free before ([0-9]+), after \1\b' "$d/console.log"
