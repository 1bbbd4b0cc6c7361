"""In-kernel split counts of a bench run, from the kprobe trace lab/ktrace.sh records per case
(bench/<tag>.ktrace: events rvmig/split on entry to kvm_riscv_gstage_split_huge, with its flush
argument, and rvmig/split_ret with its return value).

The unit of both counts is one 2M region split down to 4K (lab/ktrace.sh says why):
  vcpu_splits   calls with flush=1: a vCPU's write fault found a huge leaf and split it there;
  ioctl_splits  calls with flush=0 (enabling dirty logging, or KVM_CLEAR_DIRTY_LOG with INITIALLY_SET)
                that returned true: that 2M step had a huge mapping to split;
  ioctl_steps   every flush=0 call, split or not (the eager walk visits every 2M step of the range).
Durations pair an entry with the next return on the same thread (kprobe timestamps, microseconds;
under TCG they are an emulator's, comparable only within one boot)."""
import re

from .stats import summ

# "  rvmig-vcpu0-245  (  240) [001] d.... 123.456789: split: (kvm_riscv_gstage_split_huge+0x0/0x1a4) addr=0x80000000 level=0 flush=1"
# and rvmig bench --trace-marks' phase marks: "  rvmig-240 (240) [000] ..... 12.3: tracing_mark_write: rvmig phase pass1"
_LINE = re.compile(r"^\s*(?P<comm>.+?)-(?P<tid>\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[\d+\]\s+\S+\s+(?P<ts>\d+\.\d+):\s+"
                   r"(?:(?P<ev>(?:split|map|mapp|fast)(?:_ret)?):\s+\([^)]*\)\s*(?P<args>.*)|"
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


def counts(events, lost):
    """Counts and durations of one case run: see the module's docstring."""
    open_calls = {}  # tid -> (ts, flush)
    vcpu_us, ioctl_us = [], []
    c = {"vcpu_splits": 0, "ioctl_splits": 0, "ioctl_steps": 0, "unpaired": 0, "lost_events": lost}
    for _comm, tid, ts, ev, a in events:
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
            open_calls[tid] = (ts, flush)
            continue
        start = open_calls.pop(tid, None)
        if start is None:
            c["unpaired"] += 1
            continue
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
                     "ioctl_split_ms_total": summ([c["ioctl_split_ms_total"] for c in valid])})
    return rows


def _cell(s, fmt="%g"):
    if not s["n"]:
        return "-"
    if s["min"] == s["max"]:
        return fmt % s["median"]
    return (fmt + " (" + fmt + ".." + fmt + ")") % (s["median"], s["min"], s["max"])


def markdown(rows, why_not=None):
    """The report's section on what the vCPUs are spared, from the counts."""
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
    return out
