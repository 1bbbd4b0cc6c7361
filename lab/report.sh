#!/usr/bin/env bash
# Host-side post-processing of a finished lab run: turns raw scenario output into CSV, JSON and
# report.md next to it. Usage: report.sh <command> <run dir>
set -euo pipefail
. "$(dirname "$0")/common.sh"
cmd=$1 dir=$2

# selftests/perf.<backing>.<mode>.<Y|N>.log  ->  selftests.csv, selftests.json, report.md
report_selftests() {
	local csv="$dir/selftests.csv"
	echo "backing,mode,eager_page_split,metric,seconds" >"$csv"
	for log in "$dir"/selftests/perf.*.log; do
		[ -f "$log" ] || continue
		local b m e
		IFS=. read -r _ b m e _ <<<"$(basename "$log")"
		awk -v b="$b" -v m="$m" -v e="$e" '
			/ time: [0-9.]+s/ { t = $NF; sub(/s$/, "", t); $NF = ""; sub(/ time: *$/, ""); gsub(/^ +| +$/, "");
				printf "%s,%s,%s,%s,%s\n", b, m, e, $0, t }' "$log" >>"$csv"
	done
	jq -R -s 'split("\n") | map(select(length > 0) | split(",")) | .[1:] |
		map({backing: .[0], mode: .[1], eager_page_split: .[2], metric: .[3], seconds: (.[4] | tonumber)})' \
		"$csv" >"$dir/selftests.json"
	{
		echo "# dirty_log_perf_test, eager page split Y vs N (same boot)"
		echo
		echo "Kernel $(jq -r .kernel "$dir/env.json" 2>/dev/null), $(jq -r '.qemu + ", " + .accel' "$dir/lab.json" 2>/dev/null)."
		echo "Times from an emulated host (TCG) are only meaningful as ratios within this run. Each cell is ONE"
		echo "run: with small slots the split is a few ms and noise of +-50% is common; \`./run.sh bench\` repeats"
		echo "interleaved Y/N cases and reports medians."
		echo "\`initially-set\`: manual protect + KVM_DIRTY_LOG_INITIALLY_SET (split on first CLEAR);"
		echo "\`get\`: \`-g\`, KVM_GET_DIRTY_LOG only (whole slot split when logging is enabled)."
		awk -F, 'NR > 1 { k = $1 SUBSEP $2 SUBSEP $4; v[k, $3] = $5; if (!(k in seen)) { seen[k] = 1; order[n++] = k } }
			END {
				last = ""
				for (i = 0; i < n; i++) {
					split(order[i], p, SUBSEP)
					grp = p[1] " / " p[2]
					if (grp != last) { printf "\n## %s\n\n| metric | eager Y (s) | eager N (s) | Y/N |\n|---|---|---|---|\n", grp; last = grp }
					y = v[order[i], "Y"]; nn = v[order[i], "N"]
					r = (y != "" && nn != "" && nn + 0 > 0) ? sprintf("%.2f", y / nn) : "-"
					printf "| %s | %s | %s | %s |\n", p[3], y, nn, r
				}
			}' "$csv"
	} >"$dir/report.md"
	say "selftests: $(($(wc -l <"$csv") - 1)) figures in selftests.csv, report.md"
}

case $cmd in
	selftests) report_selftests ;;
	*) [ -x "$RVMIG_ROOT/lab/report-$cmd.sh" ] && "$RVMIG_ROOT/lab/report-$cmd.sh" "$dir" ;;
esac
exit 0
