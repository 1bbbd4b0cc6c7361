"""./run.sh selftests: dirty_log_perf_test with eager page split Y and N in one boot
(lab/scenarios/selftests.sh), logs selftests/perf.<backing>.<mode>.<Y|N>.log
-> selftests.csv, selftests.json, report.md."""
from . import jq
from . import perflog

HEADER = "backing,mode,eager_page_split,metric,seconds"


def csv_text(logs):
    """logs: [(file name, text)] in file-name order -> selftests.csv (figures kept as printed)."""
    lines = [HEADER]
    for name, text in logs:
        parts = name.split(".")
        b, m, e = (parts + ["", "", "", ""])[1:4]
        for fig, t in perflog.figures(text):
            lines.append("%s,%s,%s,%s,%s" % (b, m, e, fig, t))
    return "\n".join(lines) + "\n"


def rows(csv):
    """The CSV split on commas, header dropped (a metric with a comma shifts its row, as before)."""
    return [line.split(",") for line in csv.split("\n") if line][1:]


def json_text(csv):
    recs = [{"backing": jq.get(r, 0), "mode": jq.get(r, 1), "eager_page_split": jq.get(r, 2),
             "metric": jq.get(r, 3), "seconds": float(r[4])} for r in rows(csv)]
    return jq.pretty(recs) + "\n"


def _ratio(y, n):
    try:
        if y != "" and n != "" and float(n) > 0:
            return "%.2f" % (float(y) / float(n))
    except ValueError:
        pass
    return "-"


def report_md(csv, kernel, qemu_accel):
    """kernel, qemu_accel: the text the old writer got from jq (None when its file is missing)."""
    out = ["# dirty_log_perf_test, eager page split Y vs N (same boot)", "",
           "Kernel %s, %s." % (kernel or "", qemu_accel or ""),
           "Times from an emulated host (TCG) are only meaningful as ratios within this run. Each cell is ONE",
           "run: with small slots the split is a few ms and noise of +-50% is common; `./run.sh bench` repeats",
           "interleaved Y/N cases and reports medians.",
           "`initially-set`: manual protect + KVM_DIRTY_LOG_INITIALLY_SET (split on first CLEAR);",
           "`get`: `-g`, KVM_GET_DIRTY_LOG only (whole slot split when logging is enabled)."]
    cells, order = {}, []
    for r in rows(csv):
        r = r + [""] * (5 - len(r))
        k = (r[0], r[1], r[3])
        cells[k + (r[2],)] = r[4]
        if k not in order:
            order.append(k)
    last = None
    for k in order:
        grp = "%s / %s" % (k[0], k[1])
        if grp != last:
            out += ["", "## " + grp, "", "| metric | eager Y (s) | eager N (s) | Y/N |", "|---|---|---|---|"]
            last = grp
        y, n = cells.get(k + ("Y",), ""), cells.get(k + ("N",), "")
        out.append("| %s | %s | %s | %s |" % (k[2], y, n, _ratio(y, n)))
    return "\n".join(out) + "\n"
