#!/usr/bin/env bash
# Host-side post-processing of a finished lab run: turns raw scenario output into CSV, JSON, plots and
# report.md next to it. Usage: report.sh <command> <run dir>
# The reports are made by the Python package lab/report/ (default, demo, selftests, migrate, bench; shell
# has none). Needs python3; gnuplot for the bench plots.
set -euo pipefail
lab=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$lab${PYTHONPATH:+:$PYTHONPATH}" exec python3 -B -m report "$@"
