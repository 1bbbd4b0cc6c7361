# Shared helpers for the lab scripts: paths, messages, privilege and apt handling.
# Sourced, not executed.
# shellcheck shell=bash

RVMIG_ROOT=${RVMIG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
RVMIG_CACHE=${RVMIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rvmig}
CROSS=${CROSS:-riscv64-linux-gnu-}
JOBS=${JOBS:-$(nproc)}

say()  { printf 'rvmig: %s\n' "$*" >&2; }
die()  { printf 'rvmig: error: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}
can_be_root() {
	[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }
}

# Install Debian packages that are not installed yet; nothing happens when all are present.
apt_need() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get: install them by hand"
	can_be_root || die "missing packages ${missing[*]}; installing them needs root: run as root, set up sudo, or install them by hand"
	say "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 ||
		die "apt-get update failed: check the network to your Debian mirror"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# The Debian mirror the machine already uses (first http(s) URI of a debian suite in its apt sources).
system_mirror() {
	local uri
	uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
		grep -v -- '-security' | grep -oE 'https?://[^ ]*debian[^ ]*' | head -n1)
	uri=${uri%/}
	[ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}: set RVMIG_MIRROR=<http://.../debian>"
	printf '%s\n' "${RVMIG_MIRROR:-$uri}"
}

# apt-get/apt-cache options for a private configuration under $1 (one suite, one architecture):
# its own sources, lists and cache, so the system's apt state is never touched.
private_apt_opts() {
	local dir=$1
	printf '%s\n' -o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o Dir::State::status=/dev/null \
		-o "APT::Architecture=$2" -o "APT::Architectures::=$2" -o Acquire::Retries=2 \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root
}

# Set up and refresh a private apt configuration for one suite and architecture; prints its dir.
private_apt_update() {
	local suite=$1 arch=$2 dir="$RVMIG_CACHE/apt/$1-$2" mirror
	mirror=$(system_mirror)
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$dir/sources.list"
	# Refresh at most every 6 hours; a failed refresh leaves the suite out (mirror syncs come and go).
	if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mmin -360 2>/dev/null)" ]; then
		mapfile -t o < <(private_apt_opts "$dir" "$arch")
		apt-get "${o[@]}" update -qq >"$dir/update.log" 2>&1 || { rm -f "$dir"/lists/*Packages*; return 1; }
		# apt-get update exits 0 when a mirror cannot be reached; the index must really be there.
		grep -qE '^[WE]: (Failed to fetch|Some index files failed)' "$dir/update.log" && { rm -f "$dir"/lists/*Packages*; return 1; }
		ls "$dir"/lists/*Packages* >/dev/null 2>&1 || return 1
	fi
	printf '%s\n' "$dir"
}

# What `make check` needs: a compiler with ASan/UBSan, libfdt, zlib, libsodium (the listener's
# handshake), libseccomp (the syscall allow list's names) and xxHash's header (the unit tests), clang
# and its libFuzzer runtime (tests/fuzz: libclang-rt-14-dev is bookworm's clang-14 runtime), python3
# (the report tests in tests/report/, and tests/gdb_abi.sh reads guest/gdb-vmm.py).
# shellcheck disable=SC2034 # read by the sourcing scripts: the Makefile's host-deps, .ci/run
HOST_TEST_PKGS="make gcc libc6-dev libfdt-dev zlib1g-dev libxxhash-dev libsodium-dev libseccomp-dev python3 shellcheck clang-format clang libclang-rt-14-dev"

sha_of() { sha256sum "$@" | sha256sum | cut -c1-16; }
