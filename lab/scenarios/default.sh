# The main job (./run.sh with no command): a 2-vCPU guest on hugetlb-2M memory dirties its RAM while
# dirty logging starts (eager page split at enable time) and measures its first writes; then a second
# guest of the same shape is live-migrated (precopy, --dirty manual) to a forked destination VM and
# verified bit-exact there. Arguments: extra options for both rvmig commands. The host's lab/report/
# (demo.py) makes report.md of demo.txt, migrate.txt and the .status files after the lab exits.
# (ash has no PIPESTATUS: statuses travel through files)
PARAM=/sys/module/kvm/parameters/eager_page_split
echo "== 1/2 rvmig run: dirty logging on a running guest (eager_page_split=$(cat $PARAM 2>/dev/null || echo absent))"
{ rvmig run --vcpus 2 --mem 256M --backing hugetlb-2M --duration 2s --dirty-log --json demo.json "$@" 2>&1
  echo $? >demo.status; } | tee demo.txt
echo "== 2/2 rvmig migrate: precopy live migration to a second VM"
{ rvmig migrate --vcpus 2 --mem 256M --backing hugetlb-2M --dirty manual --rate 1000 --duration 1s \
	--max-bandwidth 64M --json migrate.json "$@" 2>&1; echo $? >migrate.status; } | tee migrate.txt
[ "$(cat demo.status)" = 0 ] || exit "$(cat demo.status)"
exit "$(cat migrate.status)"
