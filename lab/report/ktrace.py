"""In-kernel split counts of a bench run, from the kprobe trace lab/ktrace.sh records per case
(bench/<tag>.ktrace: events rvmig/split on entry to kvm_riscv_gstage_split_huge, with its flush
argument, and rvmig/split_ret with its return value).

The unit of both counts is one 2M region split down to 4K (lab/ktrace.sh says why):
  vcpu_splits   calls with flush=1: a vCPU's write fault found a huge leaf and split it there;
  ioctl_splits  calls with flush=0 (enabling dirty logging, or KVM_CLEAR_DIRTY_LOG with INITIALLY_SET)
                that returned true: that 2M step had a huge mapping to split;
  ioctl_steps   every flush=0 call, split or not (the eager walk visits every 2M step of the range).
Per level (vcpu_levels, ioctl_levels: {"1G->2M": n, "2M->4K": n}): the split faults (vCPU) or ioctl
splits at each level of the walk, from the probe's level argument (the target level, 0 = 4K) and the
page-table pages the call took (rvmig/alloc, kvm_mmu_memory_cache_alloc, on the same thread while the
call runs): one page per huge leaf split, top down, so k pages split levels t+k -> t+k-1 .. t+1 -> t.
A write into a 1G leaf counts one 1G->2M and one 2M->4K split; a later write into another 2M region of
that 1G region, now a 2M leaf, one 2M->4K split.
Durations pair an entry with the next return on the same thread (kprobe timestamps, microseconds;
under TCG they are an emulator's, comparable only within one boot)."""
import re

from .stats import summ

# "  rvmig-vcpu0-245  (  240) [001] d.... 123.456789: split: (kvm_riscv_gstage_split_huge+0x0/0x1a4) addr=0x80000000 level=0 flush=1"
# and rvmig bench --trace-marks' phase marks: "  rvmig-240 (240) [000] ..... 12.3: tracing_mark_write: rvmig phase pass1"
_LINE = re.compile(r"^\s*(?P<comm>.+?)-(?P<tid>\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[\d+\]\s+\S+\s+(?P<ts>\d+\.\d+):\s+"
                   r"(?:(?P<ev>(?:split|map|mapp|fast|alloc|rlk|wlk)(?:_ret)?):\s+\([^)]*\)\s*(?P<args>.*)|"
                   r"tracing_mark_write:\s+rvmig phase (?P<phase>\S+))\s*$")


def _args(text):
    return dict(kv.split("=", 1) for kv in text.split() if "=" in kv)


def _int(v):
    return int(v, 0) if v is not None else None


def parse(text):
    """[(comm, tid, seconds, event, {arg: value})] of the rvmig kprobe events in a raw trace; a phase
    mark is the event "phase" with {"phase": NAME}."""
    out = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m and m["phase"]:
            out.append((m["comm"], int(m["tid"]), float(m["ts"]), "phase", {"phase": m["phase"]}))
        elif m:
            out.append((m["comm"], int(m["tid"]), float(m["ts"]), m["ev"], _args(m["args"])))
    return out


LEVEL_SIZE = ("4K", "2M", "1G", "512G", "256T")


def level_name(upper):
    """'1G->2M' for the split of a level-2 leaf into level-1 entries."""
    return "%s->%s" % (LEVEL_SIZE[upper], LEVEL_SIZE[upper - 1])


