"""lab/tracing-cost.sh's comparison: what the lab kernel's tracing block (KALLSYMS, FTRACE, KPROBES,
KPROBE_EVENTS) costs when it is built in but no probe is armed. The run directory holds one
sub-directory per boot, boot-NN-traced / boot-NN-untraced, booted in turn (A B A B ...) so that
the host's load falls on both kernels alike; each is a ./run.sh bench run (no probe armed) plus
console.stamped: its console lines with the host's monotonic time in front.

Per kernel, the figures of all its runs are pooled over its boots; the traced/untraced ratio of the
medians is set against each kernel's own spread (max-min over median): a ratio further from 1 than
the larger of the two spreads "moves beyond noise", otherwise it is "within noise"."""
import json
import os
import re

from . import bench_data
from . import bench_files
from . import jq
from . import rundir
from .stats import median, ratio, summ

KERNELS = ("traced", "untraced")
# The bench's figures the comparison is about: the ioctl times that do the splitting (enable, first
# CLEAR) and the passes' wall times (what the vCPUs' faults add up to).
FIGURES = ("enable_ms", "first_clear_ms", "pass1_ms", "later_pass_ms")
BOOT_FIGURES = ("boot_wall_s", "boot_uptime_s")
# OpenSBI's first line: the firmware runs, so QEMU is up; the time to it is QEMU's, not the kernel's.
FIRMWARE_LINE = "OpenSBI v"
START_RE = re.compile(r"^bench: started at uptime ([0-9.]+) s")
BOOT_DIR_RE = re.compile(r"^boot-(\d+)-(traced|untraced)$")


def boot_times(stamped):
    """{boot_wall_s, boot_uptime_s} from a stamped console ("SECONDS LINE" per line): host time from
    OpenSBI's first line to the bench's first line, and the lab's uptime that line reports; None
    when either line is missing (the boot did not reach the job)."""
    t0 = t1 = up = None
    for line in stamped.splitlines():
        ts, _sep, text = line.partition(" ")
        try:
            t = float(ts)
        except ValueError:
            continue
        if t0 is None and text.startswith(FIRMWARE_LINE):
            t0 = t
        m = START_RE.match(text)
        if m and t1 is None and t0 is not None:
            t1, up = t, float(m.group(1))
    if t0 is None or t1 is None:
        return None
    return {"boot_wall_s": round(t1 - t0, 3), "boot_uptime_s": up}


def boot_dirs(d):
    """[(number, kernel, path)] of the boot sub-directories, in boot order."""
    out = []
    for name in os.listdir(d):
        m = BOOT_DIR_RE.match(name)
        if m and os.path.isdir(os.path.join(d, name)):
            out.append((int(m.group(1)), m.group(2), os.path.join(d, name)))
    return sorted(out)


def run_values(runs):
    """{(case, eager, figure): [value per run]} of bench_data.with_figures runs, leaving out failed
    runs and contended ones (their memcpy probe at under half the boot's median: the host's load,
    not the kernel); also the number of each left out."""
    vals, failed, contended = {}, 0, 0
    for r in runs:
        if not (jq.is_num(r.get("rc")) and r["rc"] == 0):
            failed += 1
            continue
        if jq.truthy(r.get("contended")):
            contended += 1
            continue
        for f in FIGURES:
            v = r["figures"].get(f)
            if v is not None:
                vals.setdefault((r["case"], r["eager"], f), []).append(v)
    return vals, failed, contended


def spread(s):
    """(max - min) / median of a summ(), None with fewer than 2 values or a median of 0."""
    if s["n"] < 2 or not jq.lt(0, s["median"]):
        return None
    return (s["max"] - s["min"]) / s["median"]


