"""./run.sh migrate: one `rvmig migrate` per backing and --dirty mode (lab/scenarios/migrate.sh),
migrate-<backing>-<mode>.json -> migrate.csv and report.md, one row per migration."""
from . import jq
from . import stats

R = jq.c_round
COLUMNS = ["backing", "dirty", "exit_ok", "converged", "decision", "rounds", "pages_sent", "mib_sent", "total_s",
           "enable_ms", "downtime_ms", "downtime_expected_ms", "hash_mismatches", "destination_verified",
           "downtime_limit_ms", "verify_src_ms", "verify_dst_ms"]


def _r0(v):
    # A migration that failed before the pause has no downtime: null stays null, never an error.
    return None if v is None else R(v)


def csv_row(m):
    t = jq.get(m, "total")
    g = lambda k: jq.get(t, k)
    return [jq.get(m, "params", "backing"), jq.get(m, "params", "dirty"), jq.get(m, "ok"), g("converged"),
            g("decision"), g("rounds"), g("pages_sent"), R(jq.alt(g("bytes_sent"), 0) / 1048576 * 100) / 100,
            R(jq.alt(g("time_s"), 0) * 1000) / 1000, R(jq.alt(jq.get(m, "dirty_enable_ms"), 0) * 1000) / 1000,
            _r0(g("downtime_ms")), _r0(jq.alt(jq.get(m, "rounds", -1, "expected_downtime_ms"), None)),
            g("hash_mismatches"), g("destination_verified"), jq.get(m, "params", "downtime_limit_ms"),
            _r0(g("verify_src_ms")), _r0(g("verify_dst_ms"))]


def csv_text(migrations):
    return "".join(jq.csv(r) + "\n" for r in [COLUMNS] + [csv_row(m) for m in migrations])


def md_row(m):
    t = jq.get(m, "total")
    g = lambda k: jq.get(t, k)
    s = jq.tostr
    r0 = lambda v: "-" if v is None else s(R(v))
    ok = "ok" if jq.truthy(jq.get(m, "ok")) else "FAILED: " + s(jq.get(m, "error"))
    hm = g("hash_mismatches")
    hashes = "identical" if jq.is_num(hm) and hm == 0 else s(hm) + " blocks differ"
    cells = [s(jq.get(m, "params", "backing")), s(jq.get(m, "params", "dirty")), ok,
             "%s (%s)" % (s(g("converged")), s(g("decision"))), s(g("rounds")),
             s(R(jq.alt(g("bytes_sent"), 0) / 1048576 * 10) / 10), s(R(jq.alt(g("time_s"), 0) * 100) / 100),
             s(R(jq.alt(jq.get(m, "dirty_enable_ms"), 0) * 100) / 100), r0(g("downtime_ms")),
             s(jq.get(m, "params", "downtime_limit_ms")),
             "%s / %s" % (r0(g("verify_src_ms")), r0(g("verify_dst_ms"))), hashes,
             "ok" if jq.truthy(g("destination_verified")) else "not verified"]
    return "| " + " | ".join(cells) + " |"


STAGES = [("zero_scan_ms", "zero scan"), ("encode_ms", "copy+checksum"), ("socket_ms", "socket"),
          ("throttle_ms", "throttle")]
DEST_STAGES = [("read_ms", "read"), ("check_ms", "check"), ("apply_ms", "apply")]


def _ms(v):
    return "-" if v is None else jq.tostr(R(v * 10) / 10)


def stage_md(migrations, dests):
    """Where each round's time went (rvmig >= the per-stage figures; nothing for older JSON): the
    source's copy time split into zero scan, copy+checksum (stop-and-copy: checksum only, zero copy),
    blocked in the socket and the --max-bandwidth wait; the destination's read, check and apply
    (its .dest.json, when it wrote one)."""
    rows = []
    for m, dest in zip(migrations, dests):
        rounds = jq.get(m, "rounds")
        if not isinstance(rounds, list) or not rounds or jq.get(rounds[0], "zero_scan_ms") is None:
            continue
        by_round = {jq.get(r, "round"): r for r in (jq.get(dest, "round_stats") or [])} if isinstance(dest, dict) else {}
        for r in rounds:
            d = by_round.get(jq.get(r, "round"), {})
            what = "stop-and-copy" if jq.truthy(jq.get(r, "stop_and_copy")) else ""
            cells = [jq.tostr(jq.get(m, "params", "backing")), jq.tostr(jq.get(m, "params", "dirty")),
                     "%s %s" % (jq.tostr(jq.get(r, "round")), what), jq.tostr(jq.get(r, "pages_sent")),
                     _ms(jq.get(r, "copy_ms"))] + [_ms(jq.get(r, k)) for k, _ in STAGES] + \
                    [_ms(jq.get(r, "get_ms")), _ms(jq.get(r, "clear_ms"))] + [_ms(jq.get(d, k)) for k, _ in DEST_STAGES]
            rows.append("| " + " | ".join(c.strip() for c in cells) + " |")
    if not rows:
        return []
    return ["", "## Where the time went, per round (ms)", "",
            "Source: copy = the round's sending, split into the zero-page scan, copy+checksum (stop-and-copy: "
            "the checksum alone, pages go from guest RAM to the socket without a copy), blocked in the socket, "
            "and the --max-bandwidth wait; GET and CLEAR are the dirty-log harvest. Destination: read (in read() "
            "and waiting for bytes), check (record checksum and decode), apply (into guest RAM).", "",
            "| backing | --dirty | round | pages | copy | " + " | ".join(n for _, n in STAGES) +
            " | GET | CLEAR | dest " + " | dest ".join(n for _, n in DEST_STAGES) + " |",
            "|---" * (7 + len(STAGES) + len(DEST_STAGES)) + "|"] + rows


