# The convergence frontier (./run.sh migrate --frontier): for each --dirty mode and eager_page_split
# Y/N, the highest guest dirty rate at which precopy of a hugetlb-2M guest to a local destination
# converges within the downtime limit, found by bisection over the guest's rate limit.
# A probe is one `rvmig migrate --to local` at one rate; it passes when rvmig exits 0 (migrated,
# verified bit-exact and by the guest), decided "converged" (not forced by --max-rounds or a stall)
# and the measured downtime was within the limit (--criterion converged: without that last part, the
# frontier of the rate against the link alone, apart from the pause's fixed costs and their noise). Search per cell: start at --start, double while
# probes pass (up to --max), then bisect between the highest pass and the lowest failure until they
# are within --resolution % of the pass or --probes probes are spent. Rates are the guest's whole
# write rate, vCPUs x --rate pages/s x 4K, in MiB/s; internally pages/s (256 pages/s = 1 MiB/s).
# Output: frontier/probes.csv (one line per probe, the verdict this search acted on),
# frontier/<mode>-<eager>-<n>.json/.txt (each probe's rvmig output), frontier/cells.csv (each cell's
# frontier), frontier/params.txt. The host's lab/report (frontier.py) makes report.md, CSV and plot.
mem=1G vcpus=2 modes=get,manual,manual-init-set,ring eagers=Y,N probes=6 res=10 start=8 max=128
limit=300ms post_run=300ms duration=1s criterion=downtime
usage_err() {
	echo "frontier: $1 (options: --mem SIZE --vcpus N --modes LIST --eager Y,N --probes N" \
		"--resolution PCT --start MIB/S --max MIB/S --downtime-limit T --post-run T --duration T" \
		"--criterion downtime|converged)" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage_err "$1 needs a value"
	case $1 in
		--mem) mem=$2 ;;
		--vcpus) vcpus=$2 ;;
		--modes) modes=$2 ;;
		--eager) eagers=$2 ;;
		--probes) probes=$2 ;;
		--resolution) res=$2 ;;
		--start) start=$2 ;;
		--max) max=$2 ;;
		--downtime-limit) limit=$2 ;;
		--post-run) post_run=$2 ;;
		--duration) duration=$2 ;;
		--criterion) criterion=$2 ;;
		*) usage_err "unknown argument $1" ;;
	esac
	shift 2
done
# whole_number NAME VALUE
whole_number() {
	case $2 in '' | *[!0-9]*) usage_err "--$1 $2: want a whole number" ;; esac
	[ "$2" -gt 0 ] || usage_err "--$1 $2: want a number above 0"
}
whole_number vcpus "$vcpus"
whole_number probes "$probes"
whole_number resolution "$res"
whole_number start "$start"
whole_number max "$max"
[ "$start" -le "$max" ] || usage_err "--start $start is above --max $max"
modes=$(echo "$modes" | tr ',' ' ') eagers=$(echo "$eagers" | tr ',' ' ')
[ "$modes" = all ] && modes="get manual manual-init-set ring"
for m in $modes; do
	case $m in get | manual | manual-init-set | ring) ;; *) usage_err "--modes: unknown mode $m" ;; esac
done
case $criterion in downtime | converged) ;; *) usage_err "--criterion $criterion: want downtime or converged" ;; esac
for e in $eagers; do case $e in Y | N) ;; *) usage_err "--eager: want Y, N or Y,N, not $e" ;; esac; done

PARAM=/sys/module/kvm/parameters/eager_page_split
[ -w $PARAM ] || { echo "frontier: $PARAM is missing or not writable: this kernel has no RISC-V eager page split (Linux >= 7.3)" >&2; exit 1; }
# Two guests at once (the source and the --to local destination), each on 2M pages.
mem_mib=$(echo "$mem" | awk '/^[0-9]+[Mm]$/ {print int($0); exit} /^[0-9]+[Gg]$/ {print int($0) * 1024; exit} {print 0}')
if [ "$mem_mib" -lt 4 ] || [ $((mem_mib % 2)) != 0 ]; then
	usage_err "--mem $mem: want a size in M or G, a multiple of 2M, e.g. 1G"
fi
need=$((mem_mib / 2 * 2))
free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
total=$(awk '/^HugePages_Total/ {print $2}' /proc/meminfo)
echo "frontier: $mem guest x 2 (source + local destination) needs $need free 2M pages; the lab has $free free of $total"
if [ "$free" -lt "$need" ]; then
	echo "frontier: error: the 2M pages do not fit: a local migration of a $mem guest holds two guests ($need pages)," \
		"the lab reserved $total ($free free). Raise LAB_HUGEPAGES_2M to at least $need (and LAB_MEM so they fit)," \
		"or choose a smaller --mem." >&2
	exit 1
