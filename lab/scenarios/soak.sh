# Soak: ONE guest live-migrated back and forth HOPS times between two sides, A and B (two unix
# sockets). `rvmig migrate` boots it on A and sends hop 1 to B; from then on every hop's destination
# is an `rvmig recv --then-migrate-to` that receives the guest, checks it (RAM hashes bit-exact
# before resuming, the guest's own verify pass after), lets it run and sends it on to a new recv on
# the other side: the live process, the one it sends to and the next listener. The destination
# chooses its backing (a list, in turn), the sender its --dirty mode (every mode in turn).
# After every hop: both sides' exit status (the sender's at once, the receiver's when it has sent the
# guest on), the live side's VmRSS (now), VmHWM and fd count (peak over its life, sampled), free huge
# pages. Each process's --json has both halves (what it received, what it sent on: "forward"); the
# host's report (lab/report/soak.py) checks every hop's hashes and verify there.
# Arguments: [--hops N] [--mem SIZE] [--backings "LIST"] (default 100 hops of a 64M guest over
# "hugetlb-2M thp anon"; hugetlb-1G needs 3 x --mem of 1G pages, the lab reserves 2).
hops=100 mem=64M backings="hugetlb-2M thp anon"
while [ $# -gt 0 ]; do
	case $1 in
		--hops) hops=$2; shift 2 ;;
		--mem) mem=$2; shift 2 ;;
		--backings) backings=$2; shift 2 ;;
		*) echo "soak: unknown argument $1 (want --hops N, --mem SIZE, --backings \"LIST\")" >&2; exit 2 ;;
	esac
done
case $hops in ''|*[!0-9]*|0) echo "soak: --hops $hops: want a count >= 1" >&2; exit 2 ;; esac
nb=$(echo "$backings" | wc -w)
[ "$nb" -ge 1 ] || { echo "soak: --backings is empty" >&2; exit 2; }
# The guest's workload and the plan of every hop (the same for the first sender and every recv).
# --connect-timeout: a recv starting under TCG next to two busy ones was seen to need more than 10 s.
send="--max-bandwidth 64M --connect-timeout 2m"
post="--post-run 300ms"
shape="--vcpus 2 --mem $mem"

backing_of() { echo "$backings" | tr -s ' ' '\n' | sed -n "$(( ($1 - 1) % nb + 1 ))p"; }
dirty_of() {
	case $(( ($1 - 1) % 4 )) in 0) echo get ;; 1) echo manual ;; 2) echo manual-init-set ;; *) echo ring ;; esac
}
side_of() { if [ $(( $1 % 2 )) = 1 ]; then echo B; else echo A; fi; } # hop 1 lands on B
hp_free() { awk '/^HugePages_Free/ {print $2}' /proc/meminfo; }
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
		sleep 0.5
	done
}
# start_recv I: the process that receives hop I on its side and, unless I is the last, sends hop I+1
start_recv() {
	onward=""
	[ "$1" -lt "$hops" ] &&
		onward="--then-migrate-to unix:/tmp/soak-$(side_of $(($1 + 1))).sock --dirty $(dirty_of $(($1 + 1))) --migrate-after 300ms $send"
	# shellcheck disable=SC2086 # word lists on purpose
	rvmig recv --listen unix:/tmp/soak-"$(side_of "$1")".sock $shape --backing "$(backing_of "$1")" $post \
		--accept-timeout 5m --quiet --json soak-"$1".json $onward >soak-"$1".txt 2>&1 &
	recv_pid=$!
	sample $recv_pid soak-"$1".sample &
}

free_before=$(hp_free)
start=$(date +%s)
echo "hop,from,to,backing,src_backing,dirty,src_rc,src_hwm_kb,src_fds,dst_rss_kb,dst_hwm_kb,dst_fds,hugepages_free,dst_rc" >soak.csv
start_recv 1
dst_pid=$recv_pid
# shellcheck disable=SC2086
rvmig migrate $shape --backing hugetlb-2M --dirty "$(dirty_of 1)" --rate 300 --duration 500ms $send $post \
	--to unix:/tmp/soak-B.sock --json soak-0.json >soak-0.txt 2>&1 &
src_pid=$!
sample $src_pid soak-0.sample &
rc=0 i=1 row="" next_pid=""
while [ "$i" -le "$hops" ]; do
	# hop i: src_pid (the previous receiver, or the first migrate) sends to dst_pid. The receiver of
	# hop i+1 listens already (on the socket src_pid accepted on and removed): dst_pid will connect
	# --migrate-after its verify, and a process starting under TCG can take longer than a connect's
	# 10 s of retries. So three processes for a while: 3 guests' memory must fit.
	[ "$i" -lt "$hops" ] && { start_recv $((i + 1)); next_pid=$recv_pid; }
	wait "$src_pid"; src_rc=$?
	# The previous hop's row waited for this exit status: its receiver was this hop's sender.
	[ -n "$row" ] && echo "$row,$src_rc" >>soak.csv
	rss=$(awk '/^VmRSS/ {print $2}' /proc/"$dst_pid"/status 2>/dev/null)
	sh=0 sf=0
	[ -s soak-$((i - 1)).sample ] && read -r sh sf <soak-$((i - 1)).sample
	[ "$src_rc" = 0 ] || rc=1
	echo "hop $i $(side_of $((i + 1)))->$(side_of "$i") $(backing_of "$i") --dirty $(dirty_of "$i"): sender exit $src_rc, sender peak RSS $sh kB, $sf fds; receiver RSS ${rss:-?} kB; $(hp_free) 2M pages free"
	# dst_rc comes when the receiver exits (after it sent the guest on), its peak RSS and fds then too
	sb=hugetlb-2M
	[ "$i" -gt 1 ] && sb=$(backing_of $((i - 1)))
	row="$i,$(side_of $((i + 1))),$(side_of "$i"),$(backing_of "$i"),$sb,$(dirty_of "$i"),$src_rc,$sh,$sf,${rss:-0},HWM,FDS,$(hp_free)"
	src_pid=$dst_pid dst_pid=$next_pid
	if [ "$src_rc" != 0 ]; then
		# the guest did not arrive, or its sender failed: the chain ends here, and so does the next listener
		[ -n "$dst_pid" ] && kill "$dst_pid" 2>/dev/null
		break
	fi
	i=$((i + 1))
done
# The last receiver verified the guest and shut it down (or, after a failure, every process ends).
wait "$src_pid"; last_rc=$?
[ "$last_rc" = 0 ] || rc=1
[ -n "$row" ] && echo "$row,$last_rc" >>soak.csv
wait
# Fill in each row's receiver peak RSS and fds, known once it exited.
n=1
tail -n +2 soak.csv | while IFS= read -r line; do
	dh=0 df=0
	[ -s soak-$n.sample ] && read -r dh df <soak-$n.sample
	echo "$line" | sed "s/,HWM,FDS,/,$dh,$df,/"
	n=$((n + 1))
done >soak.rows
{ head -1 soak.csv; cat soak.rows; } >soak.csv.new && mv soak.csv.new soak.csv && rm -f soak.rows
# The processes' output only when something failed (the JSON stays for the report).
[ "$rc" = 0 ] && rm -f soak-*.txt
rm -f soak-*.sample
echo "soak: $((i > hops ? hops : i)) hops of $hops in $(( $(date +%s) - start )) s"
echo "hugepages free before $free_before, after $(hp_free)"
exit "$rc"
