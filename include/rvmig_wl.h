/* SPDX-License-Identifier: MIT */
/*
 * The Linux guest's workload (guest/linux/rvmig-wl.c) and the VMM: what they say to each other over
 * the guest's console (SBI DBCN, hvc0). Beside rvmig_abi.h, which is the bare-metal guest's contract:
 * a Linux guest has no control block or stats page, so everything goes through console lines.
 *
 * Options, on the kernel command line (the VMM appends them from its own run options; the workload
 * reads /proc/cmdline): rvmig.pattern=sequential|random|hotcold rvmig.write_pct=W rvmig.hot_pct=H
 * rvmig.rate=PAGES/S (per thread, 0 = unlimited) rvmig.seed=S rvmig.mem_pct=P (share of the guest's
 * MemAvailable the workload dirties, default 50) rvmig.threads=N (default: one per online CPU).
 *
 * Workload -> VMM: one line each, exactly this shape (key=value fields, in this order, single spaces):
 *
 *   rvmig-wl: ready threads=T pages=N boot_ms=B
 *       every thread finished its first pass over its pages (all are mapped and stamped); B = guest
 *       uptime (CLOCK_BOOTTIME) at that moment, in ms.
 *   rvmig-wl: verify ok|fail epoch=E pages=N errors=X writes=W max_step_us=S
 *       answer to "verify": N stamped pages checked, X wrong; W writes since start; S = the largest
 *       step between two successive CLOCK_MONOTONIC reads of any dirtying thread since the previous
 *       report (a clock jump, or a thread that did not run: migration downtime shows here).
 *   rvmig-wl: exit
 *       answer to "exit": the threads stopped; /init powers the guest off next.
 *   rvmig-wl: error TEXT
 *       the workload cannot go on (TEXT says why); it exits 1 and /init powers off.
 *
 * VMM -> workload: a line on the console's input: "verify" (the threads hold, every stamp is checked,
 * the report line, a new epoch, the threads go on) or "exit".
 */
#ifndef RVMIG_WL_H
#define RVMIG_WL_H

#define RVMIG_WL_PREFIX      "rvmig-wl: "
#define RVMIG_WL_CMD_VERIFY  "verify\n"
#define RVMIG_WL_CMD_EXIT    "exit\n"
#define RVMIG_WL_DEF_MEM_PCT 50

#endif /* RVMIG_WL_H */
