# shellcheck shell=sh disable=SC3043,SC2034,SC2016 # busybox ash has local; KTRACE_* are read by the scenario; $retval is tracefs syntax
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
# Per level: split_huge walks from the top level down to its target_level (the probe's "level"
# argument; 0 = 4K from both callers) and, at every huge leaf on the way, takes one page-table page
# from the cache (kvm_mmu_memory_cache_alloc, which never fails: it BUG()s instead) and fills it with
# 512 children. So a call with target level t that took k pages split the levels t+k -> t+k-1 down to
# t+1 -> t: k = 1 is a 2M -> 4K split, k = 2 on 1G backing a 1G -> 2M and a 2M -> 4K split.
# lab/report/ktrace.py counts the allocations inside each split call on its thread.
#
# Per-fault timing: entry and return probes on KVM's stage-2 fault handler kvm_riscv_mmu_map (every
# guest page fault on RAM), on kvm_riscv_gstage_map_page (reached only on the slow path: mmap lock,
# __kvm_faultin_pfn, mmu_lock held for write), and on the read-locked fast path
# kvm_riscv_mmu_dirty_log_write_fault_fast when the kernel kept it as a function (it is static and
# called once: gcc may inline it; then a fault without map_page inside counts as fast).
#
# (mmu_lock waits: entry and return probes on the qrwlock slow paths, see ktrace_init.)
#
# ktrace_init           0 when tracing works; else 1, with the reason in $KTRACE_WHY; $KTRACE_PROBES
#                       names the functions probed, $KTRACE_MISSING those this kernel lacks
# ktrace_begin KB WHAT  clear the buffer (KB per CPU) and start recording; WHAT: "faults" (every
#                       probe) or "splits" (the split and page-table allocation probes only, for cases
#                       too big to trace per fault)
# ktrace_end FILE       stop; the raw trace goes to FILE, the events lost to overruns to FILE.lost
KT=/sys/kernel/tracing
KTRACE_WHY=""
KTRACE_FN=kvm_riscv_gstage_split_huge
KTRACE_PROBES="" KTRACE_MISSING="" KTRACE_KB=0

# The symbol as kallsyms has it (gcc may add .isra.0 / .constprop.0), or nothing.
ktrace_sym() {
	sed -n "s/^[0-9a-f]* [tTwW] \($1\(\.[a-z]*\.[0-9]*\)\{0,1\}\)\$/\1/p" /proc/kallsyms 2>/dev/null | head -n 1
}

# ktrace_probe NAME FUNCTION ENTRY-ARGS RETURN-ARGS: rvmig/NAME and rvmig/NAME_ret (RETURN-ARGS "-":
# no return probe), or 1.
ktrace_probe() {
	local sym
	sym=$(ktrace_sym "$2")
	[ -n "$sym" ] || { KTRACE_MISSING="$KTRACE_MISSING $2"; return 1; }
	if ! { echo "p:rvmig/$1 $sym $3" >>"$KT/kprobe_events" &&
		{ [ "$4" = - ] || echo "r:rvmig/${1}_ret $sym $4" >>"$KT/kprobe_events"; }; } 2>/dev/null; then
		KTRACE_WHY="defining kprobe events on $sym failed: $(tail -n 3 "$KT/error_log" 2>/dev/null | tr '\n' ' ')"
		return 2
	fi
	KTRACE_PROBES="$KTRACE_PROBES $sym"
}

ktrace_init() {
	# No tracing directory at all: a kernel built without the tracing block (LAB_KERNEL_TRACING=0);
	# a directory without kprobe_events: tracing, but not KPROBE_EVENTS.
	[ -d "$KT" ] || { KTRACE_WHY="this kernel has no kprobe events (no $KT: built without tracing, e.g. LAB_KERNEL_TRACING=0)"; return 1; }
	[ -n "$(ls -A "$KT" 2>/dev/null)" ] || { KTRACE_WHY="tracefs is not mounted at $KT (the lab's init mounts it)"; return 1; }
	[ -w "$KT/kprobe_events" ] || { KTRACE_WHY="this kernel has no kprobe events (no $KT/kprobe_events: built without KPROBE_EVENTS)"; return 1; }
	echo 0 >"$KT/tracing_on"
	[ -d "$KT/events/rvmig" ] && { echo 0 >"$KT/events/rvmig/enable"; echo >"$KT/kprobe_events"; }
	# riscv's calling convention: arguments in a0..a7. split_huge(gstage, pcache, addr, target_level,
	# flush); mmu_map(vcpu, memslot, gpa, hva, is_write, out_map).
	ktrace_probe split "$KTRACE_FN" 'addr=%a2:x64 level=%a3:u32 flush=%a4:u8' 'ret=$retval:u8'
	case $? in
		1) KTRACE_WHY="this kernel has no $KTRACE_FN (not Linux 7.3's RISC-V split path)"; return 1 ;;
		2) return 1 ;;
	esac
	ktrace_probe map kvm_riscv_mmu_map 'w=%a4:u8' 'ret=$retval:s32'
	[ $? = 2 ] && return 1
	ktrace_probe mapp kvm_riscv_gstage_map_page '' ''
	[ $? = 2 ] && return 1
	ktrace_probe fast kvm_riscv_mmu_dirty_log_write_fault_fast '' 'ret=$retval:u8'
	[ $? = 2 ] && return 1
	# The page-table pages a split takes: how many levels it split (see the top of this file).
	ktrace_probe alloc kvm_mmu_memory_cache_alloc '' -
	[ $? = 2 ] && return 1
	# The rwlock slow paths: a thread enters one only when it must wait, and the one rwlock a fault
	# takes is mmu_lock (read in the fast path, write in the slow path), so inside a fault their
	# duration is that fault's mmu_lock wait. Optional: without them there is no wait figure.
	ktrace_probe rlk queued_read_lock_slowpath '' ''
	ktrace_probe wlk queued_write_lock_slowpath '' ''
	echo 1 >"$KT/options/record-tgid" 2>/dev/null
	# An entry and its return are paired per thread, which may move between CPUs in a fault: "global"
	# keeps the timestamps of different CPUs comparable (the default "local" need not).
	echo global >"$KT/trace_clock" 2>/dev/null
	return 0
}

ktrace_begin() {
	echo 0 >"$KT/tracing_on"
	if [ "$1" != "$KTRACE_KB" ]; then
		echo "$1" >"$KT/buffer_size_kb"
		KTRACE_KB=$1
	fi
	echo >"$KT/trace"
	if [ "$2" = faults ]; then
		echo 1 >"$KT/events/rvmig/enable"
	else
		echo 1 >"$KT/events/rvmig/split/enable"
		echo 1 >"$KT/events/rvmig/split_ret/enable"
		[ -d "$KT/events/rvmig/alloc" ] && echo 1 >"$KT/events/rvmig/alloc/enable"
	fi
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
