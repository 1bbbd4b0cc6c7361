"""./run.sh migrate --frontier: frontier/ of a run directory (lab/scenarios/frontier.sh: probes.csv,
cells.csv, params.txt and each probe's `rvmig migrate --json`) -> frontier.csv (one row per probe),
frontier.json (cells, probes, the bisection's invariants checked), frontier.png (dirty rate against
total time and downtime, gnuplot as the bench plots) and report.md. Pure functions except run()."""
import csv
import io
import json
import os
import shutil
import subprocess
import tempfile

from . import rundir

MIB = 1048576.0
COLUMNS = ["mode", "eager", "probe", "rate_mib_s", "rate_pages_s", "pass", "exit", "converged", "decision",
           "downtime_ms", "downtime_within_limit", "downtime_limit_ms", "total_s", "rounds", "bytes_sent",
           "mib_sent", "measured_dirty_mib_s", "stream_mib_s"]


def _int(v, default=-1):
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def measured_dirty_mib_s(m):
    """The guest's dirty rate as the source harvested it over the whole precopy, in MiB/s: the pages
    dirtied in rounds >= 1 (round 0 sends all RAM and harvests nothing) over the time they took to be
    dirtied, each round's interval being its pages over its own dirty_rate_Bps. Long rounds weigh as
    long as they lasted (a median of the rounds let the short last ones decide). None without them."""
    pages = secs = 0.0
    for r in (m or {}).get("rounds") or []:
        rate, n = r.get("dirty_rate_Bps"), r.get("pages_dirtied")
        if r.get("round", 0) >= 1 and isinstance(rate, (int, float)) and rate > 0 and isinstance(n, (int, float)):
            pages += n
            secs += n * 4096.0 / rate
    return round(pages * 4096.0 / secs / MIB, 2) if secs > 0 else None


def stream_mib_s(m):
    """The link's speed over the whole migration, MiB/s: bytes sent in all rounds over the time the
    sending took (each round's bytes over its bandwidth_Bps). None without it."""
    sent = secs = 0.0
    for r in (m or {}).get("rounds") or []:
        bw, n = r.get("bandwidth_Bps"), r.get("bytes_sent")
        if isinstance(bw, (int, float)) and bw > 0 and isinstance(n, (int, float)):
            sent += n
            secs += n / bw
    return round(sent / secs / MIB, 2) if secs > 0 else None


def verdict(exit_code, m, criterion="downtime"):
    """A probe passes when rvmig exited 0, decided "converged" and (criterion "downtime", the default)
    the downtime met the limit: the rule the scenario applies (from the same JSON), applied again here
    to check it."""
    t = (m or {}).get("total") or {}
    return (exit_code == 0 and t.get("converged") is True and
            (criterion == "converged" or t.get("downtime_within_limit") is True))


def why(p):
    """Why a probe did not pass, in a few words ("" when it passed)."""
    if p["pass"]:
        return ""
    if p["exit"] != 0:
        return "FAILED (exit %d)" % p["exit"]
    if p["converged"] is not True:
        return p["decision"] or "no JSON"
    if p["downtime_within_limit"] is not True:
        return "downtime over the limit"
    return "?"


def probe_row(lab, m, criterion="downtime"):
    """lab: one probes.csv row (dict of strings); m: that probe's JSON (None when missing)."""
    t = (m or {}).get("total") or {}
    bytes_sent = t.get("bytes_sent")
    return {
        "mode": lab["mode"], "eager": lab["eager"], "probe": _int(lab["probe"]),
        "rate_mib_s": float(lab["rate_mib_s"]), "rate_pages_s": _int(lab["rate_pages_s"]),
        "pass": lab["pass"] == "1", "exit": _int(lab["exit"]), "converged": t.get("converged"),
        "decision": t.get("decision"), "downtime_ms": t.get("downtime_ms"),
        "downtime_within_limit": t.get("downtime_within_limit"), "downtime_limit_ms": t.get("downtime_limit_ms"),
        "total_s": t.get("time_s"), "rounds": t.get("rounds"), "bytes_sent": bytes_sent,
        "mib_sent": None if bytes_sent is None else round(bytes_sent / MIB, 2),
        "measured_dirty_mib_s": measured_dirty_mib_s(m), "stream_mib_s": stream_mib_s(m),
        "recomputed_pass": verdict(_int(lab["exit"]), m, criterion),
    }


