#!/usr/bin/env bash
# The guest on its own under plain QEMU + OpenSBI (no KVM, no VMM): self-test, a stand-in VMM driving
# the control block through QEMU's gdbstub, and the trap path. See guest/smoke-test.sh.
cd "$(dirname "$0")/../.." && BUILD=build exec guest/smoke-test.sh
