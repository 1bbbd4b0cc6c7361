# Live migration with eager page splitting on: a 2-vCPU guest on hugetlb-2M and on hugetlb-1G,
# migrated with every --dirty mode (get, manual, manual-init-set, ring) to a forked destination VM,
# verified bit-exact (2M block hashes) and by the guest on the destination.
# Arguments: extra `rvmig migrate` options (they override the defaults below), and --repeat N: instead,
# the default migration (./run.sh's: 256M hugetlb-2M, --dirty manual) N times, migrate-repeat-NNN.json;
# the report gives its downtime median/min/max, how many met --downtime-limit, and the traffic.
PARAM=/sys/module/kvm/parameters/eager_page_split
echo "eager_page_split=$(cat $PARAM 2>/dev/null || echo absent)"
# --linux (first): the Linux demo guest (Image and linux-guest.cpio.gz, copied here by run.sh) moves
# instead, every --dirty mode on hugetlb-2M and on hugetlb-1G; its workload verifies every stamp on
# the destination and its clock's largest step is checked against the pause. --modes "LIST" and
# --backings "LIST" (after --linux) run a subset; the rest goes to rvmig migrate.
if [ "${1:-}" = --linux ]; then
	shift
	modes="get manual manual-init-set ring" backings="hugetlb-2M hugetlb-1G"
	while [ $# -gt 0 ]; do
		case $1 in
		--modes) modes=$2; shift 2 ;;
		--backings) backings=$2; shift 2 ;;
		*) break ;;
		esac
	done
	rc=0
	for b in $backings; do
		case $b in hugetlb-1G) mem=1G rate=200 ;; *) mem=256M rate=1000 ;; esac
		for mode in $modes; do
			name=migrate-linux-$b-$mode
			echo "== rvmig migrate --kernel Image --initrd linux-guest.cpio.gz --vcpus 2 --mem $mem --backing $b --dirty $mode --rate $rate --max-bandwidth 64M $*"
			{ rvmig migrate --kernel Image --initrd linux-guest.cpio.gz --vcpus 2 --mem $mem --backing "$b" \
				--dirty "$mode" --rate $rate --duration 1s --max-bandwidth 64M --json "$name.json" "$@" 2>&1
			  echo $? >"$name.status"; } | tee "$name.txt"
			s=$(cat "$name.status")
			[ "$s" = 0 ] || rc=$s
		done
	done
	exit "$rc"
fi
rc=0
# --repeat N is taken out wherever it stands; the other arguments keep their order (ash has no arrays).
repeat=0 n=$#
while [ "$n" -gt 0 ]; do
	a=$1
	shift
	n=$((n - 1))
	if [ "$a" = --repeat ]; then
		[ "$n" -gt 0 ] || { echo "migrate: --repeat needs a number (--repeat 10)" >&2; exit 2; }
		case $1 in '' | *[!0-9]*) echo "migrate: --repeat $1: want a whole number above 0" >&2; exit 2 ;; esac
		[ "$1" -gt 0 ] || { echo "migrate: --repeat $1: want a whole number above 0" >&2; exit 2; }
		repeat=$1
		shift
		n=$((n - 1))
		continue
	fi
	set -- "$@" "$a"
done
if [ "$repeat" -gt 0 ]; then
	i=1
	while [ "$i" -le "$repeat" ]; do
		name=$(printf 'migrate-repeat-%03d' "$i")
		echo "== $i/$repeat rvmig migrate --vcpus 2 --mem 256M --backing hugetlb-2M --dirty manual --rate 1000 $*"
		{ rvmig migrate --vcpus 2 --mem 256M --backing hugetlb-2M --dirty manual --rate 1000 --duration 1s \
			--max-bandwidth 64M --json "$name.json" "$@" 2>&1; echo $? >"$name.status"; } | tee "$name.txt"
		s=$(cat "$name.status")
		[ "$s" = 0 ] || rc=$s
		i=$((i + 1))
	done
	exit "$rc"
fi
for b in hugetlb-2M hugetlb-1G; do
	case $b in hugetlb-1G) mem=1G rate=200 ;; *) mem=256M rate=1000 ;; esac
	for mode in get manual manual-init-set ring; do
		name=migrate-$b-$mode
		echo "== rvmig migrate --vcpus 2 --mem $mem --backing $b --dirty $mode --rate $rate --max-bandwidth 64M $*"
		# (ash has no PIPESTATUS: the status travels through a file)
		{ rvmig migrate --vcpus 2 --mem $mem --backing $b --dirty $mode --rate $rate --duration 1s \
			--max-bandwidth 64M --json $name.json "$@" 2>&1; echo $? >$name.status; } | tee $name.txt
		s=$(cat $name.status)
		[ "$s" = 0 ] || rc=$s
	done
done
exit "$rc"
