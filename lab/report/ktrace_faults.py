"""KVM's stage-2 fault path timed per fault, from the kprobe trace lab/ktrace.sh records per case and the
phase marks `rvmig bench --trace-marks` writes into it (boot, enable, enable-clear, pass1, harvest1, ...,
cancel, offpass, reenable, reenable-clear, clean).

One fault = one kvm_riscv_mmu_map call (rvmig/map .. rvmig/map_ret on the same thread), classified by
what happened inside it on that thread:
  split  kvm_riscv_gstage_split_huge ran with flush=1: the write found a huge leaf and split it;
  slow   kvm_riscv_gstage_map_page ran (mmap lock, __kvm_faultin_pfn, mmu_lock held for write);
  fast   neither: the read-locked dirty-log fast path (kvm_riscv_mmu_dirty_log_write_fault_fast) took it.
Only write faults (is_write=1) in the dirty passes count for the distributions and the per-GiB time;
"GiB dirtied" is those faults x 4 KiB (each page's first write in a pass faults once: logging maps and
re-protects at 4K). Per GiB twice: the sum of the durations, and each fault counted at its kind's median
(under TCG a few faults take a scheduler tick or more, ~8 ms, when the emulating thread is descheduled;
those dominate the sum and have nothing to do with eager splitting, so the Y/N share uses the second). Durations are kprobe timestamps in microseconds: an emulator's clock under TCG,
comparable within one boot only, and they include the probes' own cost.

mmu_lock write hold of the slow and split faults: kvm_riscv_mmu_map takes write_lock(mmu_lock) right
before kvm_riscv_gstage_map_page and drops it after kvm_release_faultin_page, so map_page's own duration
(rvmig/mapp .. rvmig/mapp_ret on the fault's thread) is a LOWER bound of the hold (the hold adds
mark_page_dirty_in_slot before it and the page release after it, both short), and the whole fault's
duration an UPPER bound (it adds the mmap lock, __kvm_faultin_pfn and the wait for the lock itself).
The report gives the lower bound, measured, next to the whole split-fault durations."""
from .stats import pct_summ

KINDS = ("fast", "slow", "split")
HOLD_KINDS = ("slow", "split")  # the faults that take mmu_lock for write
PAGE = 4096
GIB = 1 << 30


def _is_pass(phase):
    return phase.startswith("pass")


def faults(events):
    """Per run: {"kinds": {kind: [us, ...]} of pass write faults, "pass_write_faults", "fault_us_total",
    "splits_by_phase": {phase: {"vcpu": n, "ioctl": n}}, "phases" (in trace order), "unpaired_maps", "has_phases",
    "pass_faults": [(tid, start s, end s, kind, mmu_lock wait us, (hold start s, end s) or None)] of the pass write
    faults, "lock_probed": whether the trace has the rwlock slow-path probes (lab/ktrace.sh: rlk, wlk)}."""
    phase, open_maps = "boot", {}
    kinds = {k: [] for k in KINDS}
    hold = {k: [] for k in HOLD_KINDS}
    by_phase = {}
    out = {"maps": 0, "unpaired_maps": 0, "has_phases": False, "phases": [], "pass_write_faults": 0, "fault_us_total": 0.0,
           "lock_probed": False, "pass_faults": []}
    for _comm, tid, ts, ev, a in events:
        if ev == "phase":
            phase, out["has_phases"] = a["phase"], True
            out["phases"].append(phase)
            continue
        if ev == "map":
            out["maps"] += 1
            if tid in open_maps:
                out["unpaired_maps"] += 1
            open_maps[tid] = {"ts": ts, "w": a.get("w") == "1", "kind": "fast", "phase": phase,
                              "mapp_ts": None, "hold_us": None, "hold": None, "lk_ts": None, "wait_us": 0.0}
        elif ev == "mapp" and tid in open_maps:
            if open_maps[tid]["kind"] == "fast":
                open_maps[tid]["kind"] = "slow"
            open_maps[tid]["mapp_ts"] = ts
        elif ev == "mapp_ret" and tid in open_maps and open_maps[tid]["mapp_ts"] is not None:
            open_maps[tid]["hold_us"] = (ts - open_maps[tid]["mapp_ts"]) * 1e6
            open_maps[tid]["hold"] = (open_maps[tid]["mapp_ts"], ts)
        elif ev in ("rlk", "wlk"):
            out["lock_probed"] = True
            if tid in open_maps:
                open_maps[tid]["lk_ts"] = ts
        elif ev in ("rlk_ret", "wlk_ret") and tid in open_maps and open_maps[tid]["lk_ts"] is not None:
            open_maps[tid]["wait_us"] += (ts - open_maps[tid]["lk_ts"]) * 1e6
            open_maps[tid]["lk_ts"] = None
        elif ev == "split":
            ctx = "vcpu" if a.get("flush") == "1" else "ioctl"
            if ctx == "vcpu" and tid in open_maps:
                open_maps[tid]["kind"] = "split"
            by_phase.setdefault(phase, {"vcpu": 0, "ioctl": 0})
            if ctx == "vcpu":
                by_phase[phase]["vcpu"] += 1
        elif ev == "split_ret" and a.get("ret") == "1" and tid not in open_maps:
            by_phase.setdefault(phase, {"vcpu": 0, "ioctl": 0})["ioctl"] += 1
        elif ev == "map_ret":
            m = open_maps.pop(tid, None)
            if m is None:
                out["unpaired_maps"] += 1
                continue
            if m["w"] and _is_pass(m["phase"]):
                us = (ts - m["ts"]) * 1e6
                kinds[m["kind"]].append(us)
                if m["kind"] in hold and m["hold_us"] is not None:
                    hold[m["kind"]].append(m["hold_us"])
                out["pass_write_faults"] += 1
                out["fault_us_total"] += us
                out["pass_faults"].append((tid, m["ts"], ts, m["kind"], m["wait_us"], m["hold"]))
    out["unpaired_maps"] += len(open_maps)
    out["kinds"] = kinds
    out["hold_us"] = hold
    out["splits_by_phase"] = by_phase
    return out


