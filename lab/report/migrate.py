"""./run.sh migrate: one `rvmig migrate` per backing and --dirty mode (lab/scenarios/migrate.sh),
migrate-<backing>-<mode>.json -> migrate.csv and report.md, one row per migration."""
from . import jq

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


def report_md(migrations, eager, kernel, qemu_accel):
    """eager, kernel, qemu_accel: the text the old writer got from jq (None when its file is missing)."""
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
    return "\n".join(out) + "\n"
