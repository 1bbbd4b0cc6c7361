"""vCPU scaling of the fault path (report section 2f): for cases that differ only in their vCPU count
(same backing, dirty mode and guest RAM), per N vCPUs and eager setting, what the dirty pass's write
faults cost inside KVM and how much the vCPUs waited on each other for mmu_lock. From the per-fault
records ktrace_faults.faults keeps of each run's kprobe trace.

Per run (then median [min..max] over the valid runs of a cell):
  fast p50 / p99       the read-locked fast path's durations (us);
  slow-path p50        faults that took mmu_lock for write (slow and split kinds together);
  split faults, p50    how many split a huge leaf, and their durations;
  write hold p50       kvm_riscv_gstage_map_page inside the split faults (a lower bound of the hold:
                       ktrace_faults says why);
  mmu_lock waits       measured when the trace has lab/ktrace.sh's probes on the qrwlock slow paths
                       (queued_read_lock_slowpath, queued_write_lock_slowpath): a thread enters one only
                       when it must wait, and inside kvm_riscv_mmu_map the only rwlock is mmu_lock, so
                       the time inside them is the fault's wait. Faults that waited (per run), the total
                       wait (ms per run), the wait of a waiting fault (p50, us);
  under another's hold faults of one vCPU that overlapped the map_page window of another vCPU's slow or
                       split fault (per run), and the summed overlap (ms): timing only, no lock probe
                       needed; an overlap is the most such a fault could have waited on that hold.

Oversubscribed: a case with more vCPUs than host cores or lab harts. Its vCPUs wait for a CPU as well as
for mmu_lock (under TCG a lab hart is a host thread; 4 harts on 2 cores are descheduled for whole time
slices, inside faults too), so its figures go in a table of their own, never next to the others."""
import bisect

from . import jq
from .ktrace_faults import oversubscribed
from .stats import pct_summ, summ

FIGURES = (  # key, column title, format
    ("fast_p50", "fast p50 (us)", "%.0f"),
    ("fast_p99", "fast p99 (us)", "%.0f"),
    ("slowpath_p50", "slow-path p50 (us)", "%.0f"),
    ("splits", "split faults", "%.0f"),
    ("split_p50", "split p50 (us)", "%.0f"),
    ("hold_p50", "split write hold p50 (us, lower bound)", "%.0f"),
    ("waiting_faults", "faults that waited for mmu_lock", "%.0f"),
    ("wait_ms", "mmu_lock wait (ms)", "%.3f"),
    ("wait_p50", "wait of a waiting fault p50 (us)", "%.0f"),
    ("under_hold", "faults under another vCPU's write hold", "%.0f"),
    ("overlap_ms", "overlap with it (ms)", "%.3f"),
)
LOCK_FIGURES = ("waiting_faults", "wait_ms", "wait_p50")


def _overlaps(faults, holds):
    """Faults of one thread that overlapped another thread's hold window: (count, summed overlap in s)."""
    if not holds or not faults:
        return 0, 0.0
    by_start = sorted(faults, key=lambda x: x[1])
    starts = [x[1] for x in by_start]
    longest = max(x[2] - x[1] for x in by_start)
    over = {}
    for hs, he, htid in holds:
        lo = bisect.bisect_left(starts, hs - longest)
        hi = bisect.bisect_left(starts, he)
        for i in range(lo, hi):
            tid, s, e = by_start[i][:3]
            ov = min(e, he) - max(s, hs)
            if tid != htid and ov > 0:
                over[i] = over.get(i, 0.0) + ov
    return len(over), sum(over.values())


