#!/usr/bin/env bash
# guest/gdb-vmm.py (the smoke test's stand-in VMM) keeps its own copies of include/rvmig_abi.h's
# offsets, sizes and values. This test compiles tests/abi/abi_dump.c, which prints them from the
# header (offsetof/sizeof), and compares every copy with them: one "ok - " line each, so that a
# change to the header that gdb-vmm.py does not follow fails `make check` instead of the smoke test.
set -u
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

if ! "${CC:-gcc}" -std=gnu11 -Wall -Wextra -Werror -Iinclude -o "$tmp/abi_dump" tests/abi/abi_dump.c 2>"$tmp/cc.log"; then
	sed 's/^/    /' "$tmp/cc.log"
	echo "not ok - tests/abi/abi_dump.c builds against include/rvmig_abi.h"
	exit 1
fi
if ! "$tmp/abi_dump" >"$tmp/abi.txt"; then
	echo "not ok - abi_dump runs"
	exit 1
fi
if ! command -v python3 >/dev/null; then
	echo "not ok - python3 is needed to read guest/gdb-vmm.py (apt-get install python3)"
	exit 1
fi

PYTHONDONTWRITEBYTECODE=1 python3 - "$tmp/abi.txt" guest/gdb-vmm.py <<'EOF'
import importlib.util
import struct
import sys

abi = {}
for line in open(sys.argv[1]):
    name, *vals = line.split()
    abi[name] = tuple(int(v) for v in vals) if len(vals) > 1 else int(vals[0])
spec = importlib.util.spec_from_file_location("gdb_vmm", sys.argv[2])
g = importlib.util.module_from_spec(spec)
spec.loader.exec_module(g)
failed = False


def check(cond, what):
    global failed
    print(("ok - " if cond else "not ok - ") + "gdb-vmm.py " + what)
    failed |= not cond


def same(py_name, py_val, header_name):
    want = abi[header_name]
    shown = "%#x" if want > 4096 else "%d"
    check(py_val == want, ("%s = " + shown + " is %s (" + shown + ")") % (py_name, py_val, header_name, want))


def field(py_name, tag, name, off, size):
    key = "%s.%s" % (tag, name)
    if key not in abi:
        check(False, "%s: %s is not in tests/abi/abi_dump.c (add it there)" % (py_name, key))
        return
    want = abi[key]
    check((off, size) == want, "%s: %s at offset %d, %d bytes (header: offset %d, %d bytes)"
          % (py_name, key, off, size, want[0], want[1]))


same("CTL_OFFSET", g.CTL_OFFSET, "RVMIG_CTL_OFFSET")
same("STATS_OFFSET", g.STATS_OFFSET, "RVMIG_STATS_OFFSET")
same("WORK_OFFSET", g.WORK_OFFSET, "RVMIG_WORK_OFFSET")
same("PAGE_SIZE", g.PAGE_SIZE, "RVMIG_PAGE_SIZE")
same("STATS_SIZE", g.STATS_SIZE, "sizeof.rvmig_vcpu_stats")
same("CTL_MAGIC", g.CTL_MAGIC, "RVMIG_CTL_MAGIC")
same("ABI_VERSION", g.ABI_VERSION, "RVMIG_ABI_VERSION")
same("CMD_RUN", g.CMD_RUN, "RVMIG_CMD_RUN")
same("CMD_VERIFY", g.CMD_VERIFY, "RVMIG_CMD_VERIFY")
same("CMD_EXIT", g.CMD_EXIT, "RVMIG_CMD_EXIT")
same("SEQ", g.SEQ, "RVMIG_PATTERN_SEQUENTIAL")
same("RANDOM", g.RANDOM, "RVMIG_PATTERN_RANDOM")
same("HOTCOLD", g.HOTCOLD, "RVMIG_PATTERN_HOTCOLD")
same("VERIFY_OK", g.VERIFY_OK, "RVMIG_VERIFY_OK")
same("HIST_BUCKETS", g.HIST_BUCKETS, "RVMIG_HIST_BUCKETS")
same("len(FW_CLASSES)", len(g.FW_CLASSES), "RVMIG_FW_CLASSES")
for i, name in enumerate(("RVMIG_FW_OTHER", "RVMIG_FW_FIRST_IN_2M", "RVMIG_FW_FIRST_IN_1G")):
    same("FW_CLASSES.index(%r)" % g.FW_CLASSES[i], i, name)
same("8 * HIST_WORDS", 8 * g.HIST_WORDS, "sizeof.rvmig_hist")
for name, (off, fmt) in g.CTL_FIELDS.items():
    field("CTL_FIELDS", "ctl", name, off, struct.calcsize(fmt))
for i, name in enumerate(g.STATS_FIELDS):
    field("STATS_FIELDS[%d]" % i, "stats", name, 8 * i, 8)
field("FW_WORD", "stats", "fw", 8 * g.FW_WORD, 8 * g.HIST_WORDS * len(g.FW_CLASSES))
for i, name in enumerate(g.HIST_FIELDS):
    field("HIST_FIELDS[%d]" % i, "hist", name, 8 * i, 8)
field("HIST_FIELDS + buckets", "hist", "bucket", 8 * len(g.HIST_FIELDS), 8 * g.HIST_BUCKETS)
for i, name in enumerate(g.VERIFY_FIELDS):
    field("VERIFY_WORD + %d" % i, "stats", name, 8 * (g.VERIFY_WORD + i), 8)
sys.exit(1 if failed else 0)
EOF