def cells_of(cells_csv, probes):
    """One dict per mode x eager from cells.csv, with its probes and the invariants of the search."""
    out = []
    for c in csv.DictReader(io.StringIO(cells_csv)):
        ps = [p for p in probes if p["mode"] == c["mode"] and p["eager"] == c["eager"]]
        front = _int(c["frontier_pages_s"], 0)
        at = [p for p in ps if p["rate_pages_s"] == front and p["pass"]]
        checks = {
            # the frontier is a probe that passed (or 0: none passed)
            "frontier_probe_passed": front == 0 or bool(at),
            # nothing above the frontier passed: every probe there failed
            "above_frontier_all_failed": all(not p["pass"] for p in ps if p["rate_pages_s"] > front),
            # the lab's verdicts agree with the JSONs they were read from
            "verdicts_match_json": all(p["pass"] == p["recomputed_pass"] for p in ps),
            "probe_count_matches": len(ps) == _int(c["probes"]),
        }
        out.append({
            "mode": c["mode"], "eager": c["eager"], "probes": len(ps), "frontier_mib_s": float(c["frontier_mib_s"]),
            "frontier_pages_s": front, "lowest_fail_mib_s": round(_int(c["lowest_fail_pages_s"], 0) / 256, 2) or None,
            "stop": c["stop"], "seconds": _int(c["seconds"]),
            "frontier_measured_dirty_mib_s": at[0]["measured_dirty_mib_s"] if at else None,
            "checks": checks, "ok": all(checks.values()),
        })
    return out


def answer(cells, params):
    """The one line a user reads: the highest frontier over the settings tried (and the lowest)."""
    if not cells:
        return "No cell finished: no frontier (see console.log)."
    best = max(cells, key=lambda c: c["frontier_mib_s"])
    worst = min(cells, key=lambda c: c["frontier_mib_s"])
    cap = params.get("max_mib_s", "?")
    if best["frontier_mib_s"] == 0:
        lows = [c["lowest_fail_mib_s"] for c in cells if c["lowest_fail_mib_s"]]
        return ("This link (local, lab) migrated no probe within the downtime limit (%s): its frontier is below %s "
                "MiB/s." % (params.get("downtime_limit", "?"), _num(min(lows)) if lows else "?"))
    at_least = "at least " if best["stop"] == "max" else ""
    measured = best["frontier_measured_dirty_mib_s"]
    line = ("This link (local, lab) migrates guests dirtying up to %s%s MiB/s (the rate set%s) with --dirty %s, "
            "eager split %s" % (at_least, _num(best["frontier_mib_s"]),
                                "; the source harvested %s MiB/s there" % _num(measured) if measured is not None else "",
                                best["mode"], best["eager"]))
    if len(cells) > 1 and worst["frontier_mib_s"] == best["frontier_mib_s"]:
        line += "; the same with every setting tried"
    elif len(cells) > 1:
        line += "; the lowest setting: %s MiB/s (--dirty %s, eager %s)" % (
            _num(worst["frontier_mib_s"]), worst["mode"], worst["eager"])
    if best["stop"] == "max":
        line += "; no probe up to --max %s MiB/s failed" % cap
    return line + "."


def _num(v):
    return "-" if v is None else ("%g" % v)


def params_of(text):
    return dict(l.split("=", 1) for l in text.splitlines() if "=" in l)


def csv_text(probes):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for p in probes:
        w.writerow(["" if p[k] is None else p[k] for k in COLUMNS])
    return buf.getvalue()


def plot_data(probes, mode, eager):
    """"rate total_s downtime_ms pass" of one cell, by rate (gnuplot's data file)."""
    ps = sorted((p for p in probes if p["mode"] == mode and p["eager"] == eager), key=lambda p: p["rate_pages_s"])
    return "".join("%s %s %s %d\n" % (p["rate_mib_s"], _na(p["total_s"]), _na(p["downtime_ms"]), p["pass"])
                   for p in ps)


def _na(v):
    return "NaN" if v is None else "%g" % v


