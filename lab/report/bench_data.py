"""./run.sh bench, the numbers: `rvmig bench` runs (bench/*.json) and dirty_log_perf_test figures
(perf/*.log) -> one record of figures per run, then median/min/max per case and eager setting,
Y/N ratios, and the pairs of figures that rvmig and the perf test both measure."""
from . import jq
from .stats import median, ratio, summ

get, alt = jq.get, jq.alt


def split_label(label):
    """"NAME.E.REP" -> (case, eager, rep): the case name may itself contain dots."""
    parts = label.split(".")
    return ".".join(parts[:-2]), jq.get(parts, -2), float(parts[-1])


def raw_runs(runs):
    """runs: [(bench JSON object, rc or None)] in file order."""
    out = []
    for r, rc in runs:
        r = dict(r)
        r["rc"] = rc
        case, eager, rep = split_label(get(r, "params", "label"))
        r.update(case=case, eager=eager, rep=rep)
        out.append(r)
    return out


def perf_records(logs):
    """logs: [(tag, cmd text, rc, [(figure, seconds text)])] -> one record per figure line."""
    out = []
    for tag, cmd, rc, figs in logs:
        case, eager, rep = split_label(tag)
        for fig, t in figs:
            out.append({"tag": tag, "cmd": cmd, "rc": rc, "figure": fig, "seconds": float(t),
                        "case": case, "eager": eager, "rep": rep})
    return out


def _kdelta(st, name, frm, to):
    s = get(alt(st, {}), name)
    if s is None or get(s, frm) is None or get(s, to) is None:
        return None
    return s[to] - s[frm]


def figures(r):
    """One run's figures (ms, pages/s, us, counts); None = not applicable to the mode."""
    m = get(r, "params", "dirty")
    p = alt(get(r, "passes"), [])
    later = p[1:]
    h = lambda i, k: get(p, i, "harvest", k)
    mc = lambda *k: get(r, "memcpy", *k)
    lat = lambda i, k: get(p, i, "first_write_latency_us", k)
    later_max = [get(x, "first_write_latency_us", "max") for x in later]
    clean = alt(get(r, "clean_harvests"), [])
    crc, calib = alt(mc("crc32_gib_per_s"), None), alt(mc("calib_gib_per_s"), 0)
    return {
        "enable_ms": get(r, "enable_ms"),
        "first_clear_ms": (get(r, "first_clear", "clear_ms") if m == "manual-init-set"
                           else h(0, "clear_ms") if m == "manual" else None),
        "first_clear_chunk_max_ms": (get(r, "first_clear", "clear_chunk_ms", "max") if m == "manual-init-set"
                                     else get(p, 0, "harvest", "clear_chunk_ms", "max") if m == "manual" else None),
        "later_clear_ms": (median([get(x, "harvest", "clear_ms") for x in p]) if m == "manual-init-set"
                           else median([get(x, "harvest", "clear_ms") for x in later]) if m == "manual" else None),
        "get_ms": None if m == "ring" else median([get(x, "harvest", "get_ms") for x in p]),
        "ring_ms": (median([jq.add(get(x, "harvest", "ring_ms"), get(x, "ring_during_ms")) for x in p])
                    if m == "ring" else None),
        "harvest_pass1_ms": h(0, "total_ms"),
        "pass1_ms": get(p, 0, "wall_ms"),
        "slot_written_once_ms": get(p, 0, "slice_ms_max"),
        "pass1_pages_per_s": get(p, 0, "pages_per_s"),
        "pass1_p50_us": lat(0, "p50"),
        "pass1_p90_us": lat(0, "p90"),
        "pass1_p99_us": lat(0, "p99"),
        "pass1_p999_us": lat(0, "p99_9"),
        "pass1_max_us": lat(0, "max"),
        "later_pass_ms": median([get(x, "wall_ms") for x in later]),
        "later_pages_per_s": median([get(x, "pages_per_s") for x in later]),
        "later_p99_us": median([get(x, "first_write_latency_us", "p99") for x in later]),
        "later_p999_us": median([get(x, "first_write_latency_us", "p99_9") for x in later]),
        "later_max_us": jq.jmax(later_max) if later_max else None,
        "clean_harvest_ms": median([get(x, "total_ms") for x in clean]),
        "clean_get_ms": median([get(x, "get_ms") for x in clean]),
        "clean_clear_ms": median([get(x, "clear_ms") for x in clean]),
        "memcpy_ms": mc("ms", "median"),
        "memcpy_gib_s": mc("gib_per_s"),
        "calib_gib_s": mc("calib_gib_per_s"),
        # The stream's crc32 next to memcpy over the same 64 MiB, back to back: what the checksum allows.
        "crc32_pct_of_memcpy": crc / calib * 100 if crc is not None and jq.lt(0, calib) else None,
        "vcpu_exits_pass1": _kdelta(get(r, "kvm_stats", "vcpu_sum"), "exits", "before_enable", "after_pass1"),
        "vcpu_exits_later": _kdelta(get(r, "kvm_stats", "vcpu_sum"), "exits", "after_pass1", "after_passes"),
        "remote_tlb_flush_pass1": _kdelta(get(r, "kvm_stats", "vm"), "remote_tlb_flush", "before_enable", "after_pass1"),
    }


