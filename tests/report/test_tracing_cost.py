#!/usr/bin/env python3
# Unit tests of lab/report/tracing_cost.py (lab/tracing-cost.sh's traced vs untraced comparison):
# boot times from a stamped console, the ratio-against-spread verdict, and the whole report on boot
# directories composed from the bench fixture (tests/report/fixtures/bench/: one h2m-initset run per
# eager setting) with its figures scaled per boot. Counts and verdicts only, never timings.
import json
import re
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
from report import tracing_cost  # noqa: E402
from test_report import run_module  # noqa: E402

BENCH = os.path.join(HERE, "fixtures", "bench")


def stamped(opensbi_t, start_t, uptime):
    return ("%.3f \n%.3f OpenSBI v1.1\n%.3f Boot HART ID : 0\n%.3f bench: started at uptime %s s\n"
            "%.3f bench: preset quick, 10 runs\n" % (opensbi_t - 0.5, opensbi_t, opensbi_t + 0.1, start_t, uptime,
                                                      start_t + 1))


def compose(d, boots):
    """boots: [(kernel, scale of every figure, boot wall s)] -> boot-NN-KERNEL dirs under d."""
    for n, (kernel, scale, wall) in enumerate(boots, 1):
        sub = os.path.join(d, "boot-%02d-%s" % (n, kernel))
        os.makedirs(os.path.join(sub, "bench"))
        for f in os.listdir(os.path.join(BENCH, "bench")):
            src = os.path.join(BENCH, "bench", f)
            if not f.endswith(".json"):
                shutil.copy(src, os.path.join(sub, "bench", f))
                continue
            with open(src, encoding="utf-8") as fh:
                r = json.load(fh)
            r["enable_ms"] *= scale
            r["first_clear"]["clear_ms"] *= scale
            for p in r["passes"]:
                p["wall_ms"] *= scale
            with open(os.path.join(sub, "bench", f), "w", encoding="utf-8") as fh:
                json.dump(r, fh)
        with open(os.path.join(sub, "bench", "env.txt"), "a", encoding="utf-8") as fh:
            fh.write("ktrace=no: %s\n" % ("switched off (--no-ktrace): no probe armed" if kernel == "traced"
                                          else "this kernel has no kprobe events (no /sys/kernel/tracing)"))
        with open(os.path.join(sub, "console.stamped"), "w", encoding="utf-8") as fh:
            fh.write(stamped(100.0, 100.0 + wall, "%.2f" % (wall - 1)))
        with open(os.path.join(sub, "exit-status"), "w", encoding="utf-8") as fh:
            fh.write("0\n")


def report(boots):
    d = tempfile.mkdtemp(prefix="rvmig-tracing-cost-")
    try:
        compose(d, boots)
        rc = cli.main(["tracing-cost", d])  # as lab/report.sh runs it
        with open(os.path.join(d, "tracing-cost.json"), encoding="utf-8") as f:
            doc = json.load(f)
        with open(os.path.join(d, "report.md"), encoding="utf-8") as f:
            md = f.read()
        with open(os.path.join(d, "tracing-cost.csv"), encoding="utf-8") as f:
            csv = f.read()
        return rc, doc, md, csv
    finally:
        shutil.rmtree(d)


# Same figures on both kernels, within each one's boot-to-boot spread (+-5 %, +-10 %).
WITHIN = [("traced", 1.0, 14.0), ("untraced", 1.05, 14.5), ("traced", 1.1, 14.4), ("untraced", 0.95, 14.1)]


class BootTimesTest(unittest.TestCase):
    def test_opensbi_to_the_jobs_first_line(self):
        t = tracing_cost.boot_times(stamped(10.0, 25.5, "13.20"))
        self.assertEqual(t, {"boot_wall_s": 15.5, "boot_uptime_s": 13.2})

    def test_a_boot_that_never_reached_the_job_has_no_time(self):
        self.assertIsNone(tracing_cost.boot_times("1.000 OpenSBI v1.1\n2.000 Kernel panic\n"))
        self.assertIsNone(tracing_cost.boot_times(""))

    def test_unstamped_lines_are_skipped(self):
        text = "garbage\n" + stamped(1.0, 3.0, "1.5")
        self.assertEqual(tracing_cost.boot_times(text)["boot_wall_s"], 2.0)