def cancelled(f):
    """After a cancelled migration (phases cancel/offpass/reenable): huge mappings the migration found
    (splits before "cancel", vCPU + ioctl) and those the second enable found huge again (its splits)."""
    if "cancel" not in f["phases"]:
        return None
    before, again = 0, 0
    cancel_at = f["phases"].index("cancel")
    for phase, n in f["splits_by_phase"].items():
        if phase in ("reenable", "reenable-clear"):
            again += n["vcpu"] + n["ioctl"]
        elif phase in f["phases"][:cancel_at] or phase == "boot":
            before += n["vcpu"] + n["ioctl"]
    return {"huge_before": before, "split_on_reenable": again}


def run_summary(f):
    """What bench.json keeps of one run (no raw samples)."""
    gib = f["pass_write_faults"] * PAGE / GIB
    return {"traced_per_fault": f["maps"] > 0, "pass_write_faults": f["pass_write_faults"],
            "unpaired_maps": f["unpaired_maps"],
            "has_phases": f["has_phases"],
            "faults_us": {k: pct_summ(v) for k, v in f["kinds"].items()},
            "write_hold_us_lower_bound": {k: pct_summ(v) for k, v in f.get("hold_us", {}).items()},
            "fault_ms_per_gib": round(f["fault_us_total"] / 1000 / gib, 3) if gib else None,
            "splits_by_phase": f["splits_by_phase"], "cancelled": cancelled(f)}


def _valid_groups(per_tag_faults, valid, split_label):
    """{(case, eager): ([runs], [valid runs' faults])}."""
    groups = {}
    for tag, f in sorted(per_tag_faults.items()):
        case, eager, _rep = split_label(tag)
        g = groups.setdefault((case, eager), ([], []))
        g[0].append(tag)
        if valid.get(tag) and f["has_phases"] and not f["unpaired_maps"]:
            g[1].append(f)
    return groups


def pooled_us(per_tag_faults, valid, split_label):
    """{(case, eager): every pass write fault's duration (us), the valid runs pooled}: for the CDF plots."""
    return {k: [x for f in ok for kind in KINDS for x in f["kinds"][kind]]
            for k, (_tags, ok) in _valid_groups(per_tag_faults, valid, split_label).items()}