def counts(events, lost):
    """Counts and durations of one case run: see the module's docstring."""
    open_calls = {}  # tid -> [ts, flush, target level, page-table pages taken]
    vcpu_us, ioctl_us = [], []
    c = {"vcpu_splits": 0, "ioctl_splits": 0, "ioctl_steps": 0, "unpaired": 0, "lost_events": lost,
         "vcpu_levels": {}, "ioctl_levels": {}, "levels_seen": False}
    for _comm, tid, ts, ev, a in events:
        if ev == "alloc":
            c["levels_seen"] = True
            if tid in open_calls:
                open_calls[tid][3] += 1
            continue
        if ev not in ("split", "split_ret"):
            continue
        if ev == "split":
            flush = _int(a.get("flush"))
            if flush:
                c["vcpu_splits"] += 1
            else:
                c["ioctl_steps"] += 1
            if tid in open_calls:
                c["unpaired"] += 1
            open_calls[tid] = [ts, flush, _int(a.get("level")) or 0, 0]
            continue
        start = open_calls.pop(tid, None)
        if start is None:
            c["unpaired"] += 1
            continue
        per = c["vcpu_levels" if start[1] else "ioctl_levels"]
        for k in range(start[3]):
            name = level_name(start[2] + start[3] - k)
            per[name] = per.get(name, 0) + 1
        us = (ts - start[0]) * 1e6
        if start[1]:
            vcpu_us.append(us)
        else:
            ioctl_us.append(us)
            if _int(a.get("ret")):
                c["ioctl_splits"] += 1
    c["unpaired"] += len(open_calls)
    c["vcpu_split_us"] = summ(vcpu_us)
    c["ioctl_step_us"] = summ(ioctl_us)
    c["ioctl_split_ms_total"] = round(sum(ioctl_us) / 1000, 3)
    c["vcpu_split_ms_total"] = round(sum(vcpu_us) / 1000, 3)
    c["valid"] = lost == 0 and c["unpaired"] == 0
    return c


def table(per_tag, split_label):
    """per_tag: {tag: counts}. One row per case and eager setting: medians and ranges over the reps."""
    groups = {}
    for tag, c in sorted(per_tag.items()):
        case, eager, _rep = split_label(tag)
        groups.setdefault((case, eager), []).append(c)
    rows = []
    for (case, eager), cs in groups.items():
        valid = [c for c in cs if c["valid"]]
        rows.append({"case": case, "eager": eager, "runs": len(cs), "valid_runs": len(valid),
                     "vcpu_splits": summ([c["vcpu_splits"] for c in valid]),
                     "ioctl_splits": summ([c["ioctl_splits"] for c in valid]),
                     "ioctl_steps": summ([c["ioctl_steps"] for c in valid]),
                     "vcpu_split_us_max": summ([c["vcpu_split_us"]["max"] for c in valid]),
                     "ioctl_split_ms_total": summ([c["ioctl_split_ms_total"] for c in valid]),
                     "vcpu_split_ms_total": summ([c.get("vcpu_split_ms_total") for c in valid]),
                     "vcpu_split_us_p50": summ([c["vcpu_split_us"]["median"] for c in valid]),
                     "levels_seen": any(c.get("levels_seen") for c in valid),
                     "vcpu_levels": _levels([c.get("vcpu_levels", {}) for c in valid]),
                     "ioctl_levels": _levels([c.get("ioctl_levels", {}) for c in valid])})
    return rows


def _levels(per_run):
    """{level: summ over the runs} for every level any run split (0 where a run split none there)."""
    names = sorted({k for d in per_run for k in d}, key=lambda n: -LEVEL_SIZE.index(n.split("->")[0]))
    return {k: summ([d.get(k, 0) for d in per_run]) for k in names}


def _cell(s, fmt="%g"):
    if not s["n"]:
        return "-"
    if s["min"] == s["max"]:
        return fmt % s["median"]
    return (fmt + " (" + fmt + ".." + fmt + ")") % (s["median"], s["min"], s["max"])


