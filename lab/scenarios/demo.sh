# Demo: a 2-vCPU guest on hugetlb-2M memory dirties its RAM, dirty logging starts mid-run (eager
# split at enable time), the guest measures its first-write latencies and verifies its memory.
# Arguments: extra `rvmig run` options (they override the defaults below). The host's lab/report/
# (demo.py) makes report.md of demo.txt after the lab exits.
# --linux (first): the Linux demo guest instead, the lab kernel's own Image with lab/linux-guest.sh's
# initramfs (run.sh copies both here): Linux boots, its workload stamps half its free memory, runs
# --duration, verifies every stamp when rvmig types "verify", and powers off on "exit".
if [ "${1:-}" = --linux ]; then
	shift
	echo "== rvmig run --kernel Image --initrd linux-guest.cpio.gz --vcpus 2 --mem 256M --backing hugetlb-2M $*"
	{ rvmig run --kernel Image --initrd linux-guest.cpio.gz --vcpus 2 --mem 256M --backing hugetlb-2M \
		--duration 3s --rate 1000 --json demo.json "$@" 2>&1
	  echo $? >demo.status; } | tee demo.txt
	exit "$(cat demo.status)"
fi
echo "== rvmig run --vcpus 2 --mem 256M --backing hugetlb-2M --dirty-log $*"
# (ash has no PIPESTATUS: the status travels through a file)
{ rvmig run --vcpus 2 --mem 256M --backing hugetlb-2M --duration 3s --dirty-log --json demo.json "$@" 2>&1
  echo $? >demo.status; } | tee demo.txt
exit "$(cat demo.status)"