def plot_script(series, limit_ms):
    """series: [(title, data file)]. Two panels sharing the x axis: total time, downtime (limit drawn);
    filled points passed, open points did not."""
    tot = ", ".join("'%s' u 1:2 w lp lw 2 dt %d pt 6 lc %d t '%s', '' u 1:($4 > 0 ? $2 : NaN) w p pt 7 lc %d notitle"
                    % (f, 1 + i % 2, i + 1, t, i + 1) for i, (t, f) in enumerate(series))
    down = ", ".join("'%s' u 1:3 w lp lw 2 dt %d pt 6 lc %d notitle, '' u 1:($4 > 0 ? $3 : NaN) w p pt 7 lc %d notitle"
                     % (f, 1 + i % 2, i + 1, i + 1) for i, (t, f) in enumerate(series))
    return ("set terminal pngcairo size 900,760 font ',10'; set output 'frontier.png';\n"
            "set multiplot layout 2,1 title 'Convergence frontier: guest dirty rate vs total time and downtime "
            "(filled: converged within the limit)';\n"
            "set grid; set key top left; set xlabel 'guest dirty rate set (MiB/s)'; set ylabel 'total time (s)';\n"
            "plot %s;\n"
            "set ylabel 'downtime (ms)';\n"
            "plot %s, %s w l lw 1 dt 3 lc rgb 'red' t 'limit';\n"
            "unset multiplot" % (tot, down, limit_ms))


def report_md(params, cells, probes, answer_line, plot, lab, env, scenario_s):
    limit = params.get("downtime_limit", "300ms")
    out = ["# Convergence frontier (./run.sh migrate --frontier)", "",
           "**%s**" % answer_line, "",
           "A %s guest (%s vCPUs, hugetlb-2M, sequential writes) migrated with `rvmig migrate --to local` (a forked "
           "destination VM in the same lab), downtime limit %s. A probe passes when rvmig exits 0 (bit-exact, "
           "verified by the guest), precopy decided *converged* (the rest fit the limit at the measured bandwidth, "
           "not forced by --max-rounds or a stall)%s. Each probe is one migration (n=1). Per cell: from %s MiB/s, doubled while "
           "probes pass (up to %s), then bisected until within %s %% or %s probes. The rate is the one set "
           "(vCPUs x --rate pages/s x 4K); *harvested* is what the source's dirty log saw over the precopy (pages dirtied in rounds >= 1 over their time); *stream* the link's speed (bytes sent over the time sending took)."
           % (params.get("mem", "?"), params.get("vcpus", "?"), limit,
              " and the measured downtime (without the hash check) met the limit"
              if params.get("criterion", "downtime") == "downtime" else
              " (--criterion converged: the measured downtime is shown but not held against the limit)",
              params.get("start_mib_s", "?"),
              params.get("max_mib_s", "?"), params.get("resolution_pct", "?"), params.get("probes", "?")), "",
           "Kernel %s, %s, %s. Under TCG the times are an emulator's, and other work on the host moves them: "
           "read the frontier as this lab's, on this day." % (
               (env or {}).get("kernel", "?"), (lab or {}).get("qemu", "?"), (lab or {}).get("accel", "?")), "",
           "| --dirty | eager split | frontier MiB/s | harvested MiB/s there | lowest failure MiB/s | probes | stopped "
           "by | seconds | invariants |",
           "|---|---|---:|---:|---:|---:|---|---:|---|"]
    short = [c for c in cells if c["frontier_measured_dirty_mib_s"] is not None and
             c["frontier_measured_dirty_mib_s"] < c["frontier_mib_s"] / 2]
    for c in cells:
        out.append("| %s | %s | %s | %s | %s | %d | %s | %d | %s |" % (
            c["mode"], c["eager"], _num(c["frontier_mib_s"]), _num(c["frontier_measured_dirty_mib_s"]),
            _num(c["lowest_fail_mib_s"]), c["probes"], c["stop"], c["seconds"],
            "ok" if c["ok"] else "BROKEN: " + ", ".join(k for k, v in c["checks"].items() if not v)))
    if short:
        out += ["", "In %d of %d cells the guest dirtied less than half the rate set at the frontier (its vCPUs "
                "run slower than asked: TCG, a loaded host): the harvested column is what it really dirtied."
                % (len(short), len(cells))]
    out += ["", "Whole scenario: %s s." % scenario_s if scenario_s is not None else "", "",
            "| --dirty | eager | # | rate MiB/s | harvested MiB/s | stream MiB/s | result | decision | downtime ms | total s "
            "| rounds | MiB sent | why not |", "|---|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---|"]
    for p in probes:
        res = "pass" if p["pass"] else ("fail" if p["exit"] == 0 else "FAILED (exit %d)" % p["exit"])
        out.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            p["mode"], p["eager"], p["probe"], _num(p["rate_mib_s"]), _num(p["measured_dirty_mib_s"]),
            _num(p["stream_mib_s"]), res,
            p["decision"] or "-", _num(None if p["downtime_ms"] is None else round(p["downtime_ms"], 1)),
            _num(None if p["total_s"] is None else round(p["total_s"], 2)), _num(p["rounds"]), _num(p["mib_sent"]),
            why(p)))
    out += ["", "![dirty rate vs total time and downtime](frontier.png)" if plot else
            "(no plot: gnuplot missing or failed)", "",
            "Files: frontier.csv (one row per probe), frontier.json (cells, probes, checks), "
            "frontier/<mode>-<eager>-<n>.json|.txt (each probe's rvmig output)."]
    return "\n".join(out) + "\n"


