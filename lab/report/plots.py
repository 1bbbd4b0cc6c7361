"""./run.sh bench plots: the gnuplot data files and scripts (pure: text in, text out); bench_files
runs gnuplot on them. gnuplot, not matplotlib: it is already a dependency, and its pngcairo output
is byte-for-byte reproducible, which lets the tests compare PNGs with the old writer's."""
import re

from . import jq

SETUP = "set terminal pngcairo size 900,560 font ',10'; set output '%s.png'; "


def _no_sweep(case):
    return "@" not in case


def cdf_backings(raw):
    """The backings of the non-sweep runs, one latency CDF plot each."""
    return jq.unique([jq.get(r, "params", "backing") for r in raw if _no_sweep(r["case"])])


def _pass1_runs(raw, backing, eager):
    return [r for r in raw if jq.get(r, "params", "backing") == backing and r["eager"] == eager and _no_sweep(r["case"])
            and jq.get(r, "passes", 0) is not None]


def _bucket_cdf(bucket_lists, hz):
    """Log-linear buckets ([lo, hi, count], ticks) of several runs summed: "hi (us) fraction" per
    non-empty bucket, hi being the bucket's exclusive upper edge."""
    counts = {}
    for bl in bucket_lists:
        for lo, hi, n in bl or []:
            counts[(lo, hi)] = counts.get((lo, hi), 0) + n
    t = sum(counts.values())
    lines, acc = [], 0
    for (lo, hi), n in sorted(counts.items()):
        acc += n
        lines.append("%s %s\n" % (jq.num(hi * 1e6 / hz), jq.num(acc / t)))
    return "".join(lines)


def _hz(raw):
    return jq.alt(jq.get(raw, 0, "host", "timebase_hz"), 10000000)


def cdf_is_log_linear(raw):
    """Whether the runs carry log-linear histograms (guest ABI 2) rather than log2 ones."""
    return any(jq.get(r, "passes", 0, "first_write_hist") is not None for r in raw)


def cdf_data(raw, backing, eager):
    """First-write latency CDF of pass 1, all runs of a backing and setting summed: "upper edge (us)
    fraction" per non-empty bucket (log-linear buckets, or the log2 buckets of older runs)."""
    runs = _pass1_runs(raw, backing, eager)
    if cdf_is_log_linear(raw):
        return _bucket_cdf([jq.get(r, "passes", 0, "first_write_hist", "buckets") for r in runs], _hz(raw))
    hists = [jq.get(r, "passes", 0, "hist_log2_ticks") for r in runs]
    if not hists:
        return ""
    hz = _hz(raw)
    width = max(len(h) for h in hists)
    h = [jq.total([x[i] if i < len(x) else None for x in hists]) for i in range(width)]
    t = jq.total(h)
    lines, acc = [], 0
    for i, v in enumerate(h):
        acc = jq.add(acc, v)
        if jq.lt(0, v):
            lines.append("%s %s\n" % (jq.num(2.0 ** (i + 1) * 1e6 / hz), jq.num(acc / t)))
    return "".join(lines)


def cdf_script(backing, ydat, ndat, log_linear=False):
    if log_linear:
        return ("set title 'First-write latency, first dirty pass, %s (all modes/runs summed)';\n"
                "\t\tset xlabel 'latency (us, log-linear bucket upper edge)'; set ylabel 'fraction of first writes'; "
                "set logscale x 10; set format x '%%g';\n"
                "\t\tset key bottom right; set grid; set yrange [0:1.02];\n"
                "\t\tplot '%s' w l lw 2 t 'eager split Y', '%s' w l lw 2 dt 2 t 'eager split N'"
                % (backing, ydat, ndat))
    return ("set title 'First-write latency, first dirty pass, %s (all modes/runs summed)';\n"
            "\t\tset xlabel 'latency (us, log2 bucket upper edge)'; set ylabel 'fraction of first writes'; "
            "set logscale x 10; set format x '%%g';\n"
            "\t\tset key bottom right; set grid; set yrange [0:1.02];\n"
            "\t\tplot '%s' w steps lw 2 t 'eager split Y', '%s' w steps lw 2 dt 2 t 'eager split N'"
            % (backing, ydat, ndat))


def region_cdf_data(raw, backing, eager, cls):
    """Pass-1 CDF of one first-write class ("first_in_2m" or "other"), runs of a backing and setting summed."""
    return _bucket_cdf([jq.get(r, "passes", 0, "first_write_classes", cls, "buckets")
                        for r in _pass1_runs(raw, backing, eager)], _hz(raw))


