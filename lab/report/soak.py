"""The soak's report: soak.csv (one row per hop, written in the lab) joined with the --json of the
processes the guest passed through, summed up in soak.json and report.md. One guest travels: hop 1
is sent by `rvmig migrate` (soak-0.json), hop i > 1 by the `rvmig recv --then-migrate-to` that
received hop i-1 (the "forward" half of soak-<i-1>.json); hop i is received by soak-<i>.json's recv.
A hop is clean only when both processes exited 0, the sender saw every RAM hash match and the guest
verify pass succeed on the destination, and the receiver compared every hash (0 mismatches) and saw
the guest verify. Growth is judged per side and backing (an anon guest's RAM counts in the RSS, a
hugetlb one's does not): the last hop's peak RSS and fd count against the first hop's."""
import csv
import io
import json
import os

# Peak RSS may wobble between fresh processes: allocator noise, and the lab's sampler reads VmHWM every
# 0.5 s, so a peak in a process's last half second can be missed (two hugetlb-2M receivers of one
# 6-hop run read 2,292 and 3,536 kB). More than this is growth.
RSS_SLACK_KB = 2048


def _int(row, key, default=0):
    try:
        return int(row.get(key, default))
    except (TypeError, ValueError):
        return default


def sender_half(hop, load_json):
    """What hop's sender reported: migrate's JSON for hop 1, the forward half of the previous recv's."""
    j = load_json(hop - 1) or {}
    return j if hop == 1 else (j.get("forward") or {})


def hops_of(csv_text, load_json):
    """Rows of soak.csv as dicts, with bytes_sent, pages_sent, hash_mismatches and the verdicts of both
    halves from load_json(n) (the JSON of process n: 0 the first sender, n the receiver of hop n)."""
    hops = []
    for row in csv.DictReader(io.StringIO(csv_text)):
        h = {k: row[k] for k in ("from", "to", "backing", "src_backing", "dirty")}
        for k in ("hop", "src_rc", "dst_rc", "src_hwm_kb", "src_fds", "dst_rss_kb", "dst_hwm_kb", "dst_fds",
                  "hugepages_free"):
            h[k] = _int(row, k, -1)
        total = sender_half(h["hop"], load_json).get("total") or {}
        got = load_json(h["hop"]) or {}
        h["bytes_sent"] = total.get("bytes_sent", 0) or 0
        h["pages_sent"] = total.get("pages_sent", 0) or 0
        # A hop without JSON counts as a mismatch of unknown size: never as a clean one.
        sent_mm, got_mm = total.get("hash_mismatches", -1), got.get("hash_mismatches", -1)
        h["hash_mismatches"] = -1 if sent_mm < 0 or got_mm < 0 else max(sent_mm, got_mm)
        h["identical"] = int(h["hash_mismatches"] == 0 and got.get("hashes_compared") is True
                             and total.get("handed_over") is True)
        h["dest_verified"] = int(total.get("destination_verified") is True and got.get("guest_verified") is True)
        h["ok"] = (h["src_rc"] == 0 and h["dst_rc"] == 0 and h["identical"] == 1 and h["dest_verified"] == 1)
        hops.append(h)
    return hops


def growth(hops):
    """{(side, backing): {"first_rss_kb", "last_rss_kb", "max_rss_kb", "first_fds", "max_fds", "grew"}},
    each process under its own backing: the receiver's, the sender's (hop 1's sender, rvmig migrate,
    is another program and left out)."""
    out = {}
    for side in ("src", "dst"):
        for h in hops:
            if side == "src" and h["hop"] == 1:
                continue
            key = (side, h["backing"] if side == "dst" else h["src_backing"])
            g = out.get(key)
            rss, fds = h[side + "_hwm_kb"], h[side + "_fds"]
            if g is None:
                g = out[key] = {"first_rss_kb": rss, "max_rss_kb": rss, "first_fds": fds, "max_fds": fds}
            g["last_rss_kb"], g["last_fds"] = rss, fds
            g["max_rss_kb"], g["max_fds"] = max(g["max_rss_kb"], rss), max(g["max_fds"], fds)
    for g in out.values():
        g["grew"] = g["last_rss_kb"] - g["first_rss_kb"] > RSS_SLACK_KB or g["last_fds"] > g["first_fds"]
    return out