fi

mkdir -p frontier
printf 'mem=%s\nvcpus=%s\nmodes=%s\neager=%s\nprobes=%s\nresolution_pct=%s\nstart_mib_s=%s\nmax_mib_s=%s\ndowntime_limit=%s\npost_run=%s\nduration=%s\ncriterion=%s\nhugepages_2m_free=%s\n' \
	"$mem" "$vcpus" "$modes" "$eagers" "$probes" "$res" "$start" "$max" "$limit" "$post_run" "$duration" "$criterion" \
	"$free" >frontier/params.txt
echo "mode,eager,probe,rate_pages_s,rate_mib_s,exit,converged,within_limit,pass" >frontier/probes.csv
echo "mode,eager,probes,frontier_pages_s,frontier_mib_s,lowest_fail_pages_s,stop,seconds" >frontier/cells.csv
mib() { awk -v p="$1" 'BEGIN { printf "%.2f", p / 256 }'; }

# probe MODE EAGER N PAGES_PER_S: one migration; sets $pass (1/0).
probe() {
	n=frontier/$1-$2-$3
	per_vcpu=$(($4 / vcpus))
	echo "== frontier $1 eager=$2 probe $3: $(mib "$4") MiB/s (--rate $per_vcpu x $vcpus vCPUs)"
	rvmig migrate --vcpus "$vcpus" --mem "$mem" --backing hugetlb-2M --dirty "$1" --rate $per_vcpu \
		--duration "$duration" --post-run "$post_run" --downtime-limit "$limit" --to local --quiet \
		--json "$n.json" >"$n.txt" 2>&1
	rc=$?
	conv=0 within=0 pass=0
	grep -q '"converged": true' "$n.json" 2>/dev/null && conv=1
	grep -q '"downtime_within_limit": true' "$n.json" 2>/dev/null && within=1
	if [ $rc = 0 ] && [ $conv = 1 ] && { [ $within = 1 ] || [ "$criterion" = converged ]; }; then pass=1; fi
	# A migration that failed (not merely forced to stop-and-copy) is a fault, not a data point.
	[ $rc = 0 ] || status=1
	echo "$1,$2,$3,$4,$(mib "$4"),$rc,$conv,$within,$pass" >>frontier/probes.csv
	grep -E '^(total|downtime|result):' "$n.txt" | sed 's/^/   /'
	echo "   -> exit $rc, converged $conv, downtime within limit $within: $([ $pass = 1 ] && echo PASS || echo fail)"
}

t_all=$(date +%s)
status=0
for e in $eagers; do
	echo "$e" >$PARAM || { echo "frontier: could not write $e to $PARAM" >&2; exit 1; }
	for m in $modes; do
		t0=$(date +%s)
		# lo: highest passing rate (0: none yet), hi: lowest failing rate (0: none yet), pages/s
		lo=0 hi=0 i=0 stop=probes
		r=$((start * 256 / vcpus * vcpus))
		cap=$((max * 256))
		while [ $i -lt "$probes" ]; do
			i=$((i + 1))
			probe "$m" "$e" $i $r
			if [ $pass = 1 ]; then lo=$r; else hi=$r; fi
			if [ $hi = 0 ]; then
				# every probe passed so far: double, up to --max
				[ $r -ge $cap ] && { stop=max; break; }
				r=$((r * 2))
				[ $r -gt $cap ] && r=$cap
			elif [ $lo = 0 ]; then
				# every probe failed so far: halve, down to one page/s per vCPU
				r=$((hi / 2 / vcpus * vcpus))
				[ $r -lt "$vcpus" ] && { stop=min; break; }
			else
				[ $(((hi - lo) * 100)) -le $((res * lo)) ] && { stop=resolution; break; }
				r=$(((lo + hi) / 2 / vcpus * vcpus))
				[ $r -le $lo ] && { stop=resolution; break; }
			fi
		done
		secs=$(($(date +%s) - t0))
		echo "$m,$e,$i,$lo,$(mib $lo),$hi,$stop,$secs" >>frontier/cells.csv
		echo "== frontier $m eager=$e: $(mib $lo) MiB/s after $i probes (stopped: $stop; lowest failure $(mib $hi) MiB/s), ${secs} s"
	done
done
echo "== frontier: whole scenario ${mem} guest, $(echo "$modes" | wc -w) modes x $(echo "$eagers" | wc -w) eager settings: $(($(date +%s) - t_all)) s"
exit $status
