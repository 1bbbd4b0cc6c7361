# shellcheck shell=sh disable=SC3043,SC2034 # busybox ash has local; KTRACE_WHY is read by the scenario
# In-kernel counts of KVM's huge-mapping splits, by context, from kprobe events (busybox sh, sourced
# inside the lab; run.sh copies it into the run directory next to the bench scenario).
#
# Why kprobes: under TCG a guest exit costs ~100 us, which hides the split's cost from the guest's
# clock; inside KVM every split is a function call we can see. Linux 7.3's RISC-V KVM splits through
# one function, kvm_riscv_gstage_split_huge(gstage, pcache, addr, target_level, flush):
#   - from a vCPU's write fault (kvm_riscv_gstage_map_page) with flush=true, only when the leaf is
#     still huge: every such call is one split fault;
#   - from ioctl context (mmu_split_huge_pages: enabling dirty logging, or KVM_CLEAR_DIRTY_LOG with
#     INITIALLY_SET) with flush=false, once per 2M step of the range; it returns true when it split
#     something there, false when that 2M region was already 4K.
# So the unit of both counts is the same: one 2M region split down to 4K (on 1G backing the first
# region of a 1G leaf also splits the 1G leaf into 2M tables on the way).
#
# ktrace_init           0 when tracing works; else 1, with the reason in $KTRACE_WHY
# ktrace_begin          clear the buffer and start recording
# ktrace_end FILE       stop; the raw trace goes to FILE, the events lost to overruns to FILE.lost
KT=/sys/kernel/tracing
KTRACE_WHY=""
KTRACE_FN=kvm_riscv_gstage_split_huge

ktrace_init() {
	[ -w "$KT/kprobe_events" ] || { KTRACE_WHY="no $KT/kprobe_events (kernel without KPROBE_EVENTS or tracefs)"; return 1; }
	grep -q " $KTRACE_FN\$" /proc/kallsyms 2>/dev/null ||
		{ KTRACE_WHY="this kernel has no $KTRACE_FN (not Linux 7.3's RISC-V split path)"; return 1; }
	echo 0 >"$KT/tracing_on"
	[ -d "$KT/events/rvmig" ] && { echo 0 >"$KT/events/rvmig/enable"; echo >"$KT/kprobe_events"; }
	# riscv's calling convention: a2 = addr, a3 = target_level, a4 = flush.
	if ! { echo "p:rvmig/split $KTRACE_FN addr=%a2:x64 level=%a3:u32 flush=%a4:u8" >>"$KT/kprobe_events" &&
		echo "r:rvmig/split_ret $KTRACE_FN ret=\$retval:u8" >>"$KT/kprobe_events"; } 2>/dev/null; then
		KTRACE_WHY="defining kprobe events on $KTRACE_FN failed: $(tail -n 3 "$KT/error_log" 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
	echo 1 >"$KT/options/record-tgid" 2>/dev/null
	# 1G backing, eager Y: 512 2M steps, two events each, per GiB; a few thousand events per case.
	echo 4096 >"$KT/buffer_size_kb"
	return 0
}

ktrace_begin() {
	echo 0 >"$KT/tracing_on"
	echo >"$KT/trace"
	echo 1 >"$KT/events/rvmig/enable"
	echo 1 >"$KT/tracing_on"
}

ktrace_end() {
	local f="$1" lost=0 n
	echo 0 >"$KT/tracing_on"
	echo 0 >"$KT/events/rvmig/enable"
	cat "$KT/trace" >"$f"
	for s in "$KT"/per_cpu/cpu*/stats; do
		n=$(sed -n 's/^overrun: *//p' "$s")
		lost=$((lost + ${n:-0}))
	done
	echo "$lost" >"$f.lost"
}
