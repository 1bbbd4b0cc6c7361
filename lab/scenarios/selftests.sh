# The kernel's own dirty_log_perf_test, eager page split Y and N toggled in this boot.
# Arguments: options for dirty_log_perf_test (default: -v 2 -b 128M -i 2). With 1G pages the guest
# memory must fill whole 1G pages (the test's munmap fails otherwise), so that backing always runs
# 2 vCPUs x 512M, after the given options.
PARAM=/sys/module/kvm/parameters/eager_page_split
[ -w "$PARAM" ] || { echo "selftests: $PARAM missing: this kernel has no RISC-V eager page splitting" >&2; exit 1; }
[ $# -gt 0 ] || set -- -v 2 -b 128M -i 2
# The test opens its own ELF by the name it was started with: give it a full path.
perf=$(command -v dirty_log_perf_test) || { echo "selftests: dirty_log_perf_test not found" >&2; exit 1; }
rc=0
mkdir -p selftests
for backing in anonymous anonymous_hugetlb_2mb anonymous_hugetlb_1gb; do
	for mode in initially-set get; do
		flag=""
		[ "$mode" = get ] && flag=-g
		for eager in Y N; do
			echo "$eager" >"$PARAM"
			out="selftests/perf.$backing.$mode.$eager.log"
			size=""
			[ "$backing" = anonymous_hugetlb_1gb ] && size="-v 2 -b 512M"
			echo "== dirty_log_perf_test -s $backing $flag $* $size (eager_page_split=$(cat $PARAM))"
			# shellcheck disable=SC2086 # flag is one word or none, size two options or none: split on purpose
			if "$perf" -s "$backing" $flag "$@" $size >"$out" 2>&1; then
				grep -E 'time:|took' "$out" | sed 's/^/   /'
			else
				echo "   FAILED (status $?): see $out"; tail -n 5 "$out"; rc=1
			fi
		done
	done
done
echo Y >"$PARAM"
exit $rc
