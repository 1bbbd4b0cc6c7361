# Live migration: a 2-vCPU guest on hugetlb-2M (eager page split on) migrated with --dirty manual to a
# forked destination VM, verified bit-exact and by the guest; then the same on hugetlb-1G.
# Arguments: extra `rvmig migrate` options (they override the defaults below).
echo "eager_page_split=$(cat /sys/module/kvm/parameters/eager_page_split 2>/dev/null || echo n/a)"
rc=0
for b in hugetlb-2M hugetlb-1G; do
	case $b in hugetlb-1G) mem=1G rate=200 ;; *) mem=256M rate=1000 ;; esac
	echo "== rvmig migrate --vcpus 2 --mem $mem --backing $b --dirty manual --max-bandwidth 64M $*"
	# (ash has no PIPESTATUS: the status travels through a file)
	{ rvmig migrate --vcpus 2 --mem $mem --backing $b --dirty manual --rate $rate --duration 1s \
		--max-bandwidth 64M --json migrate-$b.json "$@" 2>&1; echo $? >migrate-$b.status; } | tee migrate-$b.txt
	s=$(cat migrate-$b.status)
	[ "$s" = 0 ] || rc=$s
done
{
	echo "# rvmig live migration"
	echo
	echo "eager_page_split=$(cat /sys/module/kvm/parameters/eager_page_split 2>/dev/null || echo n/a); host is QEMU TCG: times are one emulated machine's."
	for b in hugetlb-2M hugetlb-1G; do
		echo
		echo "## $b (exit status $(cat migrate-$b.status))"
		echo
		echo '```'
		sed -n '/^rvmig migrate:/,$p' migrate-$b.txt
		echo '```'
	done
} >report.md
exit $rc