# First writes by region class (rvmig guest ABI 2): "first_in_2m" is the first write of each 2M region
# (the one that splits a huge mapping when eager splitting is off), "other" every other first write.
REGION_FIGS = ("pass1_first2m_n", "pass1_first2m_p50_us", "pass1_first2m_p99_us", "pass1_first2m_max_us",
               "pass1_other_p50_us", "pass1_other_p99_us", "pass1_other_max_us", "pass1_first2m_over_other_p50",
               "pass1_first1g_n", "pass1_first1g_p50_us", "pass1_first1g_max_us", "later_first2m_over_other_p50")


def region_figures(r):
    """The first-write-per-region figures of one run; {} for a run made before the guest classed its
    first writes (no first_write_classes), so that older reports keep their figures."""
    p = alt(get(r, "passes"), [])
    if get(p, 0, "first_write_classes") is None:
        return {}
    c = lambda i, cls, k: get(p, i, "first_write_classes", cls, k)
    over = lambda i: ratio(c(i, "first_in_2m", "p50"), c(i, "other", "p50")) if jq.lt(0, c(i, "first_in_2m", "count")) else None
    return {
        "pass1_first2m_n": c(0, "first_in_2m", "count"),
        "pass1_first2m_p50_us": c(0, "first_in_2m", "p50"),
        "pass1_first2m_p99_us": c(0, "first_in_2m", "p99"),
        "pass1_first2m_max_us": c(0, "first_in_2m", "max"),
        "pass1_other_p50_us": c(0, "other", "p50"),
        "pass1_other_p99_us": c(0, "other", "p99"),
        "pass1_other_max_us": c(0, "other", "max"),
        "pass1_first2m_over_other_p50": over(0),
        "pass1_first1g_n": c(0, "first_in_1g", "count"),
        "pass1_first1g_p50_us": c(0, "first_in_1g", "p50") if jq.lt(0, c(0, "first_in_1g", "count")) else None,
        "pass1_first1g_max_us": c(0, "first_in_1g", "max") if jq.lt(0, c(0, "first_in_1g", "count")) else None,
        # In later passes the slot is 4K-mapped either way: the first write of a 2M region is an
        # ordinary fault there, which makes this the control for the pass-1 ratio.
        "later_first2m_over_other_p50": median([over(i) for i in range(1, len(p))]),
    }


def with_figures(raw):
    """Each run with its figures and whether it was contended: its memcpy probe (64 MiB, taken right
    before its passes, the same in every case) ran at under half the median probe of this boot; under
    TCG that means the emulator was sharing the host's cores with other work."""
    runs = []
    for r in raw:
        r = dict(r)
        r["figures"] = dict(figures(r), **region_figures(r))
        runs.append(r)
    med = median([get(r, "figures", "calib_gib_s") for r in runs])
    for r in runs:
        c = r["figures"]["calib_gib_s"]
        r["contended"] = med is not None and c is not None and jq.lt(c, 0.5 * med)
    return runs


def summary(runs):
    """Per case and eager setting. Failed runs are counted apart; no figure of theirs enters a median."""
    out = []
    for g in jq.group_by(runs, lambda r: [r["case"], r["eager"]]):
        f = g[0]
        ok = [r for r in g if _is_zero(r["rc"])]
        figs = {}
        if ok:
            figs = {k: summ([r["figures"][k] for r in ok]) for k in ok[0]["figures"]}
        out.append({
            "case": f["case"], "eager": f["eager"], "dirty": get(f, "params", "dirty"),
            "backing": get(f, "params", "backing"), "vcpus": get(f, "params", "vcpus"),
            "mem_mib": get(f, "params", "mem_bytes") / 1048576,
            "clear_chunk_mib": get(f, "params", "clear_chunk_bytes") / 1048576,
            "passes": get(f, "params", "passes"),
            "eager_read_back": jq.unique([get(r, "host", "eager_page_split") for r in g]),
            "backing_obtained": jq.unique([get(r, "backing", "report") for r in g]),
            "failed": len([r for r in g if not _is_zero(r["rc"])]),
            "contended": len([r for r in g if jq.truthy(r["contended"])]),
            "figures": figs})
    return out


def _is_zero(v):
    return jq.is_num(v) and v == 0


