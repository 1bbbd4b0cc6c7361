"""./run.sh bench, the files: reads bench/ and perf/ of a run directory, writes bench.json,
bench.csv, report.md and the gnuplot PNGs next to them. All computing is in bench_data,
bench_outputs, bench_md and plots; this module only reads, writes and runs gnuplot."""
import json
import os
import re
import shutil
import subprocess
import tempfile

from . import bench_data
from . import bench_linux
from . import bench_md
from . import bench_outputs
from . import jq
from . import ktrace, ktrace_faults, ktrace_race, ktrace_scaling
from . import perflog
from . import plots
from . import rundir


def _awk_int(text):
    """What awk's printf "%d" makes of a string: its leading number, truncated; 0 when none."""
    m = re.match(r"\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)", text)
    return float(int(float(m.group(1)))) if m else 0.0


def read_runs(d, say):
    """[(bench JSON, exit status)] of bench/*.json; a file that is not a JSON object is left out."""
    runs = []
    for f in rundir.sorted_glob(d, "bench/*.json"):
        if not os.path.isfile(f):
            continue
        rel = os.path.relpath(f, d)
        try:
            rc = json.loads(rundir.shell_text(f[:-len(".json")] + ".rc", "null"), parse_int=float)
        except ValueError:
            rc = Ellipsis
        r = rundir.load_json(f)
        if rc is Ellipsis or not isinstance(r, dict):
            say("report-bench: %s is not JSON, left out" % rel)
            continue
        runs.append((r, rc))
    return runs


def read_perf(d):
    logs = []
    for log in rundir.sorted_glob(d, "perf/*.log"):
        if not os.path.isfile(log):
            continue
        tag = os.path.basename(log)[:-len(".log")]
        cmd = rundir.shell_text(os.path.join(d, "perf", tag + ".cmd"), "")
        rc = _awk_int(rundir.shell_text(os.path.join(d, "perf", tag + ".rc"), "-1"))
        logs.append((tag, cmd, rc, perflog.figures(rundir.read_text(log, ""))))
    return logs


def read_ktraces(d):
    """({tag: ktrace.counts}, {tag: ktrace_faults.faults}, {tag: ktrace_race.race}) of bench/*.ktrace
    (lab/ktrace.sh's raw traces, one per case run)."""
    counts, faults, races = {}, {}, {}
    for f in rundir.sorted_glob(d, "bench/*.ktrace"):
        lost = _awk_int(rundir.shell_text(f + ".lost", "0"))
        tag = os.path.basename(f)[:-len(".ktrace")]
        events = ktrace.parse(rundir.read_text(f, ""))
        counts[tag] = ktrace.counts(events, int(lost))
        faults[tag] = ktrace_faults.faults(events)
        races[tag] = ktrace_race.race(events)
    return counts, faults, races


