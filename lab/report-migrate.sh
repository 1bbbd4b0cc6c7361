#!/usr/bin/env bash
# Host-side summary of ./run.sh migrate: one table row per migration (migrate-<backing>-<mode>.json),
# into migrate.csv and report.md.
set -euo pipefail
dir=$1
shopt -s nullglob
files=("$dir"/migrate-*.json)
[ ${#files[@]} -gt 0 ] || exit 0
# A migration that failed before the pause has no downtime: null stays null (r0), never an error.
jq -r -s 'def r0: if . == null then null else round end;
	(["backing","dirty","exit_ok","converged","decision","rounds","pages_sent","mib_sent","total_s",
	"enable_ms","downtime_ms","downtime_expected_ms","hash_mismatches","destination_verified"] | @csv),
	(.[] | [.params.backing, .params.dirty, .ok, .total.converged, .total.decision, .total.rounds,
	 .total.pages_sent, ((.total.bytes_sent // 0) / 1048576 * 100 | round / 100), ((.total.time_s // 0) * 1000 | round / 1000),
	 ((.dirty_enable_ms // 0) * 1000 | round / 1000), (.total.downtime_ms | r0),
	 ((.rounds[-1].expected_downtime_ms // null) | if . == null then null else round end),
	 .total.hash_mismatches, .total.destination_verified] | @csv)' "${files[@]}" >"$dir/migrate.csv"
{
	echo "# rvmig live migration, eager page split $(jq -r .eager_page_split "$dir/env.json" 2>/dev/null)"
	echo
	echo "Kernel $(jq -r .kernel "$dir/env.json" 2>/dev/null), $(jq -r '.qemu + ", accel " + .accel' "$dir/lab.json" 2>/dev/null)."
	echo "Under TCG the times are an emulator's: compare modes with each other within this run, not with real hardware."
	echo "Downtime = source paused -> destination resumed; it includes the bit-exact 2M-block hash check."
	echo
	echo "| backing | --dirty | result | converged | rounds | MiB sent | total s | enable ms | downtime ms | of it: src hash ms | dst hash + restore ms | RAM hashes | guest verify |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	jq -r -s 'def r0: if . == null then "-" else round end;
		.[] | "| \(.params.backing) | \(.params.dirty) | \(if .ok then "ok" else "FAILED: \(.error)" end) | \(.total.converged) (\(.total.decision)) | \(.total.rounds) | \((.total.bytes_sent // 0) / 1048576 * 10 | round / 10) | \((.total.time_s // 0) * 100 | round / 100) | \((.dirty_enable_ms // 0) * 100 | round / 100) | \(.total.downtime_ms | r0) | \(.total.downtime_source_hash_ms | r0) | \(.total.downtime_destination_ms | r0) | \(if .total.hash_mismatches == 0 then "identical" else "\(.total.hash_mismatches) blocks differ" end) | \(if .total.destination_verified then "ok" else "not verified" end) |"' "${files[@]}"
	echo
	echo "Per-round figures (GET/CLEAR/ring/copy times, dirty rate, bandwidth, expected downtime) are in each migrate-*.json and migrate-*.txt."
} >"$dir/report.md"
echo "rvmig: migrate: ${#files[@]} migrations in migrate.csv, report.md" >&2