def markdown(rows, why_not=None, apart=()):
    """The report's section on what the vCPUs are spared, from the counts. apart: oversubscribed cases
    (more vCPUs than CPUs), left out of the per-GiB durations: their vCPUs also wait for a CPU."""
    out = ["", "## 2b. Split faults in the vCPUs vs splits in ioctl context (in-kernel counts, kprobes)", ""]
    if why_not is not None:
        return out + ["No in-kernel counts in this run: %s." % why_not]
    out += ["Counted inside KVM, not timed at the guest's clock: every call of `kvm_riscv_gstage_split_huge`. Unit: one",
            "2M region split down to 4K. *vCPU* = in a vCPU's write fault (the slow path, under the mmu_lock write lock);",
            "*ioctl* = while enabling dirty logging or in the first CLEAR (the eager split). Median (min..max) over the",
            "valid runs; a run with lost trace events or unpaired entry/return is not counted.", "",
            "| case | eager | valid runs | split faults in vCPUs | 2M regions split in ioctl | 2M steps walked | "
            "slowest split fault (us) | eager split time in ioctl (ms) |",
            "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s | %s | %d of %d | %s | %s | %s | %s | %s |" % (
            r["case"], r["eager"], r["valid_runs"], r["runs"], _cell(r["vcpu_splits"]), _cell(r["ioctl_splits"]),
            _cell(r["ioctl_steps"]), _cell(r["vcpu_split_us_max"], "%.0f"), _cell(r["ioctl_split_ms_total"], "%.2f")))
    out += _levels_md(rows)
    by = {(r["case"], r["eager"]): r for r in rows}
    lines = []
    for (case, eager), r in sorted(by.items()):
        n = by.get((case, "N"))
        if eager != "Y" or n is None or not r["vcpu_splits"]["n"] or not n["vcpu_splits"]["n"]:
            continue
        y_f, n_f = r["vcpu_splits"]["median"], n["vcpu_splits"]["median"]
        if n_f:
            left = ("; %g remained (vCPUs that reached a huge leaf before the splitter)" % y_f) if y_f else ""
            lines.append("- %s: eager split moved %g of %g split faults out of the vCPUs (%.0f %%)%s." % (
                case, n_f - y_f, n_f, 100 * (n_f - y_f) / n_f, left))
        else:
            lines.append("- %s: no split faults with eager N either (nothing huge was written, or no huge backing)." % case)
    if lines:
        out += ["", "What eager splitting removes from the vCPUs' fault path, from these counts:", ""] + lines
    per_gib = per_gib_lines(rows, apart)
    if per_gib:
        out += ["", "The same per GiB, timed: the time the vCPUs spent inside `kvm_riscv_gstage_split_huge` (the split",
                "itself, entry to return on the vCPU thread), per GiB of huge mappings their writes split (eager N: each",
                "split fault is one 2M region, so GiB = split faults x 2 MiB / 1 GiB; on 1G backing the first fault",
                "in a 1G region also splits the 1G leaf, inside the same call), next to where eager Y puts that work.",
                "A lower bound of what eager splitting removes from the fault path: a split fault also takes the",
                "slow path (mmap lock, faultin, mmu_lock for write) that section 2c times where traced per fault.",
                "Emulator microseconds: compare within this boot only.", ""] + per_gib
    return out


def what_this_shows(rows, apart=()):
    """One line for the report's end: per GiB of huge mappings split, the split work eager N leaves in the
    vCPUs' write faults and what eager Y does with it, 2M and 1G backing apart (1G: the N runs split a
    1G leaf in the fault path)."""
    parts = []
    for name, is_1g in (("2M", False), ("1G", True)):
        cells = []
        for case, n, y, gib in _per_gib_cases(rows, apart):
            if bool(n["vcpu_levels"].get("1G->2M", {}).get("median")) != is_1g:
                continue
            cell = "%s %.0f" % (case, n["vcpu_split_ms_total"]["median"] / gib)
            if y and y.get("vcpu_split_ms_total", {}).get("n") and y["ioctl_split_ms_total"]["n"]:
                cell += " -> Y %.0f in the vCPUs + %.0f in the ioctl" % (
                    y["vcpu_split_ms_total"]["median"] / gib, y["ioctl_split_ms_total"]["median"] / gib)
            cells.append(cell)
        if cells:
            parts.append("%s backing: %s" % (name, "; ".join(cells)))
    if not parts:
        return []
    return ["- Per GiB of huge mappings split (section 2b, the split function's own time, medians, ms per GiB;"
            " eager N in the vCPUs' write faults, then where eager Y puts it): " + ". ".join(parts) + ". Eager"
            " splitting takes that work out of the vCPUs' fault path; what it costs instead is the ioctl time."]