def _write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def render(d, tmp, raw, summ_, mig, say, fault_us=None, scaling=None):
    """The PNGs gnuplot could make, in the order the report lists them."""
    made = []
    have_gnuplot = shutil.which("gnuplot") is not None

    def plot(name, script):
        err = os.path.join(tmp, name + ".err")
        ok = False
        if have_gnuplot:
            with open(err, "wb") as e:
                ok = subprocess.call(["gnuplot", "-e", plots.SETUP % name + script], cwd=d, stderr=e,
                                     stdout=subprocess.DEVNULL) == 0
        if ok:
            made.append(name + ".png")
        else:
            msg = rundir.read_text(err, "").encode()[:300].decode(errors="ignore")
            say("report-bench: plot %s failed: %s" % (name, msg.rstrip("\n")))
            try:
                os.remove(os.path.join(d, name + ".png"))
            except OSError:
                pass

    for b in plots.cdf_backings(raw):
        dat = {}
        for e in ("Y", "N"):
            dat[e] = os.path.join(tmp, "cdf.%s.%s.dat" % (b, e))
            _write(dat[e], plots.cdf_data(raw, b, e))
        plot("latency-cdf-%s" % b, plots.cdf_script(b, dat["Y"], dat["N"], plots.cdf_is_log_linear(raw)))
        rdat = {}
        for e in ("Y", "N"):
            for cls in ("first_in_2m", "other"):
                rdat[(e, cls)] = os.path.join(tmp, "rcdf.%s.%s.%s.dat" % (b, e, cls))
                _write(rdat[(e, cls)], plots.region_cdf_data(raw, b, e, cls))
        if all(os.path.getsize(f) for f in rdat.values()):
            plot("region-cdf-%s" % b, plots.region_cdf_script(b, rdat))
    bars = plots.bars_data(summ_)
    if bars:
        _write(os.path.join(tmp, "bars.dat"), bars)
        plot("enable-clear", plots.bars_script(os.path.join(tmp, "bars.dat")))
    sweep = plots.sweep_data(summ_)
    if sweep:
        for e in ("Y", "N"):
            _write(os.path.join(tmp, "sweep.%s.dat" % e), plots.lines_starting(sweep, e))
        plot("clear-chunk-sweep", plots.sweep_script(os.path.join(tmp, "sweep.Y.dat"), os.path.join(tmp, "sweep.N.dat")))
    for case in sorted({c for c, _e in (fault_us or {})}):
        ys, ns = fault_us.get((case, "Y"), []), fault_us.get((case, "N"), [])
        if not ys or not ns:
            continue
        for e, us in (("Y", ys), ("N", ns)):
            _write(os.path.join(tmp, "faults.%s.%s.dat" % (case, e)), plots.fault_cdf_data(us))
        plot("fault-cdf-%s" % case, plots.fault_cdf_script(case, os.path.join(tmp, "faults.%s.Y.dat" % case),
                                                          os.path.join(tmp, "faults.%s.N.dat" % case)))
    for i, series in enumerate(sorted({r["series"] for r in scaling or []})):
        text, index = plots.scaling_data(scaling, series)
        if not index:
            continue
        _write(os.path.join(tmp, "scaling.%d.dat" % i), text + "\n")
        plot("vcpu-scaling-%d" % (i + 1), plots.scaling_script(series, os.path.join(tmp, "scaling.%d.dat" % i), index,
                                                               sorted({r["vcpus"] for r in scaling if r["series"] == series})))
    if isinstance(mig, dict) and jq.get(mig, "rounds"):
        _write(os.path.join(tmp, "rounds.dat"), plots.rounds_data(mig))
        plot("migration-rounds", plots.rounds_script(os.path.join(tmp, "rounds.dat")))
    return made


