"""./run.sh bench -- --linux, the Linux-guest case: linux/<tag>.json (rvmig run --kernel --dirty-log),
linux/<tag>.rc and linux/<tag>.ktrace (lab/ktrace.sh's split probes over the whole run; before logging
goes on nothing is write-protected, so every split counted falls in the dirty window). Per eager setting:
enable ms, split faults in vCPU context, huge mappings split in the ioctl, pages dirtied, median
[min..max] over the runs that exited 0 with a valid trace."""
import os

from . import jq
from . import ktrace
from . import rundir
from .stats import summ


def read(d):
    """{tag: {"eager", "rc", "json", "ktrace"}} of linux/*.json; {} when the case did not run."""
    out = {}
    for f in rundir.sorted_glob(d, "linux/*.json"):
        tag = os.path.basename(f)[:-len(".json")]
        base = f[:-len(".json")]
        parts = tag.split(".")
        rc = rundir.shell_text(base + ".rc", "").strip()
        kt = None
        if os.path.isfile(base + ".ktrace"):
            lost = rundir.shell_text(base + ".ktrace.lost", "0").strip()
            kt = ktrace.counts(ktrace.parse(rundir.read_text(base + ".ktrace", "")), int(lost or 0))
        out[tag] = {"eager": parts[1] if len(parts) == 3 else "?", "rc": int(rc) if rc.lstrip("-").isdigit() else None,
                    "json": rundir.load_json(f), "ktrace": kt}
    return out


def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 else None


def summary(runs):
    """[{eager, runs, ok_runs, enable_ms, vcpu_splits, ioctl_splits, pages_dirtied, dirty_pages_per_s}]."""
    rows = []
    for eager in sorted({r["eager"] for r in runs.values()}, key=lambda e: (e != "Y", e)):
        mine = [r for r in runs.values() if r["eager"] == eager]
        ok = [r for r in mine if r["rc"] == 0 and isinstance(r["json"], dict)]
        kt = [r["ktrace"] for r in ok if r["ktrace"] and r["ktrace"]["valid"]]
        dl = lambda k: summ([_num(jq.get(r["json"], "dirty_log", k)) for r in ok])
        rows.append({"eager": eager, "runs": len(mine), "ok_runs": len(ok), "traced_runs": len(kt),
                     "enable_ms": dl("enable_ms"), "pages_dirtied": dl("pages_dirtied"),
                     "dirty_pages_per_s": dl("dirty_pages_per_s"),
                     "vcpu_splits": summ([c["vcpu_splits"] for c in kt]),
                     "ioctl_splits": summ([c["ioctl_splits"] for c in kt])})
    return rows


def _cell(s, fmt="%g"):
    if not s["n"]:
        return "-"
    return (fmt + " [" + fmt + ".." + fmt + "]") % (s["median"], s["min"], s["max"])


def markdown(rows):
    out = ["", "## Linux guest: dirty logging on at the workload's ready line, its first dirty pass", "",
           "`rvmig run --kernel Image --initrd linux-guest.cpio.gz --dirty-log`: Linux boots in the KVM guest, its",
           "workload stamps its pages once (huge G-stage mappings on hugetlb-2M), then the memslot update turns",
           "dirty logging on (timed) and the workload dirties for --duration; one KVM_GET_DIRTY_LOG counts the",
           "pages. Split counts from the kprobes over the whole run (unit: one 2M region split to 4K). Median",
           "[min..max] over the runs that exited 0 (splits: those with a valid trace). Timings are TCG's.", "",
           "| eager | runs ok | enable (ms) | split faults in vCPU context | huge mappings split in the ioctl | "
           "pages dirtied | dirtied pages/s |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s | %d of %d | %s | %s | %s | %s | %s |" % (
            r["eager"], r["ok_runs"], r["runs"], _cell(r["enable_ms"], "%.3f"), _cell(r["vcpu_splits"]),
            _cell(r["ioctl_splits"]), _cell(r["pages_dirtied"]), _cell(r["dirty_pages_per_s"], "%.0f")))
    return out
