#!/usr/bin/env bash
# Boots the lab under QEMU (TCG, H extension on) and waits for it to power off.
# Usage: boot.sh <run dir> <job|shell> <Image> <initramfs>
# Environment: LAB_SMP (2), LAB_MEM (6G), LAB_TIMEOUT seconds (1800), LAB_HUGEPAGES_2M (512),
# LAB_HUGEPAGES_1G (2), LAB_BOOT_WATCHDOG seconds (240: a boot that has not reached the lab's init by
# then is stopped and tried once more). The run dir is shared with the guest as /results over virtio-9p.
# The console goes to the terminal and to <run dir>/console.log.
set -euo pipefail
. "$(dirname "$0")/common.sh"

run_dir=$1 mode=$2 image=$3 initrd=$4
read -r fw _ < <("$RVMIG_ROOT/firmware/firmware.sh")
append="console=ttyS0 panic=-1 quiet loglevel=4 rvmig.mode=$mode"
# Room for the migration socket buffers rvmig asks for (XPORT_SOCKBUF, 4 MiB; the default cap is 208 KiB).
append+=" sysctl.net.core.wmem_max=16777216 sysctl.net.core.rmem_max=16777216"
append+=" hugepagesz=1G hugepages=${LAB_HUGEPAGES_1G:-2} hugepagesz=2M hugepages=${LAB_HUGEPAGES_2M:-512}"
# shellcheck disable=SC2054 # the commas are QEMU's option syntax (rv64,h=true), not array separators
qemu=(qemu-system-riscv64 -machine virt -cpu rv64,h=true -smp "${LAB_SMP:-2}" -m "${LAB_MEM:-6G}"
	-bios "$fw" -kernel "$image" -initrd "$initrd" -append "$append" -no-reboot
	-fsdev "local,id=results,path=$run_dir,security_model=none"
	-device virtio-9p-device,fsdev=results,mount_tag=results)
case ${LAB_BOOT_FREEZE:-0} in
0) ;;
1) qemu+=(-S) ;;
*) die "LAB_BOOT_FREEZE=$LAB_BOOT_FREEZE: want 0 or 1" ;;
esac
if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -nographic
fi
# Non-interactive: no monitor, no stdin, a hard time limit.
#
# The boot watchdog: on a heavily loaded host the lab kernel has twice printed nothing after OpenSBI
# for the whole time limit, and booting again worked. The lab's init writes env.json into the run
# dir before anything else it does (lab/init.c), so no env.json after LAB_BOOT_WATCHDOG seconds means
# the boot is stuck, not the job: that QEMU is stopped and the lab booted once more, said on stderr and
# in console.log. A second stuck boot is an error. LAB_BOOT_FREEZE=1 (for the watchdog's own test) starts
# QEMU with its harts stopped (-S): a boot that never gets past nothing, however fast the host is.
boot_watchdog=${LAB_BOOT_WATCHDOG:-240}
case $boot_watchdog in '' | *[!0-9]*) die "LAB_BOOT_WATCHDOG=$boot_watchdog: want whole seconds (e.g. 240)" ;; esac
watch_boot() {
	local waited=0
	while [ "$waited" -lt "$boot_watchdog" ]; do
		sleep 1
		waited=$((waited + 1))
		[ -f "$run_dir/env.json" ] && return 0
	done
	: >"$run_dir/.boot-stalled"
	# QEMU writes its pid file as it starts; on a loaded host a short watchdog can expire before that.
	while [ ! -s "$run_dir/qemu.pid" ] && [ "$waited" -lt $((boot_watchdog + 60)) ]; do
		sleep 1
		waited=$((waited + 1))
	done
	[ -s "$run_dir/qemu.pid" ] && kill "$(cat "$run_dir/qemu.pid")" 2>/dev/null
	return 0
}
: >"$run_dir/console.log"
for attempt in 1 2; do
	rm -f "$run_dir/env.json" "$run_dir/qemu.pid" "$run_dir/.boot-stalled"
	watch_boot &
	watcher=$!
	set +e
	timeout --foreground -k 10 "${LAB_TIMEOUT:-1800}" "${qemu[@]}" -display none -serial stdio -monitor none \
		-pidfile "$run_dir/qemu.pid" </dev/null 2>&1 | sed -u 's/\r$//' | tee -a "$run_dir/console.log"
	rc=${PIPESTATUS[0]}
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	set -e
	rm -f "$run_dir/qemu.pid"
	[ -f "$run_dir/.boot-stalled" ] || break
	rm -f "$run_dir/.boot-stalled"
	msg="boot $attempt: the lab kernel did not reach its init within $boot_watchdog s (LAB_BOOT_WATCHDOG)"
	printf '\n=== rvmig: %s ===\n' "$msg" >>"$run_dir/console.log"
	[ "$attempt" = 1 ] || die "$msg, twice: see $run_dir/console.log"
	say "$msg: booting once more"
done
[ "$rc" = 124 ] && die "the lab did not finish within ${LAB_TIMEOUT:-1800} s (LAB_TIMEOUT): see $run_dir/console.log"
[ "$rc" = 0 ] || die "qemu-system-riscv64 exited with status $rc: see $run_dir/console.log"
exit 0