def run(d, say):
    d = os.path.abspath(d)
    if not os.path.isdir(os.path.join(d, "bench")):
        say("error: report-bench: %s/bench/ missing: the bench scenario did not run (see console.log)" % d)
        return 1
    raw = bench_data.raw_runs(read_runs(d, say))
    perf = bench_data.perf_records(read_perf(d))
    runs = bench_data.with_figures(raw)
    summ_ = bench_data.summary(runs)
    ratios = bench_data.ratios(summ_)
    perfsum = bench_data.perf_summary(perf)
    compare = bench_data.compare(summ_, perfsum)
    p = lambda name: os.path.join(d, name)
    mig = rundir.load_json(p("migrate.json")) if os.path.isfile(p("migrate.json")) else None
    lab, env = rundir.load_json(p("lab.json")), rundir.load_json(p("env.json"))
    lab_env = rundir.shell_text(p("bench/env.txt"), "")
    doc = bench_outputs.document(lab, env, lab_env, runs, perf, summ_, ratios, perfsum, compare, mig)
    ktrace_md, fault_us, ktrace_shows, srows = None, None, [], []
    per_tag, per_tag_faults, per_tag_race = read_ktraces(d)
    # A run that failed (a pass timed out) traced part of a pass: its counts are not a case's counts.
    rcs = {jq.get(r, "params", "label"): r.get("rc") for r in raw}
    for t, c in per_tag.items():
        if rcs.get(t) not in (0, None):
            c.update(valid=False, run_failed=True)
    if per_tag:
        rows = ktrace.table(per_tag, bench_data.split_label)
        valid = {t: c["valid"] for t, c in per_tag.items()}
        frows = ktrace_faults.table(per_tag_faults, valid, bench_data.split_label)
        fault_us = ktrace_faults.pooled_us(per_tag_faults, valid, bench_data.split_label)
        doc["ktrace"] = {"unit": "2M regions split to 4K", "runs": per_tag, "summary": rows,
                         "fault_runs": {t: ktrace_faults.run_summary(f) for t, f in per_tag_faults.items()},
                         "fault_summary": frows}
        running = {jq.get(r, "params", "label"): jq.get(r, "params", "vcpus_running_at_enable") is True for r in raw}
        if any(running.values()):
            doc["ktrace"]["race"] = {t: dict(x, vcpus_running_at_enable=running.get(t, False))
                                     for t, x in per_tag_race.items() if x is not None}
        missing = re.search(r"^ktrace_missing=(.*)$", lab_env, re.M)
        vcpus = {r["case"]: jq.get(r, "params", "vcpus") for r in raw}
        smp = _awk_int(str(jq.alt(jq.get(lab, "lab_smp"), 0))) if isinstance(lab, dict) else 0
        cores = jq.get(lab, "host_cores") if isinstance(lab, dict) else None
        params = {r["case"]: {"vcpus": jq.get(r, "params", "vcpus"), "backing": jq.get(r, "params", "backing"),
                              "dirty": jq.get(r, "params", "dirty"),
                              "mem_mib": jq.alt(jq.get(r, "params", "mem_bytes"), 0) / 1048576} for r in raw}
        lock_probed = bool(re.search(r"^ktrace_probes=.*\bqueued_read_lock_slowpath\b", lab_env, re.M))
        # Runs with a pass past 30 s + 5 ms a page (rvmig bench goes on while a pass moves): named in 2f.
        slow_runs = sorted(jq.get(r, "params", "label") for r in raw
                           if any(isinstance(p, dict) and p.get("over_allowance") is True for p in jq.alt(r.get("passes"), [])))
        srows = ktrace_scaling.table(per_tag_faults, valid, bench_data.split_label, params, lock_probed, smp, cores)
        if srows:
            doc["ktrace"]["scaling"] = {"lab_harts": smp, "host_cores": cores, "mmu_lock_waits_probed": lock_probed,
                                        "rows": srows}
        apart = {c for c, v in vcpus.items() if ktrace_faults.oversubscribed(v, smp, cores)}
        ktrace_md = ktrace.markdown(rows, apart=apart) \
            + ktrace_faults.markdown(frows, missing.group(1) if missing else "", vcpus, smp, cores) \
            + ktrace_race.markdown(per_tag_race, running, bench_data.split_label) \
            + ktrace_scaling.markdown(srows, smp, cores, lock_probed, slow_runs)
        ktrace_shows = ktrace.what_this_shows(rows, apart)
    elif re.search(r"^ktrace=no: ", lab_env, re.M):
        ktrace_md = ktrace.markdown([], re.search(r"^ktrace=no: (.*)$", lab_env, re.M).group(1))
    linux = bench_linux.read(d)
    linux_rows = bench_linux.summary(linux) if linux else []
    if linux:
        doc["linux"] = {"runs": {t: {"eager": r["eager"], "rc": r["rc"], "ktrace": r["ktrace"]}
                                 for t, r in linux.items()}, "summary": linux_rows}
    _write(p("bench.json"), jq.pretty(doc) + "\n")
    _write(p("bench.csv"), bench_outputs.csv_text(summ_, perfsum))
    with tempfile.TemporaryDirectory() as tmp:
        made = render(d, tmp, raw, summ_, mig, say, fault_us, srows)
    md = bench_md.report_md(summ_, ratios, compare, lab, env, mig, runs, lab_env, made, ktrace_md, ktrace_shows)
    if linux_rows:
        md = md.rstrip("\n") + "\n" + "\n".join(bench_linux.markdown(linux_rows)) + "\n"
    _write(p("report.md"), md)
    say("bench: %d rvmig runs, %s%d perf-test runs -> bench.json, bench.csv, report.md%s"
        % (len(runs), "%d Linux-guest runs, " % len(linux) if linux else "", len(set(x["tag"] for x in perf)),
           ", " + " ".join(made) if made else ""))
    return 0