def summary(hops):
    g = growth(hops)
    return {
        "hops": len(hops),
        "hops_ok": sum(1 for h in hops if h["ok"]),
        "bytes_sent": sum(h["bytes_sent"] for h in hops),
        "pages_sent": sum(h["pages_sent"] for h in hops),
        "hash_mismatches": sum(h["hash_mismatches"] if h["hash_mismatches"] >= 0 else 1 for h in hops),
        "not_verified": sum(1 for h in hops if h["dest_verified"] != 1),
        "hugepages_free": sorted({h["hugepages_free"] for h in hops}),
        "growth": [dict(side=s, backing=b, **v) for (s, b), v in sorted(g.items())],
        "grew": any(v["grew"] for v in g.values()),
        # VmRSS of the process holding the guest, right after each hop, per backing: [min, max]
        "live_rss_kb": {b: [min(r), max(r)] for b, r in sorted(_live_rss(hops).items())},
    }


def _live_rss(hops):
    out = {}
    for h in hops:
        if h["dst_rss_kb"] > 0:
            out.setdefault(h["backing"], []).append(h["dst_rss_kb"])
    return out


def report_md(s):
    lines = ["# Soak: %d hops" % s["hops"], "",
             "One guest, live-migrated back and forth between two sides over unix sockets: `rvmig migrate`",
             "sends hop 1, each `rvmig recv --then-migrate-to` receives a hop, checks it and sends the next;",
             "the destination's backing and the sender's --dirty mode change in turn.", "",
             "| hops | ok | bytes sent | pages sent | hash mismatches | not verified | free 2M pages seen |",
             "|---:|---:|---:|---:|---:|---:|---|",
             "| %d | %d | %d | %d | %d | %d | %s |" % (s["hops"], s["hops_ok"], s["bytes_sent"], s["pages_sent"],
                                                    s["hash_mismatches"], s["not_verified"],
                                                    ", ".join(str(x) for x in s["hugepages_free"])),
             "", "Peak RSS and fds per side and the receiving side's backing (each process is the destination",
             "of one hop and the source of the next).", "",
             "| side | backing | peak RSS first / last / max (kB) | fds first / last / max | growth |",
             "|---|---|---|---|---|"]
    for g in s["growth"]:
        lines.append("| %s | %s | %d / %d / %d | %d / %d / %d | %s |" % (
            "source" if g["side"] == "src" else "destination", g["backing"], g["first_rss_kb"],
            g["last_rss_kb"], g["max_rss_kb"], g["first_fds"], g["last_fds"], g["max_fds"],
            "GREW" if g["grew"] else "none"))
    lines += ["", "VmRSS of the live side right after each hop, min / max per backing: " + "; ".join(
        "%s %d / %d kB" % (b, r[0], r[1]) for b, r in s["live_rss_kb"].items()), ""]
    return "\n".join(lines)


def run(d, say):
    """The soak command's report: soak.json and report.md in run dir d. Always 0: the scenario's own
    exit status says whether a hop failed, and growth is printed (GREW), not turned into a status."""
    p = os.path.join(d, "soak.csv")
    if not os.path.isfile(p):
        return 0

    def load(hop):
        try:
            with open(os.path.join(d, "soak-%d.json" % hop), encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    with open(p, encoding="utf-8") as f:
        s = summary(hops_of(f.read(), load))
    with open(os.path.join(d, "soak.json"), "w", encoding="utf-8") as f:
        json.dump(s, f, indent=1)
        f.write("\n")
    with open(os.path.join(d, "report.md"), "w", encoding="utf-8") as f:
        f.write(report_md(s))
    say("soak: %d hops, %d ok, %d bytes, %d hash mismatches%s" % (
        s["hops"], s["hops_ok"], s["bytes_sent"], s["hash_mismatches"], ", RSS or fds GREW" if s["grew"] else ""))
    return 0