def table(per_tag_faults, valid, split_label):
    """One row per case and eager setting: the valid runs' samples pooled (percentiles over every fault
    of every repetition), the per-GiB time as the pooled sum over the pooled GiB."""
    rows = []
    for (case, eager), (fs, ok) in _valid_groups(per_tag_faults, valid, split_label).items():
        pooled = {k: [x for f in ok for x in f["kinds"][k]] for k in KINDS}
        hold = {k: pct_summ([x for f in ok for x in f.get("hold_us", {}).get(k, [])]) for k in HOLD_KINDS}
        n_faults = sum(f["pass_write_faults"] for f in ok)
        us = sum(f["fault_us_total"] for f in ok)
        gib = n_faults * PAGE / GIB
        race = [sum(f["splits_by_phase"].get(ph, {}).get("vcpu", 0) for ph in ("enable", "enable-clear")) for f in ok]
        canc = [cancelled(f) for f in ok]
        canc = [c for c in canc if c]
        dist = {k: pct_summ(v) for k, v in pooled.items()}
        at_median = sum(dist[k]["n"] * dist[k]["p50"] for k in KINDS if dist[k]["n"])
        rows.append({"case": case, "eager": eager, "runs": len(fs), "valid_runs": len(ok),
                     "traced_per_fault": any(f["maps"] for f in ok),
                     "faults_us": dist,
                     "write_hold_us_lower_bound": hold,
                     "fault_ms_per_gib_at_median": round(at_median / 1000 / gib, 3) if gib else None,
                     "pass_write_faults": n_faults,
                     "fault_ms_per_gib": round(us / 1000 / gib, 3) if gib else None,
                     "race_splits": race, "cancelled": canc})
    return rows


def _dist(s):
    if not s["n"]:
        return "0"
    return "%d: %.0f / %.0f / %.0f / %.0f / %.0f" % (s["n"], s["p50"], s["p90"], s["p99"], s["p99_9"], s["max"])


def oversubscribed(vcpus, harts, cores):
    """Whether a case of `vcpus` vCPUs has more of them than lab harts or host cores (0/None: unknown)."""
    limits = [c for c in (harts, cores) if c]
    return bool(vcpus and limits and vcpus > min(limits))


def _row(r):
    f = r["faults_us"]
    if r["valid_runs"] and not r["traced_per_fault"]:
        return ("| %s | %s | %d of %d | not traced per fault (split probes only: guest RAM above the"
                " preset's KTRACE_FAULTS_MIB) | | | | | | |" % (r["case"], r["eager"], r["valid_runs"], r["runs"]))
    return "| %s | %s | %d of %d | %s | %s | %s | %s | %s | %s | %s |" % (
        r["case"], r["eager"], r["valid_runs"], r["runs"], _dist(f["fast"]), _dist(f["slow"]), _dist(f["split"]),
        _dist(r.get("write_hold_us_lower_bound", {}).get("split", {"n": 0})),
        "-" if r["fault_ms_per_gib"] is None else "%.1f" % r["fault_ms_per_gib"],
        "-" if r["fault_ms_per_gib_at_median"] is None else "%.1f" % r["fault_ms_per_gib_at_median"],
        " ".join(str(x) for x in r["race_splits"]) or "-")


