#!/usr/bin/env bash
# Prints a directory holding riscv64 static libraries and tools from Debian's riscv64 packages:
#   include/ lib/ (libfdt.a, libcap.a, libz.a, libsodium.a, libseccomp.a + headers) and bin/busybox (static).
# Taken from sid (bookworm has no riscv64 port); cached under ~/.cache/rvmig/sysroot.
set -euo pipefail
. "$(dirname "$0")/common.sh"

PKGS="libfdt-dev libcap-dev zlib1g-dev libsodium-dev libseccomp-dev busybox-static"
out="$RVMIG_CACHE/sysroot/$(echo "$PKGS" | sha256sum | cut -c1-8)"
if [ -f "$out/done" ]; then printf '%s\n' "$out"; exit 0; fi
# One build per key at a time (two labs starting together once removed each other's half-built
# tree): a second caller waits, then finds the first one's result. The lock lives beside the tree,
# which is removed and made again below.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
if [ -f "$out/done" ]; then printf '%s\n' "$out"; exit 0; fi

dir=$(private_apt_update "${RVMIG_RISCV_SUITE:-sid}" riscv64) ||
	die "cannot read the riscv64 package index of ${RVMIG_RISCV_SUITE:-sid} on $(system_mirror): check the network (see $RVMIG_CACHE/apt/*/update.log)"
mapfile -t o < <(private_apt_opts "$dir" riscv64)
rm -rf "$out" && mkdir -p "$out/debs" "$out/root"
say "fetching riscv64 $PKGS"
# shellcheck disable=SC2046 # one argument per package: split on purpose
(cd "$out/debs" && apt-get "${o[@]}" download -qq $(for p in $PKGS; do echo "$p:riscv64"; done) >/dev/null 2>&1) ||
	die "download of riscv64 $PKGS failed: check the network to $(system_mirror)"
for d in "$out"/debs/*.deb; do dpkg-deb -x "$d" "$out/root"; done
mkdir -p "$out/include" "$out/lib" "$out/bin"
cp -a "$out"/root/usr/include/. "$out/include/"
cp "$out"/root/usr/lib/riscv64-linux-gnu/{libfdt,libcap,libz,libsodium,libseccomp}.a "$out/lib/"
cp "$(find "$out/root" -path "*bin/busybox" -type f | head -n1)" "$out/bin/busybox"
for f in "$out"/debs/*.deb; do dpkg-deb -f "$f" Package Version | paste -sd' '; done >"$out/versions"
rm -rf "$out/root" "$out/debs"
touch "$out/done"
printf '%s\n' "$out"