def run_figures(f):
    """One run's figures (see the module's docstring) from ktrace_faults.faults(events)."""
    pf = f["pass_faults"]
    kind = lambda *ks: [(e - s) * 1e6 for _t, s, e, k, _w, _h in pf if k in ks]
    fast, slowpath, split = pct_summ(kind("fast")), pct_summ(kind("slow", "split")), pct_summ(kind("split"))
    holds = [(h[0], h[1], t) for t, _s, _e, _k, _w, h in pf if h]
    under, overlap = _overlaps(pf, holds)
    waits = [w for *_x, w, _h in pf if w > 0]
    out = {"threads": len({x[0] for x in pf}), "fast_p50": fast["p50"], "fast_p99": fast["p99"],
           "slowpath_p50": slowpath["p50"], "splits": split["n"], "split_p50": split["p50"],
           "hold_p50": pct_summ(f["hold_us"]["split"])["p50"],
           "under_hold": under, "overlap_ms": round(overlap * 1e3, 3)}
    if f.get("lock_probed") or waits:
        out.update(waiting_faults=len(waits), wait_ms=round(sum(waits) / 1e3, 3), wait_p50=pct_summ(waits)["p50"])
    else:
        out.update(waiting_faults=None, wait_ms=None, wait_p50=None)
    return out


def table(per_tag_faults, valid, split_label, params, lock_probed, harts, cores):
    """Rows for the cases that form a scaling series. params: {case: {"vcpus", "backing", "dirty",
    "mem_mib"}}; lock_probed: whether the rwlock slow-path probes were defined (bench/env.txt), so that a run
    with no lock event counts 0 waits rather than "not measured". A series: the cases of one (backing,
    dirty, mem_mib) with at least two vCPU counts, traced per fault."""
    cells = {}
    for tag, f in sorted(per_tag_faults.items()):
        case, eager, _rep = split_label(tag)
        p = params.get(case)
        if not p or not p.get("vcpus"):
            continue
        c = cells.setdefault((case, eager), {"runs": 0, "figs": []})
        c["runs"] += 1
        if valid.get(tag) and f["has_phases"] and not f["unpaired_maps"] and f["maps"]:
            figs = run_figures(f)
            if lock_probed:
                for k in LOCK_FIGURES:
                    if figs[k] is None:
                        figs[k] = 0 if k != "wait_p50" else None
            c["figs"].append(figs)
    series = {}
    for (case, _e) in cells:
        p = params[case]
        series.setdefault((p.get("backing"), p.get("dirty"), p.get("mem_mib")), set()).add(p["vcpus"])
    rows = []
    for (case, eager), c in cells.items():
        p = params[case]
        key = (p.get("backing"), p.get("dirty"), p.get("mem_mib"))
        if len(series[key]) < 2:
            continue
        rows.append({"series": "%s %s %s MiB" % (key[0], key[1], jq.num(key[2])), "case": case, "eager": eager,
                     "vcpus": p["vcpus"], "runs": c["runs"], "valid_runs": len(c["figs"]),
                     "oversubscribed": oversubscribed(p["vcpus"], harts, cores),
                     "figures": {k: summ([x[k] for x in c["figs"]]) for k, _t, _f in FIGURES}})
    rows.sort(key=lambda r: (r["series"], r["vcpus"], r["eager"] != "Y"))
    return rows


def _cell(s, fmt):
    if not s["n"]:
        return "-"
    if s["min"] == s["max"]:
        return fmt % s["median"]
    return (fmt + " [" + fmt + ".." + fmt + "]") % (s["median"], s["min"], s["max"])


def _table(rows):
    out = ["| series | vCPUs | eager | valid runs | " + " | ".join(t for _k, t, _f in FIGURES) + " |",
           "|---|---|---|---|" + "---|" * len(FIGURES)]
    for r in rows:
        out.append("| %s | %d | %s | %d of %d | %s |" % (
            r["series"], r["vcpus"], r["eager"], r["valid_runs"], r["runs"],
            " | ".join(_cell(r["figures"][k], f) for k, _t, f in FIGURES)))
    return out


def _med(r, k):
    return r["figures"][k]["median"] if r and r["figures"][k]["n"] else None