def compare(traced, untraced):
    """One figure, traced vs untraced values: both summaries, the ratio of the medians, each kernel's
    spread and the verdict (None when either side has fewer than 2 values: no noise to judge by)."""
    a, b = summ(traced), summ(untraced)
    r = ratio(a["median"], b["median"])
    sa, sb = spread(a), spread(b)
    noise = None if sa is None or sb is None else max(sa, sb)
    verdict = None
    if r is not None and noise is not None:
        verdict = "beyond noise" if abs(r - 1) > noise else "within noise"
    return {"traced": a, "untraced": b, "ratio": r, "spread_traced": sa, "spread_untraced": sb,
            "noise": noise, "verdict": verdict}


def collect(d, say):
    """Everything the report says, as one JSON-able document."""
    boots, vals = [], {k: {} for k in KERNELS}
    for n, kernel, path in boot_dirs(d):
        b = {"boot": n, "kernel": kernel, "dir": os.path.basename(path),
             "exit_status": rundir.shell_text(os.path.join(path, "exit-status"), None)}
        b.update(boot_times(rundir.read_text(os.path.join(path, "console.stamped"), "")) or {})
        env = rundir.shell_text(os.path.join(path, "bench", "env.txt"), "")
        m = re.search(r"^ktrace=(.*)$", env, re.M)
        b["ktrace"] = m.group(1) if m else None
        b["load"] = rundir.shell_text(os.path.join(path, "host-load.txt"), None)
        lab = rundir.load_json(os.path.join(path, "lab.json"))
        b["kernel_image"] = jq.get(lab, "kernel_image") if isinstance(lab, dict) else None
        runs = bench_data.with_figures(bench_data.raw_runs(bench_files.read_runs(path, say)))
        v, b["runs_failed"], b["runs_contended"] = run_values(runs)
        b["runs"] = len(runs)
        for key, xs in v.items():
            vals[kernel].setdefault(key, []).extend(xs)
        for f in BOOT_FIGURES:
            if b.get(f) is not None:
                vals[kernel].setdefault(("boot", "-", f), []).append(b[f])
        boots.append(b)
    keys = sorted(set(vals["traced"]) | set(vals["untraced"]), key=lambda k: (k[0] != "boot", k))
    rows = []
    for case, eager, fig in keys:
        c = compare(vals["traced"].get((case, eager, fig), []), vals["untraced"].get((case, eager, fig), []))
        rows.append(dict(c, case=case, eager=eager, figure=fig))
    judged = [r for r in rows if r["verdict"] is not None]
    beyond = [r for r in judged if r["verdict"] == "beyond noise"]
    ratios = [r["ratio"] for r in rows if r["ratio"] is not None and r["case"] != "boot"]
    n_boots = {k: len([b for b in boots if b["kernel"] == k]) for k in KERNELS}
    verdict = None
    if judged:
        verdict = "moves beyond noise" if beyond else "within noise"
    return {"boots": boots, "boots_per_kernel": n_boots, "rows": rows, "judged": len(judged),
            "beyond_noise": len(beyond), "verdict": verdict,
            "bench_ratio": {"n": len(ratios), "median": median(ratios), "min": jq.jmin(ratios),
                            "max": jq.jmax(ratios)}}


def _f(v, fmt="%.3f"):
    return "-" if v is None else fmt % v


def _cell(s):
    return "%s (%s..%s), n=%d" % (_f(s["median"]), _f(s["min"]), _f(s["max"]), s["n"]) if s["n"] else "-"


def verdict_line(doc):
    """The one-line answer."""
    if doc["verdict"] is None:
        return "Verdict: none (no figure has at least 2 values on both kernels)."
    if doc["verdict"] == "within noise":
        return "Verdict: within noise: all %d figures' traced/untraced ratios lie within the kernels' own spread." \
            % doc["judged"]
    moved = ["%s %s %s (%.3f)" % (r["case"], r["eager"], r["figure"], r["ratio"]) for r in doc["rows"]
             if r["verdict"] == "beyond noise"]
    return "Verdict: moves beyond noise on %d of %d figures: %s." % (doc["beyond_noise"], doc["judged"], ", ".join(moved))


