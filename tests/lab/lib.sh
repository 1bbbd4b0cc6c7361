# Helpers for the lab tests (sourced): each check prints one "ok - " / "not ok - " line.
# shellcheck shell=bash
cd "$(dirname "$0")/../.." || exit 1
ok()    { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
expect() { # expect "name" command...: passes when the command succeeds
	local name=$1; shift
	if "$@"; then ok "$name"; else notok "$name"; fi
}
# jq -e without printing the value.
jqe() { jq -e "$@" >/dev/null; }
# A fresh run id per test run so results never mix.
test_run_id() { echo "test-$1-$(date +%Y%m%d-%H%M%S)-$$"; }
# The Linux guest's kernel for a test: KERNEL_IMAGE, else the newest lab Image built in the cache
# (needs lab/common.sh sourced for RVMIG_CACHE); prints nothing when there is none.
lab_guest_image() {
	# shellcheck disable=SC2012 # the newest by mtime; the cache has plain directory names
	printf '%s\n' "${KERNEL_IMAGE:-$(ls -t "$RVMIG_CACHE"/kernel/*/Image 2>/dev/null | head -n 1)}"
}
