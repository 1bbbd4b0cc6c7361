#!/usr/bin/env bash
# Prints "<path> <version>" of the OpenSBI firmware the lab boots: fw_dynamic.bin from Debian's
# `opensbi` package (QEMU passes it the next stage dynamically). Override with OPENSBI=<file>.
set -euo pipefail
. "$(dirname "$0")/../lab/common.sh"

if [ -n "${OPENSBI:-}" ]; then
	[ -f "$OPENSBI" ] || die "OPENSBI=$OPENSBI does not exist"
	echo "$OPENSBI custom"
	exit 0
fi
apt_need opensbi
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
[ -f "$fw" ] || die "the opensbi package has no $fw: set OPENSBI=<fw_dynamic.bin>"
echo "$fw opensbi-$(dpkg-query -W -f='${Version}' opensbi)"