def markdown(rows, missing="", vcpus=None, smp=None, cores=None):
    """vcpus: {case: vCPUs}; smp: the lab's harts; cores: the host's cores (None: unknown). A case with more
    vCPUs than either is oversubscribed: its vCPUs wait for a CPU, not only for mmu_lock, so its rows go in
    a table of their own and its per-GiB figure is left out of the Y/N lines."""
    vcpus = vcpus or {}
    out = ["", "## 2c. The vCPUs' fault path timed inside KVM (kprobes on kvm_riscv_mmu_map)", "",
           "Every write fault of the dirty passes, timed from entry to return of `kvm_riscv_mmu_map` on its vCPU thread",
           "and classified by what ran inside it: *split* (it split a huge leaf), *slow* (mmap lock, faultin, mmu_lock",
           "held for write), *fast* (the read-locked dirty-log path). Count: p50 / p90 / p99 / p99.9 / max in us, pooled",
           "over the valid runs. Under TCG these are an emulator's microseconds, probes' cost included: compare Y with N",
           "within this boot, not with hardware. Fault-path time per GiB = the sum of those durations over the GiB",
           "they dirtied (faults x 4 KiB), and again with each fault at its kind's median: under TCG a few faults of",
           "either kind take a scheduler tick or more (the emulating thread descheduled), which swamps the sum. The last column, per run, is the race: vCPUs that reached a huge leaf while",
           "the enable or first CLEAR ran (0 when the vCPUs are parked across them, as `rvmig bench` does unless",
           "`--no-park`).", "",
           "What the lab can show: counts (split faults by context, which no emulator changes) and in-kernel durations",
           "relative to each other within one boot. What it cannot: absolute fault costs or speed-ups on RISC-V hardware;",
           "for those, run `rvmig bench` with lab/ktrace.sh on a board."]
    # The rwlock slow paths are section 2f's (its text says when they are missing).
    fn_missing = [m for m in missing.split() if m not in ("queued_read_lock_slowpath", "queued_write_lock_slowpath")]
    if fn_missing:
        out += ["", "This kernel has no probe-able `%s`: a fault without `kvm_riscv_gstage_map_page` inside counts as"
                " fast." % "`, `".join(fn_missing)]
    over = lambda c: oversubscribed(vcpus.get(c), smp, cores)
    head = ["| case | eager | valid runs | fast faults | slow faults | split faults | split faults' mmu_lock write hold"
            " (map_page, lower bound) | fault-path time (ms per GiB) |"
            " ... each fault at its kind's median | split faults during enable / first CLEAR |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    out += ["", "The mmu_lock write hold of the split faults is given as a lower bound, measured: the duration of",
            "`kvm_riscv_gstage_map_page` inside them, which runs entirely under `write_lock(mmu_lock)` (the hold adds the",
            "dirty-bitmap update before it and the page release after it). The split faults' own durations, the column",
            "before it, are the upper bound (they add the mmap lock, faultin and the wait for the lock).", ""]
    plain = [r for r in rows if not over(r["case"])]
    out += head + [_row(r) for r in plain] if plain else ["(Every case here is oversubscribed: see below.)"]
    if len(plain) < len(rows):
        out += ["", "### Oversubscribed (more vCPUs than host cores or lab harts: %s harts, %s cores)" % (
                    "%g" % smp if smp else "?", "%g" % cores if cores else "?"), "",
                "Their vCPUs wait for a CPU as well as for mmu_lock, so these durations are not compared with the table",
                "above, and no per-GiB Y/N line is drawn from them.", ""]
        out += head + ["| %s (%d vCPUs)%s" % (r["case"], vcpus[r["case"]], _row(r)[len("| " + r["case"]):])
                       for r in rows if over(r["case"])]
    by = {(r["case"], r["eager"]): r for r in rows}
    lines = []
    for (case, eager), y in sorted(by.items()):
        n = by.get((case, "N"))
        if eager != "Y" or not n or not y["fault_ms_per_gib_at_median"] or not n["fault_ms_per_gib_at_median"] \
                or over(case):
            continue
        ym, nm = y["fault_ms_per_gib_at_median"], n["fault_ms_per_gib_at_median"]
        sp, fa = n["faults_us"]["split"], n["faults_us"]["fast"]
        gib = n["pass_write_faults"] * PAGE / GIB
        # Within the N runs: what their split faults cost over a fast fault each. That is what eager
        # splitting takes out of the vCPUs; Y's own figure differs from N's by run-to-run noise too.
        excess = sp["n"] * (sp["p50"] - fa["p50"]) / 1000 / gib if sp["n"] and fa["n"] else 0
        lines.append("- %s: eager N %.1f ms per GiB, Y %.1f (each fault at its kind's median; sums %.1f and %.1f). N's"
                     " %d split faults cost %.1f ms per GiB more than fast faults would (p50 %.0f vs %.0f us): eager"
                     " splitting removes that, %.1f %% of N's fault-path time." % (
                         case, nm, ym, n["fault_ms_per_gib"], y["fault_ms_per_gib"], sp["n"], excess,
                         sp["p50"] or 0, fa["p50"] or 0, 100 * excess / nm))
    if lines:
        out += ["", "What eager splitting removes from the vCPUs' fault path, per GiB dirtied (this boot):", ""] + lines
    canc = []
    for r in rows:
        for c in r["cancelled"]:
            canc.append("- %s, eager %s: huge mappings left after a cancelled migration: %d of %d (the second enable"
                        " split %d)." % (r["case"], r["eager"], c["split_on_reenable"], c["huge_before"],
                                         c["split_on_reenable"]))
    if canc:
        out += ["", "Cancelled migration (logging on, passes, logging off, a pass, logging on again). Linux 7.3 never",
                "joins split mappings back, so the second enable finds nothing huge to split:", ""] + canc
    return out