def _per_gib_cases(rows, apart):
    """(case, N row, Y row or None, GiB split) for every case not in apart whose eager N runs had timed
    split faults; GiB = split faults x 2 MiB (each split fault is one 2M region split to 4K)."""
    by = {(r["case"], r["eager"]): r for r in rows}
    for (case, eager), n in sorted(by.items()):
        if eager != "N" or case in apart or not n["vcpu_splits"]["median"] \
                or not n.get("vcpu_split_ms_total", {}).get("n"):
            continue
        yield case, n, by.get((case, "Y")), n["vcpu_splits"]["median"] * 2 / 1024


def _per(s, gib):
    """A summ() of totals, each divided by gib."""
    return dict(s, **{k: s[k] / gib for k in ("median", "min", "max") if s.get(k) is not None})


def per_gib_lines(rows, apart=()):
    """Per case with eager N split faults: vCPU split time per GiB split with N, and with Y (vCPU and ioctl).
    Cases in apart (oversubscribed) are left out."""
    lines = []
    for case, n, y, gib in _per_gib_cases(rows, apart):
        line = "- %s: eager N %s ms per GiB in the vCPUs (%g split faults, %.3g GiB; each split p50 %s us)" % (
            case, _cell(_per(n["vcpu_split_ms_total"], gib), "%.1f"), n["vcpu_splits"]["median"], gib,
            _cell(n["vcpu_split_us_p50"], "%.0f"))
        if y and y["valid_runs"] and y.get("vcpu_split_ms_total", {}).get("n"):
            line += "; eager Y %s ms per GiB in the vCPUs, %s ms per GiB in the ioctl (n = %d and %d runs)." % (
                _cell(_per(y["vcpu_split_ms_total"], gib), "%.1f"), _cell(_per(y["ioctl_split_ms_total"], gib), "%.1f"),
                n["valid_runs"], y["valid_runs"])
        else:
            line += "; no valid eager Y run to set it against."
        lines.append(line)
    return lines


def _levels_md(rows):
    """Split counts per level of the walk, for the runs that had the page-table allocation probe."""
    rows = [r for r in rows if r.get("levels_seen")]
    if not rows:
        return []
    names = sorted({k for r in rows for k in list(r["vcpu_levels"]) + list(r["ioctl_levels"])},
                   key=lambda n: -LEVEL_SIZE.index(n.split("->")[0]))
    if not names:
        return []
    out = ["", "Per level of the split: *split faults at level 1G->2M and 2M->4K* (and ioctl splits likewise) count",
           "the huge leaves split at that level, read from the split probe's level argument (the target level, 4K)",
           "and the page-table pages the call took (`kvm_mmu_memory_cache_alloc` on its thread while it ran: one per",
           "leaf split, top down). A write into a 1G leaf is one 1G->2M and one 2M->4K split; a later write into",
           "another 2M region of that 1G region one 2M->4K split. So with eager N a 1G region written in full",
           "counts one 1G->2M split and 512 2M->4K splits.", "",
           "| case | eager | " + " | ".join("vCPU %s" % n for n in names) + " | " +
           " | ".join("ioctl %s" % n for n in names) + " |",
           "|---|---|" + "---|" * (2 * len(names))]
    cell = lambda r, d, n: _cell(d[n]) if n in d else ("0" if r["valid_runs"] else "-")
    for r in rows:
        out.append("| %s | %s | %s | %s |" % (r["case"], r["eager"],
                                             " | ".join(cell(r, r["vcpu_levels"], n) for n in names),
                                             " | ".join(cell(r, r["ioctl_levels"], n) for n in names)))
    return out