class CompareTest(unittest.TestCase):
    def test_ratio_within_the_spread_is_noise(self):
        c = tracing_cost.compare([10, 11, 12], [10.5, 11.5, 9.5])
        self.assertEqual(c["verdict"], "within noise")
        self.assertEqual((c["traced"]["n"], c["untraced"]["n"]), (3, 3))

    def test_ratio_beyond_both_spreads_moves(self):
        c = tracing_cost.compare([20, 21, 22], [10, 11, 10.5])
        self.assertEqual(c["verdict"], "beyond noise")
        self.assertAlmostEqual(c["ratio"], 2.0)

    def test_one_value_a_side_is_not_judged(self):
        self.assertIsNone(tracing_cost.compare([10], [10, 11])["verdict"])
        self.assertIsNone(tracing_cost.compare([], [])["ratio"])


class ReportTest(unittest.TestCase):
    def test_within_noise_on_composed_boots(self):
        rc, doc, md, csv = report(WITHIN)
        self.assertEqual(rc, 0)
        self.assertEqual(doc["boots_per_kernel"], {"traced": 2, "untraced": 2})
        # h2m-initset Y and N: enable, first CLEAR, pass 1 (one pass: no later pass); plus 2 boot figures
        self.assertEqual(len(doc["rows"]), 2 * 3 + 2)
        self.assertEqual((doc["judged"], doc["beyond_noise"], doc["verdict"]), (8, 0, "within noise"))
        self.assertEqual(doc["bench_ratio"]["n"], 6)
        self.assertTrue(all(r["traced"]["n"] == 2 and r["untraced"]["n"] == 2 for r in doc["rows"]))
        self.assertIn("Verdict: within noise", md)
        self.assertEqual(len(re.findall(r"^\| \d+ \| (traced|untraced) \|", md, re.M)), 4)
        self.assertEqual(len([x for x in md.splitlines() if x.startswith("| boot | - |")]), 2)
        self.assertEqual(len([x for x in md.splitlines() if x.startswith("| h2m-initset |")]), 6)
        self.assertEqual(len(csv.strip().splitlines()), 1 + 8)

    def test_every_boot_is_listed_with_its_ktrace_state(self):
        _rc, doc, md, _csv = report(WITHIN)
        self.assertEqual([b["kernel"] for b in doc["boots"]], ["traced", "untraced", "traced", "untraced"])
        self.assertEqual([b["runs"] for b in doc["boots"]], [2, 2, 2, 2])
        self.assertEqual(md.count("switched off (--no-ktrace)"), 2)
        self.assertEqual(md.count("this kernel has no kprobe events"), 2)

    def test_a_traced_kernel_three_times_slower_moves_beyond_noise(self):
        slow = [(k, s * 3 if k == "traced" else s, w) for k, s, w in WITHIN]
        _rc, doc, md, _csv = report(slow)
        self.assertEqual(doc["verdict"], "moves beyond noise")
        self.assertEqual(doc["beyond_noise"], 6)  # every bench figure; the boot times did not move
        self.assertIn("moves beyond noise on 6 of 8 figures", md)

    def test_no_boot_dirs_is_an_error(self):
        d = tempfile.mkdtemp(prefix="rvmig-tracing-cost-")
        try:
            msgs = []
            self.assertEqual(tracing_cost.run(d, msgs.append), 1)
            self.assertEqual(len(msgs), 1)
            self.assertFalse(os.path.exists(os.path.join(d, "report.md")))
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    sys.exit(run_module(__name__))