def ratios(summ_):
    """Y/N of the medians per case and figure, for cases that have both settings."""
    out = []
    for g in jq.group_by(summ_, lambda c: c["case"]):
        if not (len(g) == 2 or any(c["eager"] == "Y" for c in g)):
            continue
        y = next((c for c in g if c["eager"] == "Y"), None)
        n = next((c for c in g if c["eager"] == "N"), None)
        if y is None or n is None:
            continue
        rs = {k: ratio(get(y, "figures", k, "median"), get(n, "figures", k, "median")) for k in y["figures"]}
        out.append({"case": y["case"], "ratios": rs or None})
    return out


def perf_summary(perf):
    return [{"case": g[0]["case"], "eager": g[0]["eager"], "figure": g[0]["figure"], "cmd": g[0]["cmd"],
             "seconds": summ([p["seconds"] for p in g]), "failed": len([p for p in g if not _is_zero(p["rc"])])}
            for g in jq.group_by(perf, lambda p: [p["case"], p["eager"], p["figure"]])]


def _s_of(ms):
    return None if ms is None else ms / 1000


def compare(summ_, perfsum):
    """rvmig's figures next to the perf test's for the same case and setting (seconds)."""
    out = []
    for c in summ_:
        pp = [p for p in perfsum if p["case"] == c["case"] and p["eager"] == c["eager"]]
        if not pp:
            continue
        pstat = lambda name: next((p["seconds"] for p in pp if p["figure"] == name), None)
        pfig = lambda name: get(pstat(name), "median")
        fig = lambda k, s: get(c, "figures", k, s)
        is_get = c["dirty"] == "get"
        entries = [{"what": "enabling dirty logging", "fig": "enable_ms", "rvmig": _s_of(fig("enable_ms", "median")),
                    "perf": pfig("Enabling dirty logging"), "perf_figure": "Enabling dirty logging"}]
        if not is_get:
            entries.append({"what": "first CLEAR (split with eager Y)", "fig": "first_clear_ms",
                            "rvmig": _s_of(fig("first_clear_ms", "median")),
                            "perf": pfig("Iteration 1 clear dirty log"), "perf_figure": "Iteration 1 clear dirty log"})
        # The harvest of a pass once the slot is 4K-mapped: perf-test iterations 2.. against the later
        # harvests of rvmig (GET, plus CLEAR unless -g / --dirty get). Ranges are bounds: the sums of
        # the GET and the CLEAR ranges.
        pgc = []
        for i in range(2, 1000):
            g = pstat("Iteration %d get dirty log" % i)
            if g is None:
                continue
            cl = alt(pstat("Iteration %d clear dirty log" % i), {"median": 0, "min": 0, "max": 0, "n": 0})
            pgc.append({"median": jq.add(g["median"], cl["median"]), "min": jq.add(g["min"], cl["min"]),
                        "max": jq.add(g["max"], cl["max"]), "n": g["n"]})
        rg = get(c, "figures", "get_ms")
        rc = alt(get(c, "figures", "later_clear_ms"), {"median": 0, "min": 0, "max": 0})
        both = lambda s: None if get(rg, s) is None else _s_of(jq.add(get(rg, s), alt(get(rc, s), 0)))
        entries.append({"what": "GET+CLEAR per later harvest",
                        "perf_figure": "Iteration 2.. get + clear dirty log (median)",
                        "perf": median([x["median"] for x in pgc]), "perf_min": jq.jmin([x["min"] for x in pgc]),
                        "perf_max": jq.jmax([x["max"] for x in pgc]), "perf_n": jq.total([x["n"] for x in pgc]),
                        "rvmig": both("median"), "rvmig_min": both("min"), "rvmig_max": both("max"),
                        "rvmig_n": get(rg, "n")})
        pass1 = "Iteration 1 dirty memory" if is_get else "Iteration 2 dirty memory"
        entries.append({"what": "first dirty pass", "fig": "pass1_ms", "rvmig": _s_of(fig("pass1_ms", "median")),
                        "perf": pfig(pass1), "perf_figure": pass1})
        for e in entries:
            f = e.get("fig")
            e.update({
                "case": c["case"], "eager": c["eager"], "ratio": ratio(e["rvmig"], e["perf"]),
                "rvmig_min": e.get("rvmig_min") if f is None else _s_of(fig(f, "min")),
                "rvmig_max": e.get("rvmig_max") if f is None else _s_of(fig(f, "max")),
                "rvmig_n": e.get("rvmig_n") if f is None else fig(f, "n"),
                "perf_min": alt(e.get("perf_min"), get(pstat(e["perf_figure"]), "min")),
                "perf_max": alt(e.get("perf_max"), get(pstat(e["perf_figure"]), "max")),
                "perf_n": alt(e.get("perf_n"), get(pstat(e["perf_figure"]), "n"))})
            out.append(e)
    return out
