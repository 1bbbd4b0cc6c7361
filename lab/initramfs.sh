#!/usr/bin/env bash
# Packs the lab's initramfs: our init, busybox, rvmig, the guest image and the kernel's KVM selftests.
# Usage: initramfs.sh <out.cpio.gz> <build dir> <kernel build dir> <sysroot>
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=$1 build=$2 kdir=$3 sysroot=$4
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,results,lib/rvmig,etc}
install -m 755 "$build/riscv64/init" "$root/init"
install -m 755 "$sysroot/bin/busybox" "$root/bin/busybox"
install -m 755 "$build/riscv64/rvmig" "$root/bin/rvmig"
install -m 644 "$build/guest/guest.bin" "$root/lib/rvmig/guest.bin"
for t in dirty_log_test dirty_log_perf_test; do
	install -m 755 "$kdir/selftests/$t" "$root/bin/$t"
done
# A login shell inside the lab tells the user where they are.
cat >"$root/etc/profile" <<'EOP'
export PS1='rvmig-lab:\w# '
echo "rvmig lab: $(uname -r), eager_page_split=$(cat /sys/module/kvm/parameters/eager_page_split 2>/dev/null || echo absent)"
echo "  huge pages: 2M $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages), 1G $(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages)"
echo "  try: rvmig --help   files in $PWD land in the host's results/ dir   leave: exit"
EOP
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
