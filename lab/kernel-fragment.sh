#!/usr/bin/env bash
# Prints the lab kernel's config fragment: configs/kvm-host.config as is (LAB_KERNEL_TRACING=1, the
# default), or, with LAB_KERNEL_TRACING=0, the same fragment without its in-kernel tracing block.
# The untraced fragment is derived, never kept as a copy, so the two kernels differ in exactly that
# block and nothing else can drift between them (what the tracing-cost comparison relies on).
# The block is the paragraph that starts with the comment line TRACING_MARK, up to the next blank
# line or the end of the file. Usage: kernel-fragment.sh [fragment] (default configs/kvm-host.config).
set -euo pipefail
. "$(dirname "$0")/common.sh"

TRACING_MARK='# In-kernel tracing'
frag=${1:-$RVMIG_ROOT/configs/kvm-host.config}
[ -r "$frag" ] || die "kernel config fragment $frag is not readable"

case ${LAB_KERNEL_TRACING:-1} in
1) cat "$frag" ;;
0)
	# Refuse rather than print the fragment unchanged: a "notrace" kernel that still traces
	# would make the comparison meaningless without anyone noticing.
	grep -q "^$TRACING_MARK" "$frag" ||
		die "$frag has no tracing block (no line starting with '$TRACING_MARK'): cannot derive the untraced fragment"
	awk -v mark="$TRACING_MARK" '
		index($0, mark) == 1 { skip = 1 }
		skip && /^[[:space:]]*$/ { skip = 0 }
		!skip' "$frag"
	;;
*)
	printf 'rvmig: error: LAB_KERNEL_TRACING=%s is not 0 or 1 (hint: LAB_KERNEL_TRACING=0 builds the lab kernel without in-kernel tracing)\n' "$LAB_KERNEL_TRACING" >&2
	exit 2
	;;
esac
