#!/usr/bin/env bash
# Prints the path of a Linux source tree for the lab's KVM host kernel.
#   KERNEL_SRC=<tree>  use that tree (a git tree with patches, say);
#   otherwise the newest Debian linux-source-7.N (N >= 3) found in the suites of the machine's own
#   mirror, downloaded through a private apt configuration and unpacked under the cache.
set -euo pipefail
. "$(dirname "$0")/common.sh"

SUITES=${RVMIG_SUITES:-"trixie-backports sid experimental"}
MIN_MINOR=3

check_tree() {
	local t=$1
	# shellcheck disable=SC2015 # die when any of the three checks fails
	[ -f "$t/Makefile" ] && [ -d "$t/arch/riscv/kvm" ] && grep -q '^VERSION' "$t/Makefile" ||
		die "KERNEL_SRC=$t is not a Linux kernel tree (no Makefile or arch/riscv/kvm): point it at a kernel source tree"
}

if [ -n "${KERNEL_SRC:-}" ]; then
	check_tree "$KERNEL_SRC"
	(cd "$KERNEL_SRC" && pwd)
	exit 0
fi

# Collect "version package suite-dir" for every linux-source-7.N, N >= MIN_MINOR.
candidates=()
reached=0
for suite in $SUITES; do
	dir=$(private_apt_update "$suite" amd64) || { say "suite $suite: index not available now (skipped)"; continue; }
	reached=1
	mapfile -t o < <(private_apt_opts "$dir" amd64)
	while read -r pkg; do
		minor=${pkg#linux-source-7.}
		# shellcheck disable=SC2015 # skip the package unless both hold
		[[ $minor =~ ^[0-9]+$ ]] && [ "$minor" -ge $MIN_MINOR ] || continue
		ver=$(apt-cache "${o[@]}" show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1)
		[ -n "$ver" ] && candidates+=("$ver $pkg $dir $suite")
	done < <(apt-cache "${o[@]}" pkgnames linux-source-7. 2>/dev/null)
done
[ "$reached" = 1 ] || die "cannot reach the Debian mirror $(system_mirror) for any of: $SUITES. Check the network, or set KERNEL_SRC=<kernel tree>"
[ ${#candidates[@]} -gt 0 ] || die "no linux-source-7.N with N >= $MIN_MINOR in $SUITES on $(system_mirror). Set KERNEL_SRC=<tree with RISC-V eager page splitting>"

# Newest by Debian version ordering.
best=${candidates[0]}
for c in "${candidates[@]:1}"; do
	dpkg --compare-versions "${c%% *}" gt "${best%% *}" && best=$c
done
read -r ver pkg dir suite <<<"$best"
tree="$RVMIG_CACHE/src/$pkg-${ver//[~+:]/_}"  # no ~ + : in paths the kernel build sees
if [ ! -f "$tree/.rvmig-unpacked" ]; then
	say "fetching $pkg $ver from $suite"
	mapfile -t o < <(private_apt_opts "$dir" amd64)
	mkdir -p "$RVMIG_CACHE/debs"
	(cd "$RVMIG_CACHE/debs" && apt-get "${o[@]}" download -qq "$pkg=$ver" >/dev/null 2>&1) ||
		die "download of $pkg=$ver from $suite failed: check the network to $(system_mirror)"
	# shellcheck disable=SC2012 # Debian package file names: no characters ls would mangle
	deb=$(ls "$RVMIG_CACHE/debs/${pkg}_${ver//:/%3a}_"*.deb | head -n1)
	rm -rf "$tree.tmp" && mkdir -p "$tree.tmp"
	say "unpacking $pkg $ver"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
		tar -xJ -C "$tree.tmp" --strip-components=1
	rm -rf "$tree" && mv "$tree.tmp" "$tree"
	touch "$tree/.rvmig-unpacked"
fi
printf '%s\n' "$tree"
