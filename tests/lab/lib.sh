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
