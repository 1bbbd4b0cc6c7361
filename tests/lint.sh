#!/usr/bin/env bash
# make lint: shellcheck over the shell scripts and clang-format (check mode, .clang-format) over the C,
# one "ok - " / "not ok - " line per file, the format tests/run.sh counts.
# Usage: tests/lint.sh [shell|c]...   (default: $RVMIG_LINT, or both; make lint LINT_TOOLS=shell sets it)
#   shell  run.sh, lab/ (not lab/report*.sh), lab/scenarios/ (as sh: see its .shellcheckrc), tests/,
#          guest/, firmware/, .ci/run
#   c      vmm/ guest/ include/ tests/unit/ tests/fuzz/ *.c *.h (clang-format 14: other versions lay code out
#          differently)
# SHELLCHECK and CLANG_FORMAT name other binaries.
set -u
cd "$(dirname "$0")/.." || exit 1
SHELLCHECK=${SHELLCHECK:-shellcheck}
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
fail=0

# Files git tracks or would add (not ignored) under these pathspecs, sorted: in a pathspec `*` also
# matches `/`, so vmm/*.c covers the subfolders of vmm/. Outside a git checkout: the plain globs.
files() {
	{ git ls-files --cached --others --exclude-standard -- "$@" 2>/dev/null | grep . ||
		for g in "$@"; do compgen -G "$g"; done; } | sort -u
}

lint_shell() {
	local f out
	if ! command -v "$SHELLCHECK" >/dev/null; then
		echo "not ok - shellcheck: $SHELLCHECK not found (apt-get install shellcheck)"
		fail=1
		return
	fi
	# lab/report*.sh are left out: they are being replaced by Python (the [shape] issue).
	for f in $(files run.sh 'lab/*.sh' 'tests/*.sh' 'guest/*.sh' 'firmware/*.sh' .ci/run | grep -v '^lab/report'); do
		case $f in
		lab/scenarios/*) out=$("$SHELLCHECK" --shell=sh "$f" 2>&1) ;;
		*) out=$("$SHELLCHECK" "$f" 2>&1) ;;
		esac
		if [ -z "$out" ]; then
			echo "ok - shellcheck $f"
		else
			printf '%s\n' "$out" | sed 's/^/    /'
			echo "not ok - shellcheck $f"
			fail=1
		fi
	done
}

lint_c() {
	local f n ver
	if ! command -v "$CLANG_FORMAT" >/dev/null; then
		echo "not ok - clang-format: $CLANG_FORMAT not found (apt-get install clang-format)"
		fail=1
		return
	fi
	ver=$("$CLANG_FORMAT" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
	[ "$ver" = 14 ] || echo "# clang-format $ver: .clang-format was tuned with 14, expect layout differences"
	for f in $(files 'vmm/*.[ch]' 'vmm/*/*.[ch]' 'guest/*.[ch]' 'include/*.h' 'tests/unit/*.[ch]' 'tests/fuzz/*.[ch]'); do
		# --dry-run prints one warning per replacement; the count says how far the file is off.
		n=$("$CLANG_FORMAT" --style=file --dry-run "$f" 2>&1 | grep -c 'warning:')
		if [ "$n" -eq 0 ]; then
			echo "ok - clang-format $f"
		else
			echo "not ok - clang-format $f: $n places differ (clang-format -i $f)"
			fail=1
		fi
	done
}

# shellcheck disable=SC2086 # a list of words: split on purpose
[ $# -gt 0 ] || set -- ${RVMIG_LINT:-shell c}
for what in "$@"; do
	case $what in
	shell) lint_shell ;;
	c) lint_c ;;
	*) echo "usage: tests/lint.sh [shell|c]..." >&2; exit 2 ;;
	esac
done
exit "$fail"