def document(d):
    """Everything computed from run dir d (no writing): params, probes, cells, answer."""
    f = os.path.join(d, "frontier")
    params = params_of(rundir.read_text(os.path.join(f, "params.txt"), ""))
    probes = []
    for row in csv.DictReader(io.StringIO(rundir.read_text(os.path.join(f, "probes.csv"), ""))):
        name = os.path.join(f, "%s-%s-%s.json" % (row["mode"], row["eager"], row["probe"]))
        try:
            with open(name, encoding="utf-8") as fh:
                m = json.load(fh)
        except (OSError, ValueError):
            m = None
        probes.append(probe_row(row, m if isinstance(m, dict) else None, params.get("criterion", "downtime")))
    cells = cells_of(rundir.read_text(os.path.join(f, "cells.csv"), ""), probes)
    return {"params": params, "probes": probes, "cells": cells, "answer": answer(cells, params),
            "invariants_ok": all(c["ok"] for c in cells)}


def _scenario_seconds(console):
    for line in (console or "").splitlines():
        if line.startswith("== frontier: whole scenario"):
            return line.rsplit(": ", 1)[-1].rstrip(" s")
    return None


def run(d, say):
    d = os.path.abspath(d)
    if not os.path.isfile(os.path.join(d, "frontier", "probes.csv")):
        say("frontier: no frontier/probes.csv: the scenario did not get to its probes (see console.log)")
        return 0
    doc = document(d)
    doc["scenario_s"] = _scenario_seconds(rundir.read_text(os.path.join(d, "console.log"), ""))
    with open(os.path.join(d, "frontier.csv"), "w", encoding="utf-8") as fh:
        fh.write(csv_text(doc["probes"]))
    with open(os.path.join(d, "frontier.json"), "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    plot = False
    if shutil.which("gnuplot") and doc["probes"]:
        with tempfile.TemporaryDirectory() as tmp:
            series = []
            for c in doc["cells"]:
                dat = os.path.join(tmp, "%s-%s.dat" % (c["mode"], c["eager"]))
                with open(dat, "w", encoding="utf-8") as fh:
                    fh.write(plot_data(doc["probes"], c["mode"], c["eager"]))
                series.append(("%s, eager %s" % (c["mode"], c["eager"]), dat))
            limit = doc["probes"][0]["downtime_limit_ms"] or 300
            with open(os.path.join(tmp, "err"), "wb") as err:
                plot = bool(series) and subprocess.call(["gnuplot", "-e", plot_script(series, limit)], cwd=d,
                                                        stdout=subprocess.DEVNULL, stderr=err) == 0
            if not plot:
                say("frontier: plot failed: %s" % rundir.read_text(os.path.join(tmp, "err"), "")[:300])
    lab, env = rundir.load_json(os.path.join(d, "lab.json")), rundir.load_json(os.path.join(d, "env.json"))
    with open(os.path.join(d, "report.md"), "w", encoding="utf-8") as fh:
        fh.write(report_md(doc["params"], doc["cells"], doc["probes"], doc["answer"], plot, lab, env,
                           doc["scenario_s"]))
    say("frontier: %d probes in %d cells -> frontier.csv, frontier.json, report.md%s; %s" % (
        len(doc["probes"]), len(doc["cells"]), ", frontier.png" if plot else "", doc["answer"]))
    return 0
