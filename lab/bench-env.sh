# Sourced by run.sh for `./run.sh bench`: the lab's harts a preset asks for. A preset that measures vCPU
# scaling (configs/bench-scaling.conf) says LAB_SMP=N; the lab then gets N emulated harts, unless the
# user set LAB_SMP (kept: cases with more vCPUs than harts are reported as oversubscribed). lab.json
# records the host cores that carry them (lab_record_host).
# shellcheck shell=bash

# bench_lab_env SCENARIO-ARGS...: exports LAB_SMP when the preset (--preset NAME, default quick) names it.
bench_lab_env() {
	local preset=quick conf want
	while [ $# -gt 0 ]; do
		[ "$1" = --preset ] && [ $# -ge 2 ] && preset=$2
		shift
	done
	conf="$RVMIG_ROOT/configs/bench-$preset.conf"
	# A preset that is not there is the scenario's to name, inside the lab.
	[ -f "$conf" ] || return 0
	want=$(sed -n 's/^LAB_SMP=\([0-9][0-9]*\)\([[:space:]#].*\)\{0,1\}$/\1/p' "$conf" | tail -n 1)
	[ -n "$want" ] || return 0
	if [ -n "${LAB_SMP:-}" ]; then
		[ "$LAB_SMP" = "$want" ] ||
			say "bench: preset $preset asks for LAB_SMP=$want; keeping LAB_SMP=$LAB_SMP as set"
		return 0
	fi
	export LAB_SMP=$want
	say "bench: preset $preset: the lab gets LAB_SMP=$want emulated harts ($(nproc) host cores here)"
}
