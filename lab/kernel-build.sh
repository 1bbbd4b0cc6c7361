#!/usr/bin/env bash
# Builds the lab's riscv64 KVM host kernel, its UAPI headers and the kernel's own KVM dirty-log
# selftests from the tree given as $1. Prints the build directory, which holds:
#   Image, headers/include (make headers_install), selftests/{dirty_log_test,dirty_log_perf_test},
#   kernelrelease, eager-split (yes/no: does the tree have the RISC-V eager split module parameter).
# Cached under ~/.cache/rvmig/kernel/<key>, key = kernel release + source identity + config
# fragment + cross compiler; a Debian source tree never changes, so its build is reused as is.
# LAB_KERNEL_TRACING=0: the fragment without its in-kernel tracing block (lab/kernel-fragment.sh),
# hence its own key; the default (1) is configs/kvm-host.config itself, so its key is unchanged.
set -euo pipefail
. "$(dirname "$0")/common.sh"

src=${1:?usage: kernel-build.sh <kernel tree>}
frag="$RVMIG_ROOT/configs/kvm-host.config"
fragtext=$("$RVMIG_ROOT/lab/kernel-fragment.sh" "$frag") || exit
release=$(make -s -C "$src" kernelversion 2>/dev/null) || die "cannot read the kernel version of $src"
ident=$src
[ -d "$src/.git" ] && ident="$src $(git -C "$src" rev-parse HEAD 2>/dev/null)"
key="$release-$( { echo "$ident"; printf '%s\n' "$fragtext"; "${CROSS}gcc" --version | head -n1; } | sha256sum | cut -c1-12)"
out="$RVMIG_CACHE/kernel/$key"
mkdir -p "$out"
# One build per key at a time: a second caller waits for the first instead of racing it.
exec 9>"$out/lock"
flock 9
if [ "${LAB_KERNEL_TRACING:-1}" = 0 ]; then
	# The derived fragment lives with its build; rewritten only when it changed, so that its
	# mtime (compared with .config below) does not force a reconfigure on every call.
	printf '%s\n' "$fragtext" | cmp -s - "$out/kvm-host-notrace.config" ||
		printf '%s\n' "$fragtext" >"$out/kvm-host-notrace.config"
	frag="$out/kvm-host-notrace.config"
fi
echo "${LAB_KERNEL_TRACING:-1}" >"$out/tracing"
kmake() { make -s -C "$src" O="$out/obj" ARCH=riscv CROSS_COMPILE="$CROSS" -j"$JOBS" "$@"; }

# A Debian source package is immutable: a finished build of it is final. A KERNEL_SRC tree may
# change under us, so it always goes through make (incremental, seconds when nothing changed).
if [ -f "$out/done" ] && [ -z "${KERNEL_SRC:-}" ]; then
	printf '%s\n' "$out"
	exit 0
fi

if grep -q 'module_param(eager_page_split' "$src/arch/riscv/kvm/mmu.c" 2>/dev/null; then
	echo yes >"$out/eager-split"
else
	echo no >"$out/eager-split"
fi
echo "$release" >"$out/kernelrelease"

cc=()
command -v ccache >/dev/null && cc=(CC="ccache ${CROSS}gcc")
if [ ! -f "$out/obj/.config" ] || [ "$frag" -nt "$out/obj/.config" ]; then
	say "configuring Linux $release (tinyconfig + ${frag#"$RVMIG_ROOT"/})"
	kmake tinyconfig >/dev/null
	KCONFIG_CONFIG="$out/obj/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$out/obj" \
		"$out/obj/.config" "$frag" >"$out/merge.log" 2>&1 || die "merging the config fragment failed: see $out/merge.log"
	kmake olddefconfig >/dev/null
	# Every option the fragment asks for must have survived olddefconfig.
	while IFS= read -r line; do
		case $line in CONFIG_*=y) grep -qx "$line" "$out/obj/.config" ||
			die "kernel config: $line did not stick (missing dependency?) — see $out/obj/.config" ;; esac
	done <"$frag"
fi
say "building Linux $release Image (a few minutes the first time; cached afterwards)"
kmake "${cc[@]}" Image >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; die "kernel build failed: see $out/build.log"; }
cp "$out/obj/arch/riscv/boot/Image" "$out/Image"
kmake headers_install INSTALL_HDR_PATH="$out/headers" >/dev/null 2>&1 || die "make headers_install failed (is rsync installed?)"

say "building the kernel's KVM selftests dirty_log_test, dirty_log_perf_test"
st="$out/selftests"
mkdir -p "$st"
make -s -C "$src/tools/testing/selftests/kvm" ARCH=riscv CROSS_COMPILE="$CROSS" OUTPUT="$st" \
	LDFLAGS=-static KHDR_INCLUDES="-isystem $out/headers/include" -j"$JOBS" \
	"$st/dirty_log_test" "$st/dirty_log_perf_test" >"$out/selftests.log" 2>&1 ||
	{ tail -n 30 "$out/selftests.log" >&2; die "selftests build failed: see $out/selftests.log"; }
touch "$out/done"
printf '%s\n' "$out"