def region_cdf_script(backing, dats):
    """dats: {(eager, cls): path} for eager Y/N and cls first_in_2m/other."""
    return ("set title 'First dirty pass, %s: the first write into each 2M region vs the other first writes';\n"
            "\t\tset xlabel 'latency (us, log-linear bucket upper edge)'; set ylabel 'fraction of those first writes'; "
            "set logscale x 10; set format x '%%g';\n"
            "\t\tset key bottom right; set grid; set yrange [0:1.02];\n"
            "\t\tplot '%s' w l lw 2 t 'first in a 2M region, Y', '%s' w l lw 2 dt 2 t 'first in a 2M region, N', "
            "'%s' w l lw 1 t 'other first writes, Y', '%s' w l lw 1 dt 2 t 'other first writes, N'"
            % (backing, dats[("Y", "first_in_2m")], dats[("N", "first_in_2m")], dats[("Y", "other")], dats[("N", "other")]))


def bars_data(summ_):
    """Enable and first-CLEAR per case, Y vs N: median, min, max each (0 where missing)."""
    rows = []
    for g in jq.group_by([c for c in summ_ if _no_sweep(c["case"])], lambda c: c["case"]):
        y = next((c for c in g if c["eager"] == "Y"), None)
        n = next((c for c in g if c["eager"] == "N"), None)
        m = lambda c, k: [jq.alt(jq.get(c, "figures", k, s), 0) for s in ("median", "min", "max")]
        rows.append(jq.tsv([g[0]["case"]] + m(y, "enable_ms") + m(n, "enable_ms") + m(y, "first_clear_ms") +
                           m(n, "first_clear_ms")) + "\n")
    return "".join(rows)


def bars_script(dat):
    bar = lambda col, t: "u ($%d+0.001):($%d+0.001):($%d+0.001)%s t '%s'" % (
        col, col + 1, col + 2, ":xtic(1)" if col == 2 else "", t)
    return ("set title 'Enabling dirty logging and the first CLEAR over the slot (median, whiskers min..max)';\n"
            "\tset style data histogram; set style histogram errorbars gap 1 lw 1; set style fill solid 0.8 border -1;\n"
            "\tset ylabel 'ms (log)'; set logscale y; set yrange [0.01:*]; set xtics rotate by -30; "
            "set key top left; set grid y;\n"
            "\tplot '%s' %s, '' %s, '' %s, '' %s" % (dat, bar(2, "enable, Y"), bar(5, "enable, N"),
                                                    bar(8, "first CLEAR, Y"), bar(11, "first CLEAR, N")))


def sweep_data(summ_):
    """Clear-chunk sweep cases by chunk size: eager, chunk MiB, first CLEAR, largest chunk, pass 1."""
    cases = sorted([c for c in summ_ if not _no_sweep(c["case"])], key=lambda c: jq.order(c["clear_chunk_mib"]))
    m = lambda c, k: jq.alt(jq.get(c, "figures", k, "median"), 0)
    return "".join(jq.tsv([c["eager"], c["clear_chunk_mib"], m(c, "first_clear_ms"), m(c, "first_clear_chunk_max_ms"),
                           m(c, "pass1_ms")]) + "\n" for c in cases)


def lines_starting(text, prefix):
    """grep '^PREFIX'."""
    return "".join(l + "\n" for l in text.split("\n") if l and re.match(re.escape(prefix), l))


def sweep_script(ydat, ndat):
    return ("set title 'manual-init-set: the first CLEAR by chunk size (median)';\n"
            "\t\tset xlabel 'CLEAR chunk (MiB, log)'; set ylabel 'ms (log)'; set logscale xy; set grid; set key top left;\n"
            "\t\tplot '%s' u 2:($3+0.001) w lp lw 2 t 'whole sweep, Y', '' u 2:($4+0.001) w lp t 'largest chunk, Y',\n"
            "\t\t     '%s' u 2:($3+0.001) w lp lw 2 dt 2 t 'whole sweep, N', '' u 2:($4+0.001) w lp dt 2 t 'largest chunk, N'"
            % (ydat, ndat))


def rounds_data(mig):
    """One migration's rounds: GET, CLEAR, ring and copy ms per round."""
    return "".join(jq.tsv([r.get("round"), jq.alt(r.get("get_ms"), 0), jq.alt(r.get("clear_ms"), 0),
                           jq.alt(r.get("ring_ms"), 0), jq.alt(r.get("copy_ms"), 0)]) + "\n" for r in mig["rounds"])


def rounds_script(dat):
    return ("set title 'One migration: per-round harvest and copy times'; set style data histogram;\n"
            "\t\tset style histogram rowstacked; set style fill solid 0.8 border -1; set xlabel 'round'; "
            "set ylabel 'ms'; set grid y;\n"
            "\t\tplot '%s' u 2:xtic(1) t 'GET', '' u 3 t 'CLEAR', '' u 4 t 'ring', '' u 5 t 'copy'" % dat)


