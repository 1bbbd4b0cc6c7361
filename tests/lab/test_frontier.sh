#!/usr/bin/env bash
# test-timeout: 600
# ./run.sh migrate --frontier, quick variant (128M guest, --dirty manual, eager Y, at most 3 probes):
# the output is well formed (probes.csv, cells.csv, frontier.csv/json, report.md with its answer line,
# the plot) and the bisection's invariants hold, checked here from the probes' own JSON: the frontier
# probe converged within the limit, every probe above the frontier did not, no migration failed.
# Then a reservation too small for two guests: the scenario says so and runs no probe. No timings.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id frontier)
./run.sh migrate --frontier --run-id "$id" --timeout 500 -- --mem 128M --modes manual --eager Y --probes 3 \
	>/dev/null 2>&1
d=results/$id
j=$d/frontier.json
jqf() { jq -e "$1" "$j" >/dev/null 2>&1; }

expect "frontier: the lab run exits 0" [ "$(cat "$d/exit-status" 2>/dev/null)" = 0 ]
expect "frontier: probes.csv has 1..3 probes, all manual / eager Y" \
	bash -c "n=\$(tail -n +2 '$d/frontier/probes.csv' | grep -c '^manual,Y,'); [ \"\$n\" -ge 1 ] && [ \"\$n\" -le 3 ] &&
		[ \"\$(tail -n +2 '$d/frontier/probes.csv' | wc -l)\" = \"\$n\" ]"
expect "frontier: one cell, stopped for a stated reason" \
	bash -c "[ \"\$(tail -n +2 '$d/frontier/cells.csv' | wc -l)\" = 1 ] && tail -n 1 '$d/frontier/cells.csv' | grep -qE ',(probes|resolution|max|min),[0-9]+\$'"
expect "frontier: every probe has its rvmig JSON and exited 0 (no failed migration)" \
	bash -c "tail -n +2 '$d/frontier/probes.csv' | while IFS=, read -r m e n _ _ rc _; do
		jq -e .total '$d/frontier/'\$m-\$e-\$n.json >/dev/null && [ \"\$rc\" = 0 ] || exit 1; done"
expect "frontier: frontier.csv has a row per probe" \
	[ "$(wc -l <"$d/frontier.csv")" = "$(wc -l <"$d/frontier/probes.csv")" ]
expect "frontier: the report's checks hold (frontier probe passed, all above failed, verdicts = JSON)" \
	jqf '(.cells | length) == 1 and .invariants_ok == true and ([.cells[].checks[]] | all)'
# The invariants again, from the probes' JSON directly (not from the report's own checks).
front=$(tail -n 1 "$d/frontier/cells.csv" | cut -d, -f4)
verdict() { # mode eager n -> "1" when that probe converged within the limit
	jq -r 'if .ok and .total.converged and .total.downtime_within_limit then 1 else 0 end' \
		"$d/frontier/$1-$2-$3.json"
}
above_ok=1 at_ok=0 probes_seen=0
while IFS=, read -r m e n rate _ _ _ _ pass; do
	probes_seen=$((probes_seen + 1))
	v=$(verdict "$m" "$e" "$n")
	[ "$v" = "$pass" ] || above_ok=0
	if [ "$rate" -gt "${front:-0}" ] && [ "$v" = 1 ]; then above_ok=0; fi
	if [ "$rate" = "$front" ] && [ "$v" = 1 ]; then at_ok=1; fi
done < <(tail -n +2 "$d/frontier/probes.csv")
expect "frontier: no probe above the frontier converged within the limit, each lab verdict = its JSON ($probes_seen probes)" \
	bash -c "[ '$above_ok' = 1 ] && [ '$probes_seen' -ge 1 ]"
expect "frontier: the frontier probe converged within the limit (or none did and the frontier is 0)" \
	bash -c "[ '$at_ok' = 1 ] || [ '${front:-x}' = 0 ]"
expect "frontier: report.md gives the one-line answer with the frontier's figure" \
	bash -c "grep -qE '^\*\*This link \(local, lab\) (migrates guests dirtying up to [a-z ]*[0-9.]+ MiB/s|migrated no probe)' '$d/report.md' &&
		grep -q \"\$(jq -r '.cells[0].frontier_mib_s | tostring' '$j' | sed 's/\.0\$//')\" '$d/report.md'"
expect "frontier: report.md has the per-cell table and the per-probe table" \
	bash -c "[ \"\$(grep -cE '^\| manual \| Y \| [0-9.]+ \| [0-9.-]+ \| [0-9.-]+ \| [0-9]+ \| [a-z]+ \| [0-9]+ \| ok \|\$' '$d/report.md')\" = 1 ] &&
		[ \"\$(grep -cE '^\| manual \| Y \| [0-9]+ \|.*\| (pass|fail|FAILED[^|]*) \|' '$d/report.md')\" = \"$probes_seen\" ]"
expect "frontier: frontier.png is a PNG" bash -c "head -c 4 '$d/frontier.png' | tail -c 3 | grep -qx PNG"
expect "frontier: the scenario printed its run time" grep -q '^== frontier: whole scenario .*: [0-9]* s$' "$d/console.log"

# Two 128M guests need 128 2M pages: with 64 reserved the scenario says so and probes nothing.
id2=$(test_run_id frontier-nofit)
LAB_HUGEPAGES_2M=64 ./run.sh migrate --frontier --run-id "$id2" --timeout 300 -- --mem 128M --modes manual \
	--eager Y --probes 1 >/dev/null 2>&1
d2=results/$id2
expect "frontier: too few 2M pages -> exit 1" [ "$(cat "$d2/exit-status" 2>/dev/null)" = 1 ]
expect "frontier: too few 2M pages -> says they do not fit and what to raise" \
	bash -c "grep -q 'the 2M pages do not fit.*64 (64 free).*LAB_HUGEPAGES_2M to at least 128' '$d2/console.log'"
expect "frontier: too few 2M pages -> no probe ran" [ ! -e "$d2/frontier/probes.csv" ]