def traffic(m):
    """Bytes sent / (RAM + pages resent after round 0, in bytes); None without the figures."""
    mem, sent = jq.get(m, "params", "mem_bytes"), jq.get(m, "total", "bytes_sent")
    rounds = jq.get(m, "rounds")
    if not jq.is_num(mem) or not jq.is_num(sent) or not isinstance(rounds, list):
        return None
    resent = sum(jq.alt(jq.get(r, "pages_sent"), 0) for r in rounds if jq.alt(jq.get(r, "round"), 0) >= 1)
    return stats.ratio(sent, mem + resent * 4096)


def data_overhead(m, dest):
    """Bytes sent / the page data among them (pages received less zero pages, from the destination's
    own count, x 4096): the stream's overhead over what it had to carry; None without a .dest.json."""
    sent = jq.get(m, "total", "bytes_sent")
    pages, zeros = jq.get(dest, "pages_received"), jq.get(dest, "zero_pages")
    if not (jq.is_num(sent) and jq.is_num(pages) and jq.is_num(zeros)):
        return None
    return stats.ratio(sent, (pages - zeros) * 4096)


def repeat_md(repeats, dests=None):
    """./run.sh migrate -- --repeat N: the default migration N times, summed up (dests: their
    destinations' JSON, None where missing)."""
    if not repeats:
        return []
    dests = dests or [None] * len(repeats)
    n = len(repeats)
    ok = sum(1 for m in repeats if jq.truthy(jq.get(m, "ok")))
    conv = sum(1 for m in repeats if jq.truthy(jq.get(m, "total", "converged")))
    downs = [jq.get(m, "total", "downtime_ms") for m in repeats]
    downs = [d for d in downs if jq.is_num(d)]
    met = sum(1 for m in repeats if jq.truthy(jq.get(m, "total", "downtime_within_limit")))
    limits = sorted({jq.tostr(jq.get(m, "params", "downtime_limit_ms")) for m in repeats})
    dsum = stats.summ(downs)
    tr = [traffic(m) for m in repeats]
    tsum = stats.summ(tr)
    vsum = stats.summ([jq.get(m, "total", "downtime_with_verify_ms") for m in repeats])
    f = lambda v, k=10: "-" if v is None else jq.tostr(R(v * k) / k)
    within = sum(1 for t in tr if t is not None and t <= 1.1)
    out = ["", "## The default migration, %d times (--repeat %d)" % (n, n), "",
            "- exit ok: %d of %d; converged: %d of %d" % (ok, n, conv, n),
            "- downtime (without verification), n=%d: median %s ms, min %s, max %s; met --downtime-limit %s ms "
            "in %d of %d runs (%s %%)" % (dsum["n"], f(dsum["median"]), f(dsum["min"]), f(dsum["max"]),
                                          "/".join(limits), met, n, f(100.0 * met / n if n else None)),
            "- guest paused with verification: median %s ms, min %s, max %s" % (
                f(vsum["median"]), f(vsum["min"]), f(vsum["max"])),
            "- traffic / (RAM + pages resent), n=%d: median %s, min %s, max %s; within 1.1x in %d of %d "
            "(zero pages travel as 12-byte markers, so this stays far below 1 for a guest with untouched RAM)" % (
                tsum["n"], f(tsum["median"], 1000), f(tsum["min"], 1000), f(tsum["max"], 1000), within, n)]
    osum = stats.summ([data_overhead(m, dd) for m, dd in zip(repeats, dests)])
    if osum["n"]:
        out.append("- traffic / page data sent (pages less zero pages, as the destination counted them), n=%d: "
                   "median %s, min %s, max %s" % (osum["n"], f(osum["median"], 1000), f(osum["min"], 1000),
                                                  f(osum["max"], 1000)))
    return out


def report_md(migrations, eager, kernel, qemu_accel, dests=None, repeats=None):
    """eager, kernel, qemu_accel: the text the old writer got from jq (None when its file is missing).
    dests: each migration's destination JSON (or None), repeats: the --repeat runs among migrations."""
    out = ["# rvmig live migration, eager page split %s" % (eager or ""), "",
           "Kernel %s, %s." % (kernel or "", qemu_accel or ""),
           "Under TCG the times are an emulator's: compare modes with each other within this run, not with real hardware.",
           "Downtime = source paused -> destination resumed, without the bit-exact 2M-block hash check (both "
           "sides hash at the same time; the time the resume waited on it is taken out): the figure held "
           "against the limit. Verify = each side's hash pass.", "",
           "| backing | --dirty | result | converged | rounds | MiB sent | total s | enable ms | downtime ms "
           "| limit ms | verify src / dst ms | RAM hashes | guest verify |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    out += [md_row(m) for m in migrations]
    out += ["", "Per-round figures (GET/CLEAR/ring/copy times, dirty rate, bandwidth, expected downtime) "
            "are in each migrate-*.json and migrate-*.txt."]
    reps = [(m, dd) for m, dd in zip(migrations, dests or [None] * len(migrations)) if any(m is r for r in repeats or [])]
    out += repeat_md([m for m, _ in reps], [dd for _, dd in reps])
    out += stage_md(migrations, dests or [None] * len(migrations))
    return "\n".join(out) + "\n"
