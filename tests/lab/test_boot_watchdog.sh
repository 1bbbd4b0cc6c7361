#!/usr/bin/env bash
# test-timeout: 300
# shellcheck disable=SC2016 # the bash -c scripts expand their own arguments
# lab/boot.sh's boot watchdog: a boot that has not reached the lab's init (no env.json in the run dir)
# within LAB_BOOT_WATCHDOG seconds is stopped and tried once more; a second stuck boot is an error.
# Forced here with QEMU's harts stopped (LAB_BOOT_FREEZE=1) and a 1 s watchdog: a stuck boot however fast
# the host is (an idle host boots the quiet lab kernel to its init in about a second, so a short watchdog
# alone does not make one). Then a normal boot is not disturbed.
. "$(dirname "$0")/lib.sh"

id=$(test_run_id watchdog)
out=$(LAB_BOOT_FREEZE=1 LAB_BOOT_WATCHDOG=1 ./run.sh shell --run-id "$id" -c true 2>&1); rc=$?
expect "two stuck boots: exit 1" [ "$rc" = 1 ]
expect "the first is said and the lab booted once more" \
	grep -q 'boot 1: the lab kernel did not reach its init within 1 s (LAB_BOOT_WATCHDOG): booting once more' <<<"$out"
expect "the second is one error line" \
	bash -c '[ "$(grep -c "^rvmig: error: boot 2: the lab kernel did not reach its init within 1 s" <<<"$1")" = 1 ]' _ "$out"
expect "console.log marks both boots" \
	bash -c '[ "$(grep -ac "^=== rvmig: boot [12]: the lab kernel did not reach its init" "$1")" = 2 ]' _ "results/$id/console.log"
expect "no QEMU left behind" bash -c '! pgrep -f -- "$1/qemu.pid" >/dev/null' _ "$id"

out=$(LAB_BOOT_WATCHDOG=x ./run.sh shell --run-id "$id-x" -c true 2>&1); rc=$?
expect "a malformed LAB_BOOT_WATCHDOG is one error line" \
	bash -c '[ "$1" = 1 ] && grep -q "^rvmig: error: LAB_BOOT_WATCHDOG=x: want whole seconds" <<<"$2"' _ "$rc" "$out"
out=$(LAB_BOOT_FREEZE=x ./run.sh shell --run-id "$id-f" -c true 2>&1); rc=$?
expect "a malformed LAB_BOOT_FREEZE is one error line" \
	bash -c '[ "$1" = 1 ] && grep -q "^rvmig: error: LAB_BOOT_FREEZE=x: want 0 or 1" <<<"$2"' _ "$rc" "$out"

id2=$(test_run_id watchdog-ok)
out=$(./run.sh shell --run-id "$id2" -c 'echo watchdog-ok-marker' 2>&1); rc=$?
expect "a normal boot (default watchdog) runs its command" bash -c '[ "$1" = 0 ] && grep -q "^watchdog-ok-marker" <<<"$2"' _ "$rc" "$out"
expect "and is not marked stuck" bash -c '! grep -q "did not reach its init" "$1"' _ "results/$id2/console.log"
