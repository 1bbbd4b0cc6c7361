#!/usr/bin/env bash
# Builds the lab once before the lab tests run (kernel and selftests come from the cache when warm).
set -euo pipefail
cd "$(dirname "$0")/../.."
./run.sh build