def markdown(doc):
    n = doc["boots_per_kernel"]
    br = doc["bench_ratio"]
    out = ["# Tracing built in but off: traced vs untraced lab kernel", "",
           verdict_line(doc), "",
           "The traced kernel is the lab's default (configs/kvm-host.config, with KALLSYMS, FTRACE, KPROBES,",
           "KPROBE_EVENTS); the untraced one is the same fragment without that block (LAB_KERNEL_TRACING=0).",
           "Everything else is the same: initramfs, rvmig, the bench's cases. No probe was armed on either kernel:",
           "each boot's \"in-kernel counts\" column says why (--no-ktrace, or a kernel without kprobe events).",
           "Boots alternated (%d traced, %d untraced); under QEMU TCG on a host shared"
           % (n["traced"], n["untraced"]),
           "with other work, which the alternation spreads over both kernels alike: the spreads below are that",
           "noise, and a verdict \"within noise\" rules out only effects larger than them.", "",
           "Ratio = traced median / untraced median over all valid runs of all boots of each kernel; spread =",
           "(max - min) / median of one kernel's own values; a ratio further from 1 than the larger spread moves",
           "beyond noise. Failed runs and contended ones (memcpy probe under half the boot's median) are left out.",
           "",
           "Bench figures: median traced/untraced ratio %s (min %s, max %s) over %d figures." % (
               _f(br["median"]), _f(br["min"]), _f(br["max"]), br["n"]), "",
           "## Boots", "",
           "| boot | kernel | exit | boot to job, host (s) | uptime at job (s) | runs | failed | contended | "
           "in-kernel counts | host load |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for b in doc["boots"]:
        out.append("| %d | %s | %s | %s | %s | %d | %d | %d | %s | %s |" % (
            b["boot"], b["kernel"], b["exit_status"] or "-", _f(b.get("boot_wall_s"), "%.2f"),
            _f(b.get("boot_uptime_s"), "%.2f"), b["runs"], b["runs_failed"], b["runs_contended"],
            b["ktrace"] or "-", b["load"] or "-"))
    out += ["", "## Figures", "",
            "Boot: host time from OpenSBI's first console line to the job's first line, and the lab's uptime then.",
            "",
            "| case | eager | figure | traced median (min..max), n | untraced median (min..max), n | ratio | "
            "spread traced | spread untraced | verdict |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in doc["rows"]:
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["case"], r["eager"], r["figure"], _cell(r["traced"]), _cell(r["untraced"]), _f(r["ratio"]),
            _f(r["spread_traced"], "%.2f"), _f(r["spread_untraced"], "%.2f"), r["verdict"] or "n < 2"))
    return "\n".join(out) + "\n"


def csv_text(doc):
    lines = ["case,eager,figure,traced_n,traced_median,untraced_n,untraced_median,ratio,spread_traced,"
             "spread_untraced,verdict"]
    for r in doc["rows"]:
        lines.append(",".join([r["case"], r["eager"], r["figure"], "%d" % r["traced"]["n"], _f(r["traced"]["median"], "%.6g"),
                               "%d" % r["untraced"]["n"], _f(r["untraced"]["median"], "%.6g"),
                               _f(r["ratio"], "%.6g"), _f(r["spread_traced"], "%.6g"),
                               _f(r["spread_untraced"], "%.6g"), r["verdict"] or ""]))
    return "\n".join(lines) + "\n"


def run(d, say):
    d = os.path.abspath(d)
    if not boot_dirs(d):
        say("error: tracing-cost: no boot-NN-traced / boot-NN-untraced directories in %s" % d)
        return 1
    doc = collect(d, say)
    for name, text in (("tracing-cost.json", json.dumps(doc, indent=1, sort_keys=True) + "\n"),
                       ("tracing-cost.csv", csv_text(doc)), ("report.md", markdown(doc))):
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write(text)
    say("tracing-cost: %d boots, %d figures compared -> report.md, tracing-cost.json, tracing-cost.csv; %s"
        % (len(doc["boots"]), len(doc["rows"]), verdict_line(doc)))
    return 0
