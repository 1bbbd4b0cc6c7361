# Sourced by run.sh: builds (or finds in the cache) everything a lab run needs, and writes the job.
# Sets BUILD_DIR, KERNEL_DIR, KERNEL_IMAGE_PATH, SYSROOT_DIR, INITRAMFS.
# shellcheck shell=bash

# Every package the lab needs, named directly: apt_need installs without Recommends, so nothing may
# come in only as one (libc6-dev-riscv64-cross is only a Recommends of gcc-riscv64-linux-gnu, and
# without it the selftests, the lab's init and rvmig fail on bits/libc-header-start.h).
HOST_PKGS="make gcc libc6-dev git gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-system-misc opensbi
	flex bison bc libelf-dev cpio rsync gzip xz-utils libfdt-dev zlib1g-dev libxxhash-dev gnuplot-nox jq ca-certificates
	python3"
NATIVE_PKGS="make gcc libc6-dev git libfdt-dev libcap-dev zlib1g-dev libxxhash-dev gnuplot-nox jq python3"
QEMU_MIN=7.0

check_qemu() {
	local v
	v=$(qemu-system-riscv64 --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p')
	[ -n "$v" ] || die "qemu-system-riscv64 does not run: install qemu-system-misc (>= $QEMU_MIN)"
	printf '%s\n%s\n' "$QEMU_MIN" "$v" | sort -V -C ||
		die "QEMU $v is too old: the lab needs >= $QEMU_MIN for -cpu rv64,h=true (install a newer qemu-system-misc)"
}

lab_prepare() {
	BUILD_DIR="$RVMIG_ROOT/build"
	# shellcheck disable=SC2154,SC2086 # run.sh sets native; the package lists are split on purpose
	if [ "$native" = 1 ]; then
		apt_need $NATIVE_PKGS
		KERNEL_DIR="" SYSROOT_DIR=/usr
		make -s -C "$RVMIG_ROOT" CROSS= KHDR=/usr SYSROOT=/usr vmm guest ||
			die "building rvmig or the guest natively failed (see the compiler output above)"
		return
	fi
	# shellcheck disable=SC2086 # a list of package names: split on purpose
	apt_need $HOST_PKGS
	check_qemu
	local src
	src=$("$RVMIG_ROOT/lab/kernel-source.sh")
	KERNEL_DIR=$("$RVMIG_ROOT/lab/kernel-build.sh" "$src")
	KERNEL_IMAGE_PATH=${KERNEL_IMAGE:-$KERNEL_DIR/Image}
	[ -f "$KERNEL_IMAGE_PATH" ] || die "KERNEL_IMAGE=$KERNEL_IMAGE_PATH does not exist"
	SYSROOT_DIR=$("$RVMIG_ROOT/lab/sysroot.sh")
	make -s -C "$RVMIG_ROOT" KHDR="$KERNEL_DIR/headers" SYSROOT="$SYSROOT_DIR" vmm guest build/riscv64/init \
		build/riscv64/rvmig-wl ||
		die "building rvmig, the guest, the lab's init or the Linux guest's workload failed (see the compiler output above)"
	INITRAMFS="$BUILD_DIR/initramfs.cpio.gz"
	"$RVMIG_ROOT/lab/initramfs.sh" "$INITRAMFS" "$BUILD_DIR" "$KERNEL_DIR" "$SYSROOT_DIR"
	# The Linux demo guest (demo/migrate --linux): the lab's Image and this initramfs.
	LINUX_GUEST_INITRD=$("$RVMIG_ROOT/lab/linux-guest.sh" "$BUILD_DIR/riscv64/rvmig-wl" "$SYSROOT_DIR")
}

# The eager split A/B needs a kernel that has the RISC-V eager split module parameter.
require_eager_split() {
	[ "$native" = 1 ] && return 0
	[ -n "${KERNEL_IMAGE:-}" ] && return 0 # checked inside the lab, from /sys
	[ "$(cat "$KERNEL_DIR/eager-split")" = yes ] ||
		die "kernel $(cat "$KERNEL_DIR/kernelrelease") has no RISC-V eager page splitting (no eager_page_split in arch/riscv/kvm/mmu.c): use Linux >= 7.3 or set KERNEL_SRC=<tree with the eager split series>"
}

# Writes <run dir>/job.sh: the scenario script and its arguments, run by the lab's init (or natively).
lab_write_job() {
	local cmd=$1 dir=$2 shell_cmd=$3
	shift 3
	{
		echo '#!/bin/sh'
		echo '# Written by run.sh; runs inside the lab with this directory as the working directory.'
		if [ "$cmd" = shell ]; then
			printf '%s\n' "$shell_cmd"
		else
			case $cmd in selftests|bench|frontier) require_eager_split ;; esac
			# The bench scenario reads its presets from the run directory (the lab sees only that).
			[ "$cmd" = bench ] && cp "$RVMIG_ROOT"/configs/bench-*.conf "$RVMIG_ROOT/lab/ktrace.sh" "$dir/"
			# --linux: the guest's kernel (the lab's own Image) and initramfs, read over 9p.
			case " $* " in *" --linux "*) lab_linux_guest_files "$dir" ;; esac
			printf 'set --'
			[ $# -gt 0 ] && printf ' %q' "$@"
			printf '\n'
			cat "$RVMIG_ROOT/lab/scenarios/$cmd.sh"
		fi
	} >"$dir/job.sh"
	rm -f "$dir/exit-status"
}

# The Linux demo guest's files into the run directory: Image and linux-guest.cpio.gz.
lab_linux_guest_files() {
	[ "$native" = 1 ] && die "--linux needs the lab (no native mode yet): the guest kernel is the lab kernel's Image"
	[ -n "${LINUX_GUEST_INITRD:-}" ] || die "--linux: no Linux guest initramfs was built (lab/linux-guest.sh)"
	cp "$KERNEL_IMAGE_PATH" "$1/Image"
	cp "$LINUX_GUEST_INITRD" "$1/linux-guest.cpio.gz"
}

# lab.json: what the host side knows (the lab side writes env.json).
lab_record_host() {
	local dir=$1 cmd=$2 qemu fw
	qemu=$(qemu-system-riscv64 --version 2>/dev/null | head -n1 || echo none)
	fw=$("$RVMIG_ROOT/firmware/firmware.sh" 2>/dev/null || echo "none none")
	jq -n --arg cmd "$cmd" --arg date "$(date -Iseconds)" --arg host "$(uname -srm)" \
		--arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" \
		--arg qemu "$qemu" --arg firmware "${fw#* }" --arg kernel "$(cat "$KERNEL_DIR/kernelrelease" 2>/dev/null || uname -r)" \
		--arg kernel_image "${KERNEL_IMAGE_PATH:-native}" --arg rvmig "$(git -C "$RVMIG_ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
		--argjson native "$native" --arg smp "${LAB_SMP:-2}" --arg mem "${LAB_MEM:-6G}" --argjson cores "$(nproc)" \
		'{command: $cmd, date: $date, host: $host, host_cpu: $cpu, native: ($native == 1), qemu: $qemu,
		  firmware: $firmware, lab_kernel: $kernel, kernel_image: $kernel_image, rvmig: $rvmig,
		  lab_smp: $smp, lab_mem: $mem, host_cores: $cores, accel: (if $native == 1 then "kvm" else "tcg" end)}' >"$dir/lab.json"
}