def fault_cdf_data(us, points=2000):
    """CDF of in-kernel fault durations (ktrace_faults): "us fraction", at most `points` rows (evenly
    spaced ranks, the last one always kept so the tail shows)."""
    xs = sorted(us)
    n = len(xs)
    if not n:
        return ""
    step = max(1, n // points)
    ranks = list(range(step - 1, n, step))
    if ranks[-1] != n - 1:
        ranks.append(n - 1)
    return "".join("%s %s\n" % (jq.num(round(xs[i], 3)), jq.num(round((i + 1) / n, 6))) for i in ranks)


def fault_cdf_script(case, ydat, ndat):
    return ("set title 'Write faults of the dirty passes inside KVM (kvm\\_riscv\\_mmu\\_map, kprobes), %s';\n"
            "\t\tset xlabel 'duration (us, log)'; set ylabel 'fraction of write faults'; set logscale x 10; "
            "set format x '%%g';\n\t\tset key bottom right; set grid; set yrange [0:1.02];\n"
            "\t\tplot '%s' w l lw 2 t 'eager split Y', '%s' w l lw 2 dt 2 t 'eager split N'" % (case, ydat, ndat))


# vCPU scaling (ktrace_scaling rows): per-run figures against N vCPUs, median with min..max whiskers.
SCALING_US = (("fast_p50", "fast p50"), ("fast_p99", "fast p99"), ("split_p50", "split p50"),
              ("hold_p50", "split write hold p50"), ("wait_p50", "wait of a waiting fault p50"))
SCALING_MS = (("wait_ms", "mmu_lock wait per run"), ("overlap_ms", "overlap with another vCPU hold per run"))
SCALING_FLOOR = 0.01  # a 0 on the log axes is drawn here


def scaling_data(rows, series):
    """gnuplot data blocks (separated by two blank lines) for one series of ktrace_scaling rows, and
    [(index, panel "us"/"ms", title, eager, oversubscribed)]: "vCPUs median min max" per block."""
    blocks, index = [], []
    rows = [r for r in rows if r["series"] == series and r["valid_runs"]]
    for panel, figs in (("us", SCALING_US), ("ms", SCALING_MS)):
        for key, title in figs:
            for eager in ("N", "Y"):
                for over in (False, True):
                    pts = sorted((r["vcpus"], r["figures"][key]) for r in rows
                                 if r["eager"] == eager and r["oversubscribed"] == over and r["figures"][key]["n"])
                    if not pts:
                        continue
                    fl = lambda v: max(v, SCALING_FLOOR)
                    blocks.append("".join("%d %s %s %s\n" % (v, jq.num(fl(f["median"])), jq.num(fl(f["min"])),
                                                              jq.num(fl(f["max"]))) for v, f in pts))
                    index.append((len(blocks) - 1, panel, title, eager, over))
    return "\n\n".join(blocks), index


def scaling_script(series, dat, index, xs):
    """Two panels: durations (us) and per-run waits (ms) against N vCPUs; eager N solid, Y dashed;
    oversubscribed cases as open points, their own lines."""
    colours = {}
    def plot(panel):
        parts = []
        for i, p, title, eager, over in index:
            if p != panel:
                continue
            lc = colours.setdefault(title, len(colours) + 1)
            parts.append("'%s' index %d u 1:2:3:4 w yerrorlines lc %d lw 2 dt %d pt %d t '%s, eager %s%s'" % (
                dat, i, lc, 1 if eager == "N" else 2, 6 if over else 7, title, eager, " (oversubscribed)" if over else ""))
        return ", ".join(parts) or "NaN notitle"
    xt = ", ".join("'%d' %d" % (x, x) for x in xs)
    return ("set terminal pngcairo size 1100,700 font ',10'; set multiplot layout 1,2 title 'vCPU scaling, %s: median over runs, whiskers min..max (eager N solid, Y dashed)';\n"
            "\tset xlabel 'vCPUs'; set xtics (%s); set xrange [%g:%g]; set logscale y; set grid; set termoption noenhanced;\n"
            "\tset key below font ',7' maxrows 8;\n"
            "\tset ylabel 'us (log; 0 drawn at %g)'; set title 'write faults inside KVM'; plot %s;\n"
            "\tset ylabel 'ms per run (log; 0 drawn at %g)'; set title 'waits'; plot %s;\n"
            "\tunset multiplot" % (series.replace("'", ""), xt, min(xs) * 0.8, max(xs) * 1.25, SCALING_FLOOR, plot("us"),
                                   SCALING_FLOOR, plot("ms")))
