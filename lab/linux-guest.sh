#!/usr/bin/env bash
# The Linux demo guest's initramfs: busybox (static, from the sysroot), the rvmig workload
# (guest/linux/rvmig-wl.c, static riscv64) and an /init that runs it on the console and powers off.
# The guest kernel is the lab kernel's own Image. Cached under $RVMIG_CACHE/linux-guest/<key>, the key
# a hash of everything that goes in; prints the path of the cpio.gz.
# Usage: linux-guest.sh <workload binary> <sysroot>
set -euo pipefail
. "$(dirname "$0")/common.sh"

wl=$1 sysroot=$2
[ -x "$wl" ] || die "no workload binary at $wl (make build/riscv64/rvmig-wl)"
[ -x "$sysroot/bin/busybox" ] || die "no busybox in the sysroot $sysroot (lab/sysroot.sh)"
# The guest's PID 1. Its console is hvc0 (SBI); the workload reads the VMM's commands there and
# writes its lines there (include/rvmig_wl.h). Whatever happens to the workload, the guest powers off:
# the VMM decides success from the workload's lines, not from the way the guest ended.
init='#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
/bin/rvmig-wl
echo "rvmig-linux-guest: rvmig-wl exited with status $?, powering off"
/bin/busybox poweroff -f
'
key=$( { sha256sum "$wl" "$sysroot/bin/busybox" | cut -d' ' -f1; printf '%s' "$init" | sha256sum; } | sha256sum | cut -c1-12)
out="$RVMIG_CACHE/linux-guest/$key"
if [ ! -f "$out/initrd.cpio.gz" ]; then
	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT
	mkdir -p "$root"/{bin,dev,proc,sys,tmp} "$out"
	install -m 755 "$sysroot/bin/busybox" "$root/bin/busybox"
	install -m 755 "$wl" "$root/bin/rvmig-wl"
	printf '%s' "$init" >"$root/init"
	chmod 755 "$root/init"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 >"$out/initrd.cpio.gz.tmp"
	mv "$out/initrd.cpio.gz.tmp" "$out/initrd.cpio.gz"
fi
printf '%s\n' "$out/initrd.cpio.gz"
