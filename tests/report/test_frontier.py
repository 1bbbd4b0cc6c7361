#!/usr/bin/env python3
# Unit tests of lab/report/frontier.py on a fixture of a real quick run (tests/report/fixtures/frontier/:
# 128M guest, --dirty manual, eager Y and N, 3 probes each): the cells and their frontier, the
# bisection's invariants checked (and caught when broken), a probe's verdict recomputed from its JSON,
# the one-line answer, and the files the frontier command writes.
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "lab"))
sys.path.insert(0, HERE)

from report import __main__ as cli  # noqa: E402
from report import frontier  # noqa: E402
from test_report import run_module  # noqa: E402

FIXTURE = os.path.join(HERE, "fixtures", "frontier")


def copy_fixture(edit_probes=None, drop=()):
    d = tempfile.mkdtemp(prefix="frontier-test-")
    shutil.copytree(FIXTURE, d, dirs_exist_ok=True)
    p = os.path.join(d, "frontier", "probes.csv")
    if edit_probes:
        with open(p, encoding="utf-8") as f:
            text = f.read()
        with open(p, "w", encoding="utf-8") as f:
            f.write(edit_probes(text))
    for name in drop:
        os.remove(os.path.join(d, "frontier", name))
    return d


class FrontierTest(unittest.TestCase):
    def doc(self, **kw):
        d = copy_fixture(**kw)
        try:
            return frontier.document(d)
        finally:
            shutil.rmtree(d)

    def test_cells_of_the_fixture(self):
        """frontier: two cells, 3 probes each, frontiers 12 (Y) and 8 (N) MiB/s, invariants ok"""
        doc = self.doc()
        self.assertEqual(len(doc["probes"]), 6)
        got = [(c["mode"], c["eager"], c["probes"], c["frontier_mib_s"], c["lowest_fail_mib_s"], c["stop"])
               for c in doc["cells"]]
        self.assertEqual(got, [("manual", "Y", 3, 12.0, 16.0, "probes"), ("manual", "N", 3, 8.0, 12.0, "probes")])
        self.assertTrue(doc["invariants_ok"])
        self.assertEqual(doc["cells"][0]["frontier_measured_dirty_mib_s"], 1.93)

    def test_answer_line(self):
        """frontier: the one-line answer names the best setting, its harvested rate and the lowest"""
        self.assertEqual(self.doc()["answer"],
                         "This link (local, lab) migrates guests dirtying up to 12 MiB/s (the rate set; the source "
                         "harvested 1.93 MiB/s there) with --dirty manual, eager split Y; the lowest setting: 8 MiB/s "
                         "(--dirty manual, eager N).")

    def test_a_pass_above_the_frontier_breaks_the_invariants(self):
        """frontier: a probe marked passed above the frontier (and against its JSON) is caught"""
        doc = self.doc(edit_probes=lambda t: t.replace("manual,Y,2,4096,16.00,0,1,0,0", "manual,Y,2,4096,16.00,0,1,1,1"))
        checks = doc["cells"][0]["checks"]
        self.assertFalse(checks["above_frontier_all_failed"])
        self.assertFalse(checks["verdicts_match_json"])
        self.assertTrue(checks["frontier_probe_passed"])
        self.assertFalse(doc["invariants_ok"])
        self.assertTrue(doc["cells"][1]["ok"])

    def test_a_frontier_that_failed_breaks_the_invariants(self):
        """frontier: a frontier probe that did not pass is caught"""
        doc = self.doc(edit_probes=lambda t: t.replace("manual,N,1,2048,8.00,0,1,1,1", "manual,N,1,2048,8.00,0,1,1,0"))
        self.assertFalse(doc["cells"][1]["checks"]["frontier_probe_passed"])
        self.assertFalse(doc["invariants_ok"])

    def test_a_missing_json_never_passes(self):
        """frontier: a probe without its JSON recomputes as failed, so a lab 'pass' for it is flagged"""
        doc = self.doc(drop=("manual-Y-3.json",))
        p = [x for x in doc["probes"] if x["eager"] == "Y" and x["probe"] == 3][0]
        self.assertFalse(p["recomputed_pass"])
        self.assertIsNone(p["total_s"])
        self.assertFalse(doc["cells"][0]["checks"]["verdicts_match_json"])

    def test_verdict(self):
        """frontier: pass needs exit 0, converged and the downtime within the limit, each one alone fails"""
        good = {"total": {"converged": True, "downtime_within_limit": True}}
        self.assertTrue(frontier.verdict(0, good))
        self.assertFalse(frontier.verdict(1, good))
        self.assertFalse(frontier.verdict(0, {"total": {"converged": False, "downtime_within_limit": True}}))
        self.assertFalse(frontier.verdict(0, {"total": {"converged": True, "downtime_within_limit": False}}))
        self.assertFalse(frontier.verdict(0, {"total": {"converged": True, "downtime_ms": None}}))
        self.assertFalse(frontier.verdict(0, None))
        # --criterion converged: the downtime is not held against the limit, the rest still is
        over = {"total": {"converged": True, "downtime_within_limit": False}}
        self.assertTrue(frontier.verdict(0, over, "converged"))
        self.assertFalse(frontier.verdict(1, over, "converged"))
        self.assertFalse(frontier.verdict(0, {"total": {"converged": False}}, "converged"))

    def test_the_criterion_is_read_from_the_run(self):
        """frontier: the run's --criterion decides the recomputed verdicts (a downtime run read as converged mismatches)"""
        d = copy_fixture()
        try:
            with open(os.path.join(d, "frontier", "params.txt"), "a", encoding="utf-8") as f:
                f.write("criterion=converged\n")
            doc = frontier.document(d)
        finally:
            shutil.rmtree(d)
        p = [x for x in doc["probes"] if x["eager"] == "Y" and x["probe"] == 2][0]
        self.assertTrue(p["recomputed_pass"])
        self.assertFalse(doc["cells"][0]["checks"]["verdicts_match_json"])

    def test_why_a_probe_failed(self):
        """frontier: each failed probe says why: exit status, forced decision, or the downtime"""
        base = {"pass": False, "exit": 0, "converged": True, "decision": "converged", "downtime_within_limit": False}
        self.assertEqual(frontier.why(base), "downtime over the limit")
        self.assertEqual(frontier.why(dict(base, converged=False, decision="forced (max rounds)")), "forced (max rounds)")
        self.assertEqual(frontier.why(dict(base, exit=1)), "FAILED (exit 1)")
        self.assertEqual(frontier.why(dict(base, **{"pass": True})), "")

    def test_measured_dirty_rate(self):
        """frontier: harvested rate = pages dirtied in rounds >= 1 over their intervals (round 0 left out)"""
        mib = 1048576
        # round 1: 1 MiB at 1 MiB/s (1 s), round 2: 3 MiB at 3 MiB/s (1 s): 4 MiB in 2 s
        m = {"rounds": [{"round": 0, "pages_dirtied": 262144, "dirty_rate_Bps": 0},
                        {"round": 1, "pages_dirtied": 256, "dirty_rate_Bps": 1 * mib},
                        {"round": 2, "pages_dirtied": 768, "dirty_rate_Bps": 3 * mib}]}
        self.assertEqual(frontier.measured_dirty_mib_s(m), 2.0)
        m["rounds"].append({"round": 3, "pages_dirtied": 0, "dirty_rate_Bps": 0})
        self.assertEqual(frontier.measured_dirty_mib_s(m), 2.0)
        self.assertIsNone(frontier.measured_dirty_mib_s({"rounds": [m["rounds"][0]]}))
        self.assertIsNone(frontier.measured_dirty_mib_s(None))

    def test_stream_speed(self):
        """frontier: stream speed = bytes of all rounds over the time each took at its bandwidth"""
        mib = 1048576
        m = {"rounds": [{"bytes_sent": 4 * mib, "bandwidth_Bps": 4 * mib}, {"bytes_sent": 2 * mib, "bandwidth_Bps": 1 * mib},
                        {"bytes_sent": 0, "bandwidth_Bps": 0}]}
        self.assertEqual(frontier.stream_mib_s(m), 2.0)
        self.assertIsNone(frontier.stream_mib_s({"rounds": []}))

    def test_answer_when_nothing_passed_or_nothing_failed(self):
        """frontier: no pass -> 'below' the lowest probe; stopped at --max -> 'at least'"""
        params = {"start_mib_s": "8", "max_mib_s": "128", "downtime_limit": "300ms"}
        cell = {"mode": "ring", "eager": "N", "frontier_mib_s": 0.0, "stop": "probes", "lowest_fail_mib_s": 2.0,
                "frontier_measured_dirty_mib_s": None}
        self.assertIn("migrated no probe within the downtime limit (300ms): its frontier is below 2 MiB/s",
                      frontier.answer([cell], params))
        tie = [dict(cell, frontier_mib_s=32.0, stop="probes"), dict(cell, eager="Y", frontier_mib_s=32.0, stop="probes")]
        self.assertTrue(frontier.answer(tie, params).endswith("eager split N; the same with every setting tried."))
        cell.update(frontier_mib_s=128.0, stop="max", frontier_measured_dirty_mib_s=40.0)
        a = frontier.answer([cell], params)
        self.assertIn("up to at least 128 MiB/s", a)
        self.assertIn("no probe up to --max 128 MiB/s failed", a)

    def test_plot_data_and_script(self):
        """frontier: one gnuplot data row per probe by rate (NaN for a missing figure), every cell plotted"""
        doc = self.doc(drop=("manual-N-2.json",))
        self.assertEqual(frontier.plot_data(doc["probes"], "manual", "N"),
                         "8.0 5.81492 194.607 1\n12.0 11.9384 664.32 0\n16.0 NaN NaN 0\n")
        s = frontier.plot_script([("a", "a.dat"), ("b", "b.dat")], 300)
        self.assertEqual(s.count("'a.dat'"), 2)
        self.assertEqual(s.count("'b.dat'"), 2)
        self.assertIn("300 w l", s)

    def test_the_command_writes_its_files(self):
        """frontier: the frontier command writes frontier.csv (a row per probe), frontier.json, report.md"""
        d = copy_fixture()
        try:
            said = []
            self.assertEqual(cli.COMMANDS["frontier"](d, said.append), 0)
            self.assertEqual(len(said), 1)
            self.assertTrue(said[0].startswith("frontier: 6 probes in 2 cells -> frontier.csv, frontier.json, report.md"))
            with open(os.path.join(d, "frontier.csv"), encoding="utf-8") as f:
                rows = f.read().splitlines()
            self.assertEqual(len(rows), 7)
            self.assertEqual(rows[0].split(",")[:6], ["mode", "eager", "probe", "rate_mib_s", "rate_pages_s", "pass"])
            self.assertTrue(rows[2] == ("manual,Y,2,16.0,4096,False,0,True,converged,311.0917,False,300,47.2888713,9,126224748,120.38,1.89,2.7"))
            with open(os.path.join(d, "report.md"), encoding="utf-8") as f:
                md = f.read()
            self.assertIn("**This link (local, lab) migrates guests dirtying up to 12 MiB/s", md)
            self.assertIn("| manual | Y | 12 | 1.93 | 16 | 3 | probes | 114 | ok |", md)
            self.assertIn("| manual | N | 3 | 12 | 1.97 | 3.31 | fail | converged | 664.3 | 11.94 | 5 | 33.35 | downtime over the limit |", md)
            self.assertIn("Whole scenario: 157 s.", md)
            self.assertIn("In 2 of 2 cells the guest dirtied less than half the rate set", md)
            # the plot: made when gnuplot is there, and the report says which
            png = os.path.isfile(os.path.join(d, "frontier.png"))
            self.assertEqual(png, shutil.which("gnuplot") is not None)
            self.assertIn("![dirty rate vs total time and downtime](frontier.png)" if png else "(no plot", md)
        finally:
            shutil.rmtree(d)

    def test_no_probes_no_report(self):
        """frontier: a run that stopped before its probes (2M pages did not fit) writes nothing, says why"""
        d = tempfile.mkdtemp(prefix="frontier-test-")
        try:
            said = []
            self.assertEqual(cli.COMMANDS["frontier"](d, said.append), 0)
            self.assertIn("did not get to its probes", said[0])
            self.assertFalse(os.path.exists(os.path.join(d, "report.md")))
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    sys.exit(run_module(__name__))
