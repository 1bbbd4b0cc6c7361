#!/usr/bin/env bash
# make test-fresh: README's commands on a pristine Debian root, as a new user's machine would run them.
#
#   1. a minimal root of the host's own Debian release (debootstrap --variant=minbase, from the mirror
#      the machine's apt sources already use), cached bare as a tarball under ~/.cache/rvmig/fresh/;
#   2. the machine's apt configuration copied in (a new machine of this kind has it: on these machines
#      the newer suites' Release files are accepted only thanks to it), then only git and make, which
#      README asks a person to have;
#   3. the commit under test cloned to /root/rvmig inside (root's mode-700 home, as a root user clones),
#      HOME=/root, so ~/.cache/rvmig starts empty;
#   4. inside, in a private mount namespace with /proc, /sys and /dev: `./run.sh` (cold: installs its
#      packages, fetches and builds the kernel), `./run.sh` again (warm), then `make test`.
# Prints the figures a new user cares about, writes results/fresh-<date>/fresh.json, and ends with the
# inner `make test`'s "N passed, N failed" line. On failure: which step, and the tail of its log.
#
# Environment: RVMIG_FRESH_WORK (where the root is built, default /var/tmp), RVMIG_FRESH_KEEP=1 (keep
# the root afterwards, to look inside), RVMIG_FRESH_STEPS (default "run warm test"; "run" alone stops
# after the first ./run.sh).
set -euo pipefail
# The whole script is one function, read before it runs: editing this file during a run (it takes
# half an hour) cannot change the run under way.
main() {
RVMIG_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$RVMIG_ROOT/lab/common.sh"

[ "$(id -u)" = 0 ] ||
	die "make test-fresh builds a Debian root and chroots into it, which needs root: run it as root (sudo make test-fresh)"
# shellcheck source=/dev/null # the host's file, not the tree's
[ -r /etc/os-release ] && . /etc/os-release
release=${VERSION_CODENAME:-}
# shellcheck disable=SC2015 # die when either is missing
[ -n "$release" ] && command -v apt-get >/dev/null ||
	die "make test-fresh proves README on Debian: this host has no Debian release name in /etc/os-release or no apt-get"
steps=${RVMIG_FRESH_STEPS:-run warm test}

apt_need debootstrap debian-archive-keyring git util-linux jq
mirror=$(system_mirror)
arch=$(dpkg --print-architecture)
dbs_version=$(dpkg-query -W -f='${Version}' debootstrap)

# Cleanup runs whatever happens: on success, on failure and on a signal.
bare="" work="" root=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	# The mounts live in a private namespace that ended with its process; check anyway before rm,
	# so that nothing of the host's /dev or /sys is ever deleted through a leftover bind mount.
	if [ -n "$root" ] && findmnt -rn -o TARGET | grep -q "^$root/"; then
		findmnt -rn -o TARGET | grep "^$root/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	fi
	[ -n "$bare" ] && rm -rf --one-file-system "$bare"
	[ -n "$work" ] || return 0
	if [ "${RVMIG_FRESH_KEEP:-0}" = 1 ]; then
		say "fresh: kept the root in $root (RVMIG_FRESH_KEEP=1)"
	elif ! findmnt -rn -o TARGET | grep -q "^$root/"; then
		rm -rf --one-file-system "$work"
	else
		say "fresh: something is still mounted under $root: not deleting $work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP # the EXIT trap cleans up on a signal too

# ---- 1. the bare root, cached --------------------------------------------------------------------
cache="$RVMIG_CACHE/fresh"
tarball="$cache/$release-$arch-minbase-debootstrap_${dbs_version}.tar"
mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
	say "fresh: debootstrap --variant=minbase $release (about a minute; cached in $tarball)"
	bare=$(mktemp -d "${RVMIG_FRESH_WORK:-/var/tmp}/rvmig-bare.XXXXXX")
	chmod 755 "$bare" # it becomes /: mktemp's 700 would lock every other user out of the root
	if ! debootstrap --variant=minbase "$release" "$bare" "$mirror" >"$cache/debootstrap.log" 2>&1; then
		tail -n 20 "$cache/debootstrap.log" >&2
		die "debootstrap $release from $mirror failed: see $cache/debootstrap.log"
	fi
	tar -C "$bare" --numeric-owner -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
	rm -rf --one-file-system "$bare"
	bare=""
fi

# ---- 2. a working copy of it, cleaned up whatever happens ------------------------------------------
work=$(mktemp -d "${RVMIG_FRESH_WORK:-/var/tmp}/rvmig-fresh.XXXXXX")
root="$work/root"
mkdir -p "$root"
tar -C "$root" --numeric-owner -xf "$tarball"
chmod 755 "$root" # / as on any machine (an older cached tarball may carry mktemp's 700)

# The machine's apt configuration and name resolution, as a new machine of this kind has them:
# debootstrap's own sources.list goes (the machine's sources replace it, whatever form they take).
rm -f "$root/etc/apt/sources.list"
for f in sources.list sources.list.d apt.conf.d preferences preferences.d trusted.gpg trusted.gpg.d keyrings; do
	[ -e "/etc/apt/$f" ] && cp -a "/etc/apt/$f" "$root/etc/apt/"
done
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# Keyrings that the copied sources name (Signed-By) and the bare root lacks.
keyrings=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
	grep -oE '(Signed-By:|signed-by=)[[:space:]]*/[^] ]+' | sed -E 's/^(Signed-By:|signed-by=)[[:space:]]*//' | sort -u) || true
