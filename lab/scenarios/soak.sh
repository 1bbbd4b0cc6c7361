# Soak: HOPS migrations in a row between two rvmig processes over a unix socket, the roles swapping
# every hop (A->B, then B->A on the other socket), cycling through the backings (anon, thp,
# hugetlb-2M) and every --dirty mode. Each hop: the RAM hashes must be identical (bit-exact), the
# guest must verify on the destination, both processes exit 0. Sampled while they run: the peak RSS
# (VmHWM) and the highest open-fd count of each side, to show nothing grows from hop to hop.
# What this is not: `rvmig recv` cannot migrate onward, so every hop starts a fresh source guest
# (RAM + vCPU state of a new guest each time), not one guest travelling 100 times.
# Arguments: [--hops N] [--mem SIZE] (default 100 hops of a 64M guest).
hops=100 mem=64M
while [ $# -gt 0 ]; do
	case $1 in
		--hops) hops=$2; shift 2 ;;
		--mem) mem=$2; shift 2 ;;
		*) echo "soak: unknown argument $1 (want --hops N, --mem SIZE)" >&2; exit 2 ;;
	esac
done
# sample PID FILE: until PID exits, keep "peak-RSS-kB max-fds" of it in FILE
sample() {
	fds=0 hwm=0
	while [ -d /proc/"$1" ]; do
		h=$(awk '/^VmHWM/ {print $2}' /proc/"$1"/status 2>/dev/null)
		f=0
		for _ in /proc/"$1"/fd/*; do f=$((f + 1)); done
		[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
		[ "$f" -gt "$fds" ] && fds=$f
		echo "$hwm $fds" >"$2"
		sleep 0.2
	done
}
free_before=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
echo "hop,from,to,backing,dirty,src_rc,dst_rc,identical,dest_verified,src_hwm_kb,src_fds,dst_hwm_kb,dst_fds,hugepages_free" >soak.csv
rc=0 i=1
while [ "$i" -le "$hops" ]; do
	case $(( i % 3 )) in 1) b=anon ;; 2) b=thp ;; *) b=hugetlb-2M ;; esac
	case $(( (i / 3) % 4 )) in 0) m="get" ;; 1) m="manual" ;; 2) m="manual-init-set" ;; *) m="ring" ;; esac
	if [ $(( i % 2 )) = 1 ]; then from=A to=B; else from=B to=A; fi
	n=soak-$i
	rvmig recv --listen unix:/tmp/soak-$to.sock --vcpus 2 --mem "$mem" --backing $b --post-run 300ms \
		--accept-timeout 60s --quiet >$n-recv.txt 2>&1 &
	r=$!
	sample $r $n-dst.sample &
	rvmig migrate --vcpus 2 --mem "$mem" --backing $b --dirty $m --rate 300 --duration 500ms --post-run 300ms \
		--max-bandwidth 64M --to unix:/tmp/soak-$to.sock --json $n.json >$n.txt 2>&1 &
	s=$!
	sample $s $n-src.sample &
	wait $s; src_rc=$?
	wait $r; dst_rc=$?
	wait
	same=0; grep -q '^RAM hashes: .* identical' $n.txt && same=1
	ver=0; grep -q '^destination: .*verified every stamp.*: ok' $n.txt && ver=1
	sh=0 sf=0 dh=0 df=0
	[ -f $n-src.sample ] && read -r sh sf <$n-src.sample
	[ -f $n-dst.sample ] && read -r dh df <$n-dst.sample
	fr=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	echo "$i,$from,$to,$b,$m,$src_rc,$dst_rc,$same,$ver,$sh,$sf,$dh,$df,$fr" >>soak.csv
	echo "hop $i $from->$to $b --dirty $m: source $src_rc destination $dst_rc, identical $same, verified $ver, RSS peak ${sh}/${dh} kB, fds ${sf}/${df}"
	if [ "$src_rc" != 0 ] || [ "$dst_rc" != 0 ] || [ "$same" != 1 ] || [ "$ver" != 1 ]; then
		rc=1
	else
		# keep the failures' output only (the JSON, with bytes and hash counts, stays for the report)
		rm -f $n.txt $n-recv.txt
	fi
	rm -f $n-src.sample $n-dst.sample
	i=$((i + 1))
done
echo "hugepages free before $free_before, after $(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)"
exit "$rc"