def what_it_shows(rows):
    """One short paragraph from the not-oversubscribed rows: how the waits grow with N, Y vs N; plainly
    when they show nothing."""
    rows = [r for r in rows if not r["oversubscribed"] and r["valid_runs"]]
    if not rows:
        return "No case that is not oversubscribed has valid runs: nothing to read off here."
    by = {(r["series"], r["vcpus"], r["eager"]): r for r in rows}
    parts = []
    lock = any(r["figures"]["wait_ms"]["n"] for r in rows)
    key, what = ("wait_ms", "mmu_lock wait per run") if lock else ("overlap_ms", "time under another vCPU's write hold per run")
    for series in sorted({r["series"] for r in rows}):
        ns = sorted({v for s, v, _e in by if s == series})
        cells = []
        for e in ("N", "Y"):
            vals = ["%d vCPU%s %s ms" % (v, "" if v == 1 else "s", "-" if _med(by.get((series, v, e)), key) is None
                                         else "%.3f" % _med(by.get((series, v, e)), key)) for v in ns]
            cells.append("eager %s: %s" % (e, ", ".join(vals)))
        parts.append("%s: %s (medians)" % (series, "; ".join(cells)))
    grow = []
    for (series, v, e), r in by.items():
        lo = by.get((series, min(x for s, x, _e in by if s == series), e))
        if e != "N" or lo is None or lo is r:
            continue
        a, b = r["figures"][key], lo["figures"][key]
        # Only with a spread to judge against: two runs a cell at least.
        if a["n"] >= 2 and b["n"] >= 2 and jq.lt(b["max"], a["min"]):
            grow.append("%s with %d vCPUs" % (series, v))
    ymax = max((r["figures"][key]["max"] or 0) for r in rows if r["eager"] == "Y" and r["figures"][key]["n"]) \
        if any(r["eager"] == "Y" and r["figures"][key]["n"] for r in rows) else None
    text = "The %s, as N grows: %s. " % (what, "; ".join(parts))
    if grow:
        text += ("With eager N it grows beyond the run-to-run spread (every run above every run of the smallest N) in: %s."
                 % ", ".join(sorted(grow)))
    else:
        text += ("With eager N it does not grow beyond the run-to-run spread (or a cell has fewer than 2 runs):"
                 " no effect of N is shown at this n.")
    if ymax is not None:
        text += " With eager Y (no split faults in the pass) it is at most %.3f ms in any run." % ymax
    return text


def markdown(rows, harts, cores, lock_probed, slow_runs=()):
    """slow_runs: labels of runs with a pass past `rvmig bench`'s 30 s + 5 ms a page mark."""
    if not rows:
        return []
    out = ["", "## 2f. vCPU scaling: the fault path and mmu_lock waits with 1, 2, 4 ... vCPUs", "",
           "Cases that differ only in their vCPU count (same backing, mode and guest RAM: the same split faults per run,",
           "shared among more vCPUs). Per run the figures below, then median [min..max] over the valid runs (n = valid",
           "runs). The lab had %s emulated harts on %s host cores." % (jq.num(harts) if harts else "?", jq.num(cores) if cores else "?"),
           "",
           "How the waits are measured: " + (
               "kprobes on the qrwlock slow paths (`queued_read_lock_slowpath`, `queued_write_lock_slowpath`): a thread"
               " enters one only when it has to wait, and inside `kvm_riscv_mmu_map` the one rwlock is mmu_lock, so the"
               " time in them is the fault's wait for mmu_lock (read side in the fast path, write side in the slow path)."
               if lock_probed else
               "not directly (this kernel's trace has no probes on the qrwlock slow paths): only the overlap below.") +
           " *Under another vCPU's write hold*: faults that overlapped the `kvm_riscv_gstage_map_page` window of another"
           " vCPU's slow or split fault, and the summed overlap, the most those faults could have waited on it."
           " Microseconds are an emulator's (TCG), comparable within this boot only.", ""]
    plain = [r for r in rows if not r["oversubscribed"]]
    over = [r for r in rows if r["oversubscribed"]]
    out += _table(plain) if plain else ["No case here has at most as many vCPUs as host cores and lab harts."]
    out += ["", "What the data shows: " + what_it_shows(rows)]
    if slow_runs:
        out += ["", "Runs with a dirty pass slower than 30 s + 5 ms a page (they finished: a pass fails only when it stops"
                " moving): %s." % ", ".join(slow_runs)]
    if over:
        out += ["", "### Oversubscribed (more vCPUs than host cores or lab harts)", "",
                "Kept apart: these vCPUs also wait for a CPU (a descheduled emulator thread stops a lab hart for whole host",
                "time slices, inside faults and lock holds too), so their durations and waits are not mmu_lock contention",
                "alone and are not compared with the table above.", ""] + _table(over)
    return out