for k in $keyrings; do
	[ -f "$k" ] && [ ! -e "$root$k" ] && install -D -m 644 "$k" "$root$k"
done
# Nothing starts services inside (what a policy-rc.d does in every Debian container).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"

# in_root LOG COMMAND: runs a shell command inside the root as a login user would (HOME=/root), in
# a private mount namespace that takes its /proc, /sys and /dev mounts with it when it ends.
in_root() {
	local log=$1 cmd=$2
	# shellcheck disable=SC2016 # the inner bash expands its positional parameters
	unshare --mount --propagation private -- bash -c '
		root=$1; shift
		mount -t proc proc "$root/proc"
		mount -t sysfs sys "$root/sys"
		mount --rbind /dev "$root/dev"
		mount -t tmpfs tmpfs "$root/tmp"
		exec chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
			LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin CI="$CI" \
			/bin/bash -c "cd /root && $1"' _ "$root" "$cmd" >"$log" 2>&1
}

results="$RVMIG_ROOT/results/fresh-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$results"
export CI=${CI:-}
failed_step=""
# step NAME COMMAND: runs it inside, logs to results/fresh-*/NAME.log, records its seconds in t_NAME.
step() {
	local name=$1 cmd=$2 t0=$SECONDS
	say "fresh: $name"
	if ! in_root "$results/$name.log" "$cmd"; then
		failed_step=$name
		eval "t_${name//-/_}=$((SECONDS - t0))"
		return 1
	fi
	eval "t_${name//-/_}=$((SECONDS - t0))"
}
rx_bytes() { awk 'NR > 2 && $1 != "lo:" { s += $2 } END { printf "%.0f\n", s }' /proc/net/dev; } # %.0f: mawk prints big sums as 2.8e+09

commit=$(git -C "$RVMIG_ROOT" rev-parse HEAD)
[ -z "$(git -C "$RVMIG_ROOT" status --porcelain --untracked-files=no)" ] ||
	say "fresh: testing commit ${commit:0:12}; uncommitted changes in this checkout are not part of it"

t_run=null t_warm=null t_test=null clone_to_result=null download=0 # null: that step did not finish
summary() {
	local disk
	disk=$(du -sxm "$root" 2>/dev/null | cut -f1)
	jq -cn --arg commit "$commit" --arg release "$release" --arg arch "$arch" --arg failed "$failed_step" \
		--argjson clone_to_first_result "$clone_to_result" --argjson first_run "$t_run" \
		--argjson warm_run "$t_warm" --argjson make_test "$t_test" \
		--argjson download_mb "$((download / 1000000))" --argjson root_disk_mb "${disk:-0}" \
		--arg tests "$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$results/make-test.log" 2>/dev/null | tail -n1)" \
		'{commit: $commit, release: $release, arch: $arch, failed_step: (if $failed == "" then null else $failed end),
		  seconds: {clone_to_first_result: $clone_to_first_result, first_run: $first_run, warm_run: $warm_run,
		            make_test: $make_test},
		  first_run_download_mb: $download_mb, root_disk_mb: $root_disk_mb, make_test: $tests}' \
		>"$results/fresh.json"
	say "fresh: clone -> first ./run.sh result ${clone_to_result} s (target <= 600), warm ./run.sh ${t_warm} s" \
		"(target <= 45), make test ${t_test} s; first run downloaded $((download / 1000000)) MB; the root holds ${disk:-?} MB"
	cat "$results/fresh.json"
}
# finish STATUS: the figures, the inner results kept on the host, and the inner `make test`'s closing
# line as the very last line (CI reads it).
finish() {
	t_test=${t_make_test:-null}
	[ -d "$root/root/rvmig/results" ] && cp -a "$root/root/rvmig/results" "$results/inner-results"
	summary
	if [ -n "$failed_step" ]; then
		say "fresh: step '$failed_step' failed; the last lines of results/${results##*/}/$failed_step.log:"
		tail -n 40 "$results/$failed_step.log" | sed 's/^/    /' >&2
		say "make test-fresh: '$failed_step' failed on a pristine $release root (full log: results/${results##*/}/$failed_step.log)"
	fi
	grep -E '^[0-9]+ passed, [0-9]+ failed$' "$results/make-test.log" 2>/dev/null | tail -n1 || true
	exit "$1"
}
fail_step() { finish 1; }

# ---- 3. what a person installs to fetch the project, then the clone ---------------------------------
step apt-git-make "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git make ca-certificates" ||
	fail_step
# The commit under test as a bare repository inside the root; the root's own git clones it, as a user would.
git clone -q --bare "$RVMIG_ROOT" "$root/srv/rvmig.git"
t_clone=$SECONDS
step clone "git clone -q /srv/rvmig.git rvmig && git -C rvmig checkout -q $commit" || fail_step

# ---- 4. README's commands ---------------------------------------------------------------------------
rx0=$(rx_bytes)
step run "cd rvmig && ./run.sh" || { download=$(($(rx_bytes) - rx0)); fail_step; }
download=$(($(rx_bytes) - rx0))
clone_to_result=$((SECONDS - t_clone))
case " $steps " in *" warm "*) step warm "cd rvmig && ./run.sh" || fail_step ;; esac
case " $steps " in *" test "*) step make-test "cd rvmig && make test" || fail_step ;; esac
finish 0
}
main "$@"
# shellcheck disable=SC2317 # main exits; this stops bash reading a file edited during the run
exit
