"""./run.sh bench, section 2d of report.md: the guest's first write into each 2M (and 1G) region
against its other first writes, eager Y vs N, from the log-linear histograms of rvmig guest ABI 2
(bench_data.region_figures). Without eager splitting the first write into a still-huge 2M region is
the one whose fault splits it; at the guest's clock that fault is what eager splitting removes."""
from . import jq
from .bench_verdicts import NOISE_HIGH, cell, fmt, rfmt

get, alt, s = jq.get, jq.alt, jq.tostr

INTRO = [
    "The guest times every page's first write of a pass (log-linear histograms: 32 sub-buckets per power of two, each",
    "percentile within 1.6 % of the sample it names) and keeps apart the first write into each 2M region of guest RAM",
    "(and each 1G region): without eager splitting, that write's fault splits the huge mapping. *n* is such writes per",
    "run (= the 2M regions the pass wrote); the ratio is their p50 over the p50 of the other first writes of the same",
    "run, and the later passes' ratio is the control (the slot is 4K-mapped by then either way). Cells: median",
    "[min..max] n=runs."]


def _has(c):
    return jq.lt(0, alt(get(c, "figures", "pass1_first2m_n", "n"), 0))


def _f(c, k):
    return cell(get(c, "figures", k))


def _verdict(case, y, n):
    fy, fn = get(y, "figures", "pass1_first2m_over_other_p50"), get(n, "figures", "pass1_first2m_over_other_p50")
    if not (jq.lt(0, alt(get(fy, "n"), 0)) and jq.lt(0, alt(get(fn, "n"), 0))):
        return None
    rn, ry = fn["median"], fy["median"]
    t = "- %s: the first write into a 2M region takes %s the other first writes' p50 with eager N, %s with Y" % (
        case, rfmt(rn), rfmt(ry))
    single = fy["n"] < 2 or fn["n"] < 2
    apart = jq.lt(fy["max"], fn["min"])
    if jq.le(NOISE_HIGH, rn) and jq.lt(ry, NOISE_HIGH) and apart:
        t += (" (p50 %s us vs %s us with N): the split in the fault path shows at the guest's clock, and eager splitting"
              " removes it" % (fmt(get(n, "figures", "pass1_first2m_p50_us", "median")),
                               fmt(get(n, "figures", "pass1_other_p50_us", "median"))))
        t += ", from a single run of a setting: not conclusive." if single else "."
    elif jq.lt(rn, NOISE_HIGH) and jq.lt(ry, NOISE_HIGH):
        t += (": NO effect visible at the guest's clock. Under TCG every write fault costs a guest exit (~100 us), which"
              " drowns the split's extra cost; the in-kernel counts (section 2b) are where eager splitting shows here.")
    else:
        t += " (N %s..%s, Y %s..%s over the runs): not told apart from the noise at this n." % (
            rfmt(fn["min"]), rfmt(fn["max"]), rfmt(fy["min"]), rfmt(fy["max"]))
    return t


def _pairs(summ_):
    cases = [c for c in summ_ if _has(c) and "@" not in c["case"]]
    for case in jq.unique([c["case"] for c in cases]):
        y = next((c for c in cases if c["case"] == case and c["eager"] == "Y"), None)
        n = next((c for c in cases if c["case"] == case and c["eager"] == "N"), None)
        if y is not None and n is not None and n["backing"] != "anon":
            yield case, y, n


def what_this_shows(summ_):
    """One line for "What this shows": the cases where section 2d sees the split at the guest's clock
    (N's ratio >= 1.5, Y's below, ranges apart), or that it sees none. [] without classed histograms."""
    pairs = list(_pairs(summ_))
    if not pairs:
        return []
    seen = []
    for case, y, n in pairs:
        fy, fn = get(y, "figures", "pass1_first2m_over_other_p50"), get(n, "figures", "pass1_first2m_over_other_p50")
        if jq.lt(0, alt(get(fy, "n"), 0)) and jq.lt(0, alt(get(fn, "n"), 0)) and jq.le(NOISE_HIGH, fn["median"]) \
                and jq.lt(fy["median"], NOISE_HIGH) and jq.lt(fy["max"], fn["min"]):
            seen.append("%s (N %s, Y %s%s)" % (case, rfmt(fn["median"]), rfmt(fy["median"]),
                                                ", single runs: not conclusive" if fy["n"] < 2 or fn["n"] < 2 else ""))
    if not seen:
        return ["- At the guest's clock (section 2d) the first write into a 2M region costs what the other first writes "
                "cost, with eager Y and N alike: no vCPU-side effect is visible in these runs."]
    return ["- At the guest's clock (section 2d) the first write into a 2M region stands out with eager N and not with Y in "
            + jq.join(seen, ", ") + " (2M-first p50 over the other first writes' p50). That is the vCPU-side cost eager "
            "splitting removes, as this emulated host prices it: compare the in-kernel fault durations (section 2c) "
            "before reading it as a hardware figure."]


def markdown(summ_):
    """Section 2d, or [] when no run has the classed histograms (reports of older runs)."""
    cases = [c for c in summ_ if _has(c) and "@" not in c["case"]]
    if not cases:
        return []
    out = ["", "## 2d. The first write into each 2M / 1G region, at the guest's clock", ""] + INTRO + [
        "", "| case | mode | backing | eager | first writes in a 2M region (n) | their p50 (us) | p99 (us) | max (us) |"
        " other first writes p50 (us) | p99 (us) | 2M-first p50 / other p50 | same, later passes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in sorted(cases, key=lambda c: (c["case"], c["eager"])):
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            s(c["case"]), s(c["dirty"]), s(c["backing"]), s(c["eager"]), _f(c, "pass1_first2m_n"),
            _f(c, "pass1_first2m_p50_us"), _f(c, "pass1_first2m_p99_us"), _f(c, "pass1_first2m_max_us"),
            _f(c, "pass1_other_p50_us"), _f(c, "pass1_other_p99_us"), _f(c, "pass1_first2m_over_other_p50"),
            _f(c, "later_first2m_over_other_p50")))
    g1 = [c for c in cases if jq.lt(0, alt(get(c, "figures", "pass1_first1g_p50_us", "n"), 0))
          and c["backing"] == "hugetlb-1G"]
    if g1:
        out += ["", "On hugetlb-1G the first write of each 1G region splits the 1G mapping as well: " + jq.join([
            "%s/%s p50 %s us, max %s us (n %s)" % (s(c["case"]), s(c["eager"]), fmt(get(c, "figures", "pass1_first1g_p50_us", "median")),
                                                  fmt(get(c, "figures", "pass1_first1g_max_us", "median")),
                                                  fmt(get(c, "figures", "pass1_first1g_n", "median"))) for c in g1], "; ") + "."]
    lines = [v for v in (_verdict(case, y, n) for case, y, n in _pairs(summ_)) if v]
    if lines:
        out += [""] + lines
    return out
