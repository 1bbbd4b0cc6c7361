#!/usr/bin/env python3
# Unit tests of lab/report/ (stdlib unittest): the reports of each committed fixture (raw results of
# real lab runs, tests/report/fixtures/) must be the bytes the shell+jq writers made of them
# (fixtures/*/expected/), plus known values of the pure helpers. Prints "ok - name" / "not ok - name"
# per check for tests/run.sh. Runs in about a second; no timing is asserted.
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "lab"))

from report import __main__ as cli  # noqa: E402
from report import bench_data, bench_linux, bench_md, bench_regions, bench_verdicts, demo, jq, ktrace, ktrace_faults, ktrace_race, ktrace_scaling, migrate, perflog, plots, selftests, stats  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures")
# fixture -> the report command it was made by
FIXTURE_CMD = {"selftests": "selftests", "migrate": "migrate", "migrate-failures": "migrate",
               "bench": "bench", "bench-composed": "bench", "bench-regions": "bench", "bench-scaling": "bench",
               "default": "default", "demo": "demo"}
HAVE_GNUPLOT = shutil.which("gnuplot") is not None
# Fixtures whose expected/ came from lab/report/ itself (sections no shell writer had): regression checks.
NEW_FIXTURES = ("bench-regions", "bench-scaling")


def load(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class FixtureRun:
    """A fixture copied to a temporary directory (without expected/) and reported on once."""
    cache = {}

    @classmethod
    def of(cls, name):
        if name not in cls.cache:
            tmp = tempfile.mkdtemp(prefix="rvmig-report-test.")
            d = os.path.join(tmp, name)
            shutil.copytree(os.path.join(FIXTURES, name), d, ignore=shutil.ignore_patterns("expected"))
            msgs = []
            rc = cli.COMMANDS[FIXTURE_CMD[name]](d, msgs.append)
            cls.cache[name] = (tmp, d, rc, msgs)
        return cls.cache[name][1:]

    @classmethod
    def cleanup(cls):
        for tmp, *_ in cls.cache.values():
            shutil.rmtree(tmp, ignore_errors=True)


class SameBytes(unittest.TestCase):
    """Each output the old writer made on a fixture, byte for byte."""


def _same_bytes_test(name, out):
    def test(self):
        d, rc, _ = FixtureRun.of(name)
        self.assertFalse(rc)
        self.assertEqual(load(os.path.join(d, out)), load(os.path.join(FIXTURES, name, "expected", out)))
    test.__doc__ = "%s: %s is byte-identical to %s" % (
        name, out, "what lab/report made when the fixture was recorded" if name in NEW_FIXTURES else "the shell writer's")
    return test


for _name in FIXTURE_CMD:
    for _out in sorted(os.listdir(os.path.join(FIXTURES, _name, "expected"))):
        if _out != "plots.txt":
            setattr(SameBytes, "test_%s_%s" % (_name, _out), _same_bytes_test(_name, _out))


class Plots(unittest.TestCase):
    def _check(self, name):
        if not HAVE_GNUPLOT:
            self.skipTest("no gnuplot")
        d, _, _ = FixtureRun.of(name)
        want = load(os.path.join(FIXTURES, name, "expected", "plots.txt")).split()
        got = sorted(f for f in os.listdir(d) if f.endswith(".png"))
        self.assertEqual(got, sorted(want))
        for p in got:
            with open(os.path.join(d, p), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", p)
        for p in want:
            self.assertIn("![%s](%s)" % (p, p), load(os.path.join(d, "report.md")))

    def test_bench_plots(self):
        """bench: the same PNG files as the shell writer, listed in report.md"""
        self._check("bench")

    def test_regions_plots(self):
        """bench-regions (guest ABI 2): the log-linear latency CDF and the first-write-per-2M-region CDF"""
        self._check("bench-regions")

    def test_scaling_plots(self):
        """bench-scaling: the vCPU scaling plot (vcpu-scaling-1.png) next to the others"""
        self._check("bench-scaling")

    def test_composed_plots(self):
        """bench-composed: all six kinds of plot (CDF per backing, bars, sweep, migration rounds)"""
        self._check("bench-composed")


class JqSemantics(unittest.TestCase):
    def test_numbers(self):
        """jq.num prints numbers as jq 1.6 does"""
        cases = {1.0: "1", 1e-7: "1e-07", 0.0001: "0.0001", 1.5e300: "1.5e+300", 1e17: "1e+17", 0.1: "0.1",
                 -0.0: "-0", 12345678901234567890123.0: "12345678901234568000000", 37267.19726: "37267.19726"}
        for x, want in cases.items():
            self.assertEqual(jq.num(x), want, x)

    def test_round(self):
        """jq.c_round rounds halves away from zero (C round, not Python's)"""
        self.assertEqual([jq.c_round(x) for x in (0.5, 1.5, 2.5, -2.5, 0.49999999999999994)], [1, 2, 3, -3, 0])

    def test_csv_tsv(self):
        """@csv and @tsv cells: quoting, null, booleans"""
        self.assertEqual(jq.csv(["a\"b", None, True, 2.0, 0.25]), '"a""b",,true,2,0.25')
        self.assertEqual(jq.tsv(["a\tb", None, 1e-7]), "a\\tb\t\t1e-07")

    def test_order(self):
        """jq's ordering: null < false < true < numbers < strings; unique sorts"""
        self.assertEqual(jq.unique(["b", None, 2.0, "a", True, 2.0]), [None, True, 2.0, "a", "b"])

    def test_pretty(self):
        """pretty JSON: two spaces, empty containers inline, UTF-8 kept"""
        self.assertEqual(jq.pretty({"a": [], "b": {"c": 1.0}, "d": "é"}), '{\n  "a": [],\n  "b": {\n    "c": 1\n  },\n  "d": "é"\n}')


class Pure(unittest.TestCase):
    def test_median(self):
        """stats.median: odd, even, nulls left out, empty is null"""
        self.assertEqual(stats.median([3, 1, None, 2]), 2)
        self.assertEqual(stats.median([4, 1, 3, 2]), 2.5)
        self.assertIsNone(stats.median([None]))
        self.assertEqual(stats.summ([2, None, 1]), {"n": 2, "median": 1.5, "min": 1, "max": 2})

    def test_ktrace_counts(self):
        """ktrace: fault-path splits (flush=1) and ioctl steps that split (ret=1) counted apart, durations paired per thread"""
        trace = "\n".join([
            "# tracer: nop",
            "           rvmig-240     (    240) [000] d.... 10.000000: split: (kvm_riscv_gstage_split_huge+0x0/0x1a4) addr=0x80000000 level=0 flush=0",
            "           rvmig-240     (    240) [000] d.... 10.000010: split_ret: (mmu_split_huge_pages+0x5c/0x90 <- kvm_riscv_gstage_split_huge) ret=1",
            "           rvmig-240     (    240) [000] d.... 10.000020: split: (kvm_riscv_gstage_split_huge+0x0/0x1a4) addr=0x80200000 level=0 flush=0",
            "     rvmig-vcpu1-245     (    240) [001] d.... 10.000021: split: (kvm_riscv_gstage_split_huge+0x0/0x1a4) addr=0x80400000 level=0 flush=1",
            "           rvmig-240     (    240) [000] d.... 10.000022: split_ret: (mmu_split_huge_pages+0x5c/0x90 <- kvm_riscv_gstage_split_huge) ret=0",
            "     rvmig-vcpu1-245     (    240) [001] d.... 10.000121: split_ret: (kvm_riscv_gstage_map_page+0x1/0x2 <- kvm_riscv_gstage_split_huge) ret=0",
        ])
        c = ktrace.counts(ktrace.parse(trace), 0)
        self.assertEqual((c["vcpu_splits"], c["ioctl_splits"], c["ioctl_steps"], c["unpaired"], c["valid"]), (1, 1, 2, 0, True))
        self.assertAlmostEqual(c["vcpu_split_us"]["max"], 100.0, places=3)
        self.assertFalse(ktrace.counts(ktrace.parse(trace), 3)["valid"], "lost events make the run invalid")
        rows = ktrace.table({"h2m.Y.1": c, "h2m.N.1": dict(c, vcpu_splits=64)}, bench_data.split_label)
        md = "\n".join(ktrace.markdown(rows))
        self.assertIn("moved 63 of 64 split faults out of the vCPUs", md)
        # Per GiB: N's one 100 us split, over 64 split faults' 2M regions (0.125 GiB) = 0.8 ms per GiB.
        self.assertEqual(c["vcpu_split_ms_total"], 0.1)
        self.assertIn("- h2m: eager N 0.8 ms per GiB in the vCPUs (64 split faults, 0.125 GiB; each split p50 100 us);"
                      " eager Y 0.8 ms per GiB in the vCPUs, 0.1 ms per GiB in the ioctl (n = 1 and 1 runs).", md)
        self.assertEqual(ktrace.per_gib_lines(ktrace.table({"h2m.Y.1": c}, bench_data.split_label)), [],
                         "no eager N run: nothing to set per GiB")
        shows = "\n".join(ktrace.what_this_shows(rows))
        self.assertIn("2M backing: h2m 1 -> Y 1 in the vCPUs + 0 in the ioctl.", shows)
        self.assertNotIn("1G backing", shows, "no 1G->2M split in the N runs: not 1G backing")
        self.assertEqual(ktrace.what_this_shows(rows, {"h2m"}), [], "an oversubscribed case is left out")
        self.assertNotIn("per GiB in the vCPUs", "\n".join(ktrace.markdown(rows, apart={"h2m"})))

    def test_ktrace_levels(self):
        """ktrace: split counts per level from the page-table pages each split call took on its thread (1G->2M, 2M->4K)"""
        ev = lambda tid, ts, w: "%16s-%d     (    240) [000] d.... %.6f: %s" % ("rvmig-vcpu0", tid, ts, w)
        sp = lambda tid, ts, fl: ev(tid, ts, "split: (kvm_riscv_gstage_split_huge+0x0/0x1a4) addr=0x80000000 level=0 flush=%d" % fl)
        sr = lambda tid, ts, r: ev(tid, ts, "split_ret: (x+0x1/0x2 <- kvm_riscv_gstage_split_huge) ret=%d" % r)
        al = lambda tid, ts: ev(tid, ts, "alloc: (kvm_mmu_memory_cache_alloc+0x0/0x40)")
        trace = "\n".join([
            al(245, 0.5),                                                  # outside a split: not counted
            sp(245, 1.0, 1), al(245, 1.1), al(246, 1.15), al(245, 1.2), sr(245, 1.3, 0),  # 1G leaf: 1G->2M, 2M->4K
            sp(245, 2.0, 1), al(245, 2.1), sr(245, 2.2, 0),                # a 2M leaf of it: 2M->4K
            sp(240, 3.0, 0), al(240, 3.1), sr(240, 3.2, 1),                # ioctl: 2M->4K
            sp(240, 4.0, 0), sr(240, 4.2, 0),                              # ioctl step, nothing huge
        ])
        c = ktrace.counts(ktrace.parse(trace), 0)
        self.assertEqual((c["vcpu_levels"], c["ioctl_levels"], c["levels_seen"]),
                         ({"1G->2M": 1, "2M->4K": 2}, {"2M->4K": 1}, True))
        rows = ktrace.table({"h1g.N.1": c, "h1g.N.2": c}, bench_data.split_label)
        self.assertEqual(rows[0]["vcpu_levels"]["1G->2M"]["median"], 1)
        md = "\n".join(ktrace.markdown(rows))
        self.assertIn("| case | eager | vCPU 1G->2M | vCPU 2M->4K | ioctl 1G->2M | ioctl 2M->4K |", md)
        self.assertIn("| h1g | N | 1 | 2 | 0 | 1 |", md)
        self.assertNotIn("vCPU 1G->2M", "\n".join(ktrace.markdown(ktrace.table(
            {"h2m.N.1": ktrace.counts(ktrace.parse(trace.replace("alloc:", "x:")), 0)}, bench_data.split_label))),
            "no level table without the allocation probe")

    def test_bench_linux(self):
        """bench_linux: per eager setting, medians [min..max] over the runs that exited 0; splits only from valid traces"""
        kt = lambda v, i, ok=True: {"vcpu_splits": v, "ioctl_splits": i, "valid": ok}
        js = lambda ms, pages: {"dirty_log": {"enable_ms": ms, "pages_dirtied": pages, "dirty_pages_per_s": pages / 3}}
        runs = {"linux.Y.1": {"eager": "Y", "rc": 0, "json": js(130.0, 9000), "ktrace": kt(5, 120)},
                "linux.N.1": {"eager": "N", "rc": 0, "json": js(20.0, 20000), "ktrace": kt(60, 0)},
                "linux.N.2": {"eager": "N", "rc": 0, "json": js(24.0, 21000), "ktrace": kt(64, 0, ok=False)},
                "linux.N.3": {"eager": "N", "rc": 1, "json": js(99.0, 1), "ktrace": kt(1, 0)}}
        rows = bench_linux.summary(runs)
        self.assertEqual([r["eager"] for r in rows], ["Y", "N"])
        n = rows[1]
        self.assertEqual((n["runs"], n["ok_runs"], n["traced_runs"]), (3, 2, 1))
        self.assertEqual((n["enable_ms"]["min"], n["enable_ms"]["max"], n["vcpu_splits"]["median"]), (20.0, 24.0, 60))
        md = "\n".join(bench_linux.markdown(rows))
        self.assertIn("| N | 2 of 3 | 22.000 [20.000..24.000] | 60 [60..60] | 0 [0..0] |", md)

    def test_ktrace_faults(self):
        """ktrace_faults: pass write faults classed fast / slow / split by what ran inside mmu_map on that thread; phases from the marks; cancelled migration counted"""
        def ev(comm, tid, ts, what):
            return "%16s-%d     (    240) [000] d.... %.6f: %s" % (comm, tid, ts, what)
        mk = lambda ts, ph: ev("rvmig", 240, ts, "tracing_mark_write: rvmig phase " + ph)
        m = lambda tid, ts, w=1: ev("rvmig-vcpu0", tid, ts, "map: (kvm_riscv_mmu_map+0x0/0x2f4) w=%d" % w)
        mr = lambda tid, ts: ev("rvmig-vcpu0", tid, ts, "map_ret: (kvm_riscv_vcpu_exit+0x1/0x2 <- kvm_riscv_mmu_map) ret=0")
        mp = lambda tid, ts: ev("rvmig-vcpu0", tid, ts, "mapp: (kvm_riscv_gstage_map_page+0x0/0x1)")
        sp = lambda tid, ts, fl: ev("rvmig", tid, ts, "split: (kvm_riscv_gstage_split_huge+0x0/0x1a4) addr=0x80000000 level=0 flush=%d" % fl)
        sr = lambda tid, ts, r: ev("rvmig", tid, ts, "split_ret: (x+0x1/0x2 <- kvm_riscv_gstage_split_huge) ret=%d" % r)
        trace = "\n".join([
            m(245, 1.0, 0), mp(245, 1.1), mr(245, 1.2),            # boot: not counted
            mk(2.0, "enable"), sp(240, 2.1, 0), sr(240, 2.2, 1),   # one region split in the ioctl
            mk(3.0, "pass1"),
            m(245, 3.000000), mr(245, 3.000010),                   # fast, 10 us
            m(246, 3.000005), mp(246, 3.000006), sp(246, 3.000007, 1), sr(246, 3.000100, 1), mr(246, 3.000205),  # split, 200 us
            m(245, 3.1), mp(245, 3.100001), mr(245, 3.100050),     # slow, 50 us
            m(245, 3.2, 0), mr(245, 3.2001),                       # a read fault: not counted
            mk(4.0, "cancel"), mk(4.1, "offpass"), m(245, 4.2), mp(245, 4.21), mr(245, 4.22),
            mk(5.0, "reenable"), sp(240, 5.1, 0), sr(240, 5.2, 0),
        ])
        f = ktrace_faults.faults(ktrace.parse(trace))
        self.assertEqual({k: len(v) for k, v in f["kinds"].items()}, {"fast": 1, "slow": 1, "split": 1})
        self.assertAlmostEqual(f["kinds"]["split"][0], 200.0, places=3)
        self.assertEqual((f["pass_write_faults"], f["unpaired_maps"], f["has_phases"]), (3, 0, True))
        self.assertEqual(ktrace_faults.cancelled(f), {"huge_before": 2, "split_on_reenable": 0})
        s = ktrace_faults.run_summary(f)
        self.assertAlmostEqual(s["fault_ms_per_gib"], 0.26 / (3 * 4096 / 2**30), places=1)
        rows = ktrace_faults.table({"h2m.Y.1": f, "h2m.N.1": f}, {"h2m.Y.1": True, "h2m.N.1": False}, bench_data.split_label)
        self.assertEqual([(r["eager"], r["valid_runs"]) for r in rows], [("N", 0), ("Y", 1)])
        md = "\n".join(ktrace_faults.markdown(rows, " kvm_riscv_mmu_dirty_log_write_fault_fast"))
        self.assertIn("huge mappings left after a cancelled migration: 0 of 2", md)
        self.assertIn("no probe-able `kvm_riscv_mmu_dirty_log_write_fault_fast`", md)
        over = ktrace_faults.markdown(rows, "", {"h2m": 4}, 2)
        head = over.index("### Oversubscribed (more vCPUs than host cores or lab harts: 2 harts, ? cores)")
        self.assertEqual([l[:21] for l in over[head:] if l.startswith("| h2m")], ["| h2m (4 vCPUs) | N |", "| h2m (4 vCPUs) | Y |"])
        self.assertEqual([l for l in over[:head] if l.startswith("| h2m")], [], "4 vCPUs on 2 harts: not in the main table")
        self.assertEqual(len([l for l in ktrace_faults.markdown(rows, "", {"h2m": 4}, 4, 2) if l.startswith("| h2m (4 vCPUs)")]), 2,
                         "4 vCPUs on 4 harts but 2 host cores: oversubscribed too")
        self.assertNotIn("Oversubscribed", "\n".join(ktrace_faults.markdown(rows, "", {"h2m": 2}, 4, 2)))
        self.assertEqual(stats.pct_summ([3, 1, 2])["p50"], 2)
        pooled = ktrace_faults.pooled_us({"h2m.Y.1": f, "h2m.N.1": f}, {"h2m.Y.1": True, "h2m.N.1": True}, bench_data.split_label)
        self.assertEqual(sorted(len(v) for v in pooled.values()), [3, 3])
        cdf = plots.fault_cdf_data(list(range(1, 10001)), points=100).splitlines()
        self.assertEqual((len(cdf), cdf[-1]), (100, "10000 1"), "evenly spaced ranks, the largest kept")

    def test_ktrace_race(self):
        """ktrace_race: vCPU split faults from the enable to the first harvest, placed before / during / after the ioctl's split walk; a well-formed row per running run"""
        ev = lambda comm, tid, ts, w: "%16s-%d     (    240) [000] d.... %.6f: %s" % (comm, tid, ts, w)
        mk = lambda ts, ph: ev("rvmig", 240, ts, "tracing_mark_write: rvmig phase " + ph)
        sp = lambda tid, ts, fl: ev("rvmig", tid, ts, "split: (kvm_riscv_gstage_split_huge+0x0/0x1a4) addr=0x80000000 level=0 flush=%d" % fl)
        sr = lambda tid, ts, r: ev("rvmig", tid, ts, "split_ret: (x+0x1/0x2 <- kvm_riscv_gstage_split_huge) ret=%d" % r)
        trace = "\n".join([
            sp(245, 1.0, 1), sr(245, 1.1, 0),                          # boot: outside the window
            mk(2.0, "enable"), sp(245, 2.05, 1), sr(245, 2.06, 0),     # before the walk
            sp(240, 2.1, 0), sr(240, 2.11, 1), sp(246, 2.12, 1), sr(246, 2.13, 0),  # during
            sp(240, 2.2, 0), sr(240, 2.21, 1),
            mk(3.0, "pass1"), sp(245, 3.1, 1), sr(245, 3.2, 0),        # after
            mk(4.0, "harvest1"), sp(245, 4.1, 1), sr(245, 4.2, 0),     # outside the window
        ])
        r = ktrace_race.race(ktrace.parse(trace))
        self.assertEqual({k: r[k] for k in ("vcpu_splits", "before", "during", "after", "ioctl_splits")},
                         {"vcpu_splits": 3, "before": 1, "during": 1, "after": 1, "ioctl_splits": 2})
        self.assertAlmostEqual(r["walk_ms"], 110.0, places=3)
        self.assertIsNone(ktrace_race.race(ktrace.parse(sp(245, 1.0, 1))), "no enable mark: no race figure")
        md = ktrace_race.markdown({"h2m-run.Y.1": r, "h2m-park.Y.1": r}, {"h2m-run.Y.1": True}, bench_data.split_label)
        rows = [l for l in md if l.startswith("| h2m")]
        self.assertEqual(rows, ["| h2m-run rep 1 | Y | 3 | 1 | 1 | 1 | 2 | 110.00 | -50.00 20.00 1000.00 |"])
        self.assertTrue(all(l.count("|") == 10 for l in md if l.startswith("|")), "every row has the header's 9 cells")
        self.assertEqual(ktrace_race.markdown({"h2m-park.Y.1": r}, {}, bench_data.split_label), [], "no running run: no section")

    def test_ktrace_write_hold(self):
        """ktrace_faults: the mmu_lock write hold of slow and split faults is map_page's duration on the fault's thread (a lower bound)"""
        ev = lambda tid, ts, w: "%16s-%d     (    240) [000] d.... %.6f: %s" % ("rvmig-vcpu0", tid, ts, w)
        trace = "\n".join([
            ev(240, 1.0, "tracing_mark_write: rvmig phase pass1"),
            ev(245, 2.000000, "map: (kvm_riscv_mmu_map+0x0/0x2f4) w=1"), ev(245, 2.000050, "mapp: (kvm_riscv_gstage_map_page+0x0/0x1)"),
            ev(245, 2.000060, "split: (kvm_riscv_gstage_split_huge+0x0/0x1a4) addr=0x80000000 level=0 flush=1"),
            ev(245, 2.000090, "split_ret: (x+0x1/0x2 <- kvm_riscv_gstage_split_huge) ret=0"),
            ev(245, 2.000100, "mapp_ret: (x+0x1/0x2 <- kvm_riscv_gstage_map_page)"),
            ev(245, 2.000120, "map_ret: (x+0x1/0x2 <- kvm_riscv_mmu_map) ret=0"),
            ev(245, 3.000000, "map: (kvm_riscv_mmu_map+0x0/0x2f4) w=1"), ev(245, 3.000010, "map_ret: (x <- kvm_riscv_mmu_map) ret=0"),
        ])
        f = ktrace_faults.faults(ktrace.parse(trace))
        self.assertEqual(len(f["hold_us"]["split"]), 1)
        self.assertAlmostEqual(f["hold_us"]["split"][0], 50.0, places=3)
        self.assertEqual(f["hold_us"]["slow"], [], "a fast fault holds no write lock")
        rows = ktrace_faults.table({"h2m.N.1": f}, {"h2m.N.1": True}, bench_data.split_label)
        self.assertEqual(rows[0]["write_hold_us_lower_bound"]["split"]["p50"], 50.0)
        md = [l for l in ktrace_faults.markdown(rows) if l.startswith("| h2m")]
        self.assertEqual(md[0].split(" | ")[6], "1: 50 / 50 / 50 / 50 / 50", "the hold next to the split faults")

    def test_ktrace_scaling(self):
        """ktrace_scaling: per N vCPUs and eager setting, mmu_lock waits (qrwlock slow-path probes) and faults under another vCPU's write hold; 4 vCPUs on 2 host cores in the oversubscribed table only"""
        ev = lambda tid, ts, w: "%16s-%d     (    240) [000] d.... %.6f: %s" % ("rvmig-vcpu0", tid, ts, w)

        def trace(tids, eager):
            lines = [ev(240, 1.0, "tracing_mark_write: rvmig phase pass1")]
            a = tids[0]
            if eager == "N":  # a split fault on the first vCPU: map_page (the write hold) 2.000010 .. 2.000100
                lines += [ev(a, 2.000000, "map: (kvm_riscv_mmu_map+0x0/0x2f4) w=1"),
                          ev(a, 2.000010, "mapp: (kvm_riscv_gstage_map_page+0x0/0x1)"),
                          ev(a, 2.000020, "split: (kvm_riscv_gstage_split_huge+0x0/0x1a4) addr=0x80000000 level=0 flush=1"),
                          ev(a, 2.000080, "split_ret: (x+0x1/0x2 <- kvm_riscv_gstage_split_huge) ret=0"),
                          ev(a, 2.000100, "mapp_ret: (x+0x1/0x2 <- kvm_riscv_gstage_map_page)"),
                          ev(a, 2.000120, "map_ret: (x+0x1/0x2 <- kvm_riscv_mmu_map) ret=0")]
            for t in tids[1:] if eager == "N" else []:  # every other vCPU: a fast fault waiting 45 us in read_lock's slow path
                lines += [ev(t, 2.000050, "map: (kvm_riscv_mmu_map+0x0/0x2f4) w=1"),
                          ev(t, 2.000055, "rlk: (queued_read_lock_slowpath+0x0/0xd8)"),
                          ev(t, 2.000100, "rlk_ret: (x+0x1/0x2 <- queued_read_lock_slowpath)"),
                          ev(t, 2.000110, "map_ret: (x+0x1/0x2 <- kvm_riscv_mmu_map) ret=0")]
            for t in tids:  # and one fast fault each, alone
                lines += [ev(t, 3.0 + t / 1e3, "map: (kvm_riscv_mmu_map+0x0/0x2f4) w=1"),
                          ev(t, 3.00001 + t / 1e3, "map_ret: (x+0x1/0x2 <- kvm_riscv_mmu_map) ret=0")]
            return ktrace_faults.faults(ktrace.parse("\n".join(sorted(lines, key=lambda l: float(l.split()[5][:-1])))))

        tids = {"v1": [301], "v2": [301, 302], "v4": [301, 302, 303, 304], "big": [301, 302]}
        per_tag = {"%s.%s.%d" % (c, e, r): trace(t, e) for c, t in tids.items() for e in "YN" for r in (1, 2)}
        valid = {t: True for t in per_tag}
        params = {c: {"vcpus": len(t), "backing": "hugetlb-2M", "dirty": "manual", "mem_mib": 64 if c != "big" else 128}
                  for c, t in tids.items()}
        rows = ktrace_scaling.table(per_tag, valid, bench_data.split_label, params, True, 4, 2)
        got = {(r["vcpus"], r["eager"]): (r["oversubscribed"], r["valid_runs"], r["figures"]["waiting_faults"]["median"],
                                          r["figures"]["under_hold"]["median"], r["figures"]["splits"]["median"])
               for r in rows}
        self.assertEqual(got, {(1, "Y"): (False, 2, 0, 0, 0), (1, "N"): (False, 2, 0, 0, 1),
                               (2, "Y"): (False, 2, 0, 0, 0), (2, "N"): (False, 2, 1, 1, 1),
                               (4, "Y"): (True, 2, 0, 0, 0), (4, "N"): (True, 2, 3, 3, 1)},
                         "128 MiB has one vCPU count only: no series")
        n2 = next(r for r in rows if (r["vcpus"], r["eager"]) == (2, "N"))["figures"]
        self.assertAlmostEqual(n2["wait_ms"]["median"], 0.045, places=6)
        self.assertAlmostEqual(n2["overlap_ms"]["median"], 0.05, places=6)
        self.assertEqual((n2["wait_p50"]["median"], n2["hold_p50"]["median"]), (45.0, 90.0))
        md = ktrace_scaling.markdown(rows, 4, 2, True)
        head = md.index("### Oversubscribed (more vCPUs than host cores or lab harts)")
        cells = lambda ls: [tuple(c.strip() for c in l.split("|")[2:4]) for l in ls if l.startswith("| hugetlb-2M")]
        self.assertEqual(cells(md[:head]), [("1", "Y"), ("1", "N"), ("2", "Y"), ("2", "N")])
        self.assertEqual(cells(md[head:]), [("4", "Y"), ("4", "N")])
        self.assertIn("runs). The lab had 4 emulated harts on 2 host cores.", md)
        self.assertTrue(all(l.count("|") == 16 for l in md if l.startswith("|")), "every row has the header's 15 cells")
        text = ktrace_scaling.what_it_shows(rows)
        self.assertIn("eager N: 1 vCPU 0.000 ms, 2 vCPUs 0.045 ms; eager Y: 1 vCPU 0.000 ms, 2 vCPUs 0.000 ms", text)
        self.assertIn("beyond the run-to-run spread (every run above every run of the smallest N) in: hugetlb-2M manual 64 MiB"
                      " with 2 vCPUs.", text)
        one = [dict(r, figures=dict(r["figures"], wait_ms=dict(r["figures"]["wait_ms"], n=1))) for r in rows]
        self.assertIn("no effect of N is shown at this n", ktrace_scaling.what_it_shows(one), "one run a cell: no spread, no claim")
        self.assertNotIn("4 vCPUs", text, "the oversubscribed case is not read")
        data, index = plots.scaling_data(rows, "hugetlb-2M manual 64 MiB")
        self.assertEqual(len(data.split("\n\n")), len(index))
        self.assertEqual(sorted({(p, over) for _i, p, _t, _e, over in index}),
                         [("ms", False), ("ms", True), ("us", False), ("us", True)])
        self.assertEqual(ktrace_scaling.table(per_tag, valid, bench_data.split_label, params, True, 4, None)[-1]["oversubscribed"],
                         False, "4 vCPUs on 4 harts, host cores unknown: not oversubscribed")

    def test_ktrace_real(self):
        """ktrace on real lab traces (hugetlb-2M 128M and hugetlb-1G 1G, manual): N splits every 2M region in a vCPU, Y all in ioctl"""
        d = os.path.join(FIXTURES, "ktrace")
        c = {t: ktrace.counts(ktrace.parse(load(os.path.join(d, t + ".ktrace"))), int(load(os.path.join(d, t + ".ktrace.lost"))))
             for t in ("h2m-manual.N.1", "h2m-manual.Y.1", "h1g-manual.N.1")}
        got = {t: (x["vcpu_splits"], x["ioctl_splits"], x["valid"]) for t, x in c.items()}
        self.assertEqual(got, {"h2m-manual.N.1": (64, 0, True), "h2m-manual.Y.1": (0, 64, True), "h1g-manual.N.1": (512, 0, True)})

    def test_perflog(self):
        """perflog: figure names and seconds as the test printed them"""
        text = "Populate memory time: 0.026476000s\nIteration 2  get dirty log time: 0.000055200s\nGet dirty log over 2 iterations took 0.1s.\n"
        self.assertEqual(perflog.figures(text), [("Populate memory", "0.026476000"), ("Iteration 2 get dirty log", "0.000055200")])

    def test_selftests_values(self):
        """selftests fixture: 192 figures, a Y/N table per backing and mode"""
        d, _, _ = FixtureRun.of("selftests")
        csv_text = load(os.path.join(d, "selftests.csv"))
        self.assertEqual(len(selftests.rows(csv_text)), 192)
        md = load(os.path.join(d, "report.md"))
        self.assertEqual(md.count("\n## "), 6)
        self.assertEqual(len(json.loads(load(os.path.join(d, "selftests.json")))), 192)

    def test_migrate_failed_row(self):
        """migrate: a killed migration is FAILED with its error, no downtime ("-"), csv null"""
        m = json.loads(load(os.path.join(FIXTURES, "migrate-failures", "migrate-kill.json")), parse_int=float)
        row = migrate.md_row(m)
        self.assertIn("| FAILED: sending round 0: peer closed the stream (write: Broken pipe) |", row)
        self.assertIn("| not verified |", row)
        self.assertEqual(migrate.csv_row(m)[10], None)

    def test_migrate_repeat_and_stages(self):
        """migrate --repeat: downtime median/min/max, runs within the limit, traffic ratio; stage table"""
        def mig(down, within, resent):
            rounds = [{"round": 0.0, "stop_and_copy": False, "pages_sent": 65536.0, "copy_ms": 900.0,
                       "zero_scan_ms": 100.0, "encode_ms": 300.0, "socket_ms": 400.0, "throttle_ms": 90.0},
                      {"round": 1.0, "stop_and_copy": True, "pages_sent": resent, "copy_ms": 9.0,
                       "zero_scan_ms": 1.0, "encode_ms": 2.0, "socket_ms": 5.0, "throttle_ms": 0.0}]
            sent = (65536 + resent) * 4108.0
            return {"ok": True, "params": {"mem_bytes": 268435456.0, "downtime_limit_ms": 300.0, "backing": "hugetlb-2M",
                                           "dirty": "manual"},
                    "rounds": rounds, "total": {"converged": True, "downtime_ms": down, "downtime_within_limit": within,
                                                "bytes_sent": sent, "downtime_with_verify_ms": down + 100}}
        ms = [mig(100.0, True, 100.0), mig(400.0, False, 300.0), mig(200.0, True, 200.0)]
        md = "\n".join(migrate.repeat_md(ms))
        self.assertIn("3 times (--repeat 3)", md)
        self.assertIn("n=3: median 200 ms, min 100, max 400; met --downtime-limit 300 ms in 2 of 3 runs (66.7 %)", md)
        self.assertIn("traffic / (RAM + pages resent), n=3: median 1.003, min 1.003, max 1.003; within 1.1x in 3 of 3", md)
        dest = {"round_stats": [{"round": 1.0, "read_ms": 3.0, "check_ms": 1.5, "apply_ms": 0.25}]}
        rows = [r for r in migrate.stage_md(ms[:1], [dest]) if r.startswith("| hugetlb-2M")]
        self.assertEqual(rows, ["| hugetlb-2M | manual | 0 | 65536 | 900 | 100 | 300 | 400 | 90 | - | - | - | - | - |",
                                "| hugetlb-2M | manual | 1 stop-and-copy | 100 | 9 | 1 | 2 | 5 | 0 | - | - | 3 | 1.5 | 0.3 |"])
        self.assertEqual(migrate.stage_md([{"rounds": [{"round": 0.0}]}], [None]), [])
        dests = [{"pages_received": 65636.0, "zero_pages": 0.0}, None, {"pages_received": 1.0}]
        md = "\n".join(migrate.repeat_md(ms, dests))
        self.assertIn("traffic / page data sent (pages less zero pages, as the destination counted them), n=1: "
                      "median 1.003, min 1.003, max 1.003", md)

    def test_bench_stream_probe(self):
        """bench: memcpy, XXH64 and the stream probe side by side, % of memcpy per run; nothing without the probe"""
        runs = [{"memcpy": {"calib_gib_per_s": 1.0, "xxh64_gib_per_s": 1.5, "stream_gib_per_s": s}} for s in (0.25, 0.5, 0.75)]
        md = "\n".join(bench_md._stream_probe(runs))
        self.assertIn("(n=3 runs", md)
        self.assertIn("| memcpy | 1024 [1024..1024] | 100 |", md)
        self.assertIn("| 1536 [1536..1536] | 150 [150..150] |", md)
        self.assertIn("| 512 [256..768] | 50 [25..75] |", md)
        self.assertIn("(reported, not asserted): met on the median", md)
        self.assertEqual(bench_md._stream_probe([{"memcpy": {"calib_gib_per_s": 1.0}}]), [])
        self.assertNotIn("same buffers", md)

    def test_bench_stream_probe_same_buffers(self):
        """bench: the probe's own memcpy, socket and XXH64 next to the stream, its share of memcpy and of the socket"""
        runs = [{"memcpy": {"calib_gib_per_s": 1.0, "xxh64_gib_per_s": 1.5, "stream_gib_per_s": s,
                            "probe_memcpy_gib_per_s": 0.25, "probe_xxh64_gib_per_s": 1.0, "probe_socket_gib_per_s": 0.5}}
                for s in (0.05, 0.1, 0.15)]
        md = "\n".join(bench_md._stream_probe(runs))
        self.assertIn("same call", md)
        self.assertIn("| memcpy src -> dst | 256 [256..256] | 100 [100..100] | 50 [50..50] |", md)
        self.assertIn("| socketpair alone (1 MiB writes and reads, no records) | 512 [512..512] | 200 [200..200] | 100 [100..100] |", md)
        self.assertIn("| XXH64 alone over src | 1024 [1024..1024] | 400 [400..400] | 200 [200..200] |", md)
        self.assertIn("| stop-and-copy stream (landing in dst) | 102 [51.2..154] | 40 [20..60] | 20 [10..30] |", md)
        self.assertIn("n=3 runs, median [min..max]", md)
        self.assertIn("at 40 [20..60] % of memcpy over the same buffers and at 20 [10..30] % of the socket's ceiling", md)
        self.assertNotIn("pipelined", md)  # runs from before the pipelined probe: no row
        for r in runs:
            r["memcpy"]["stream_pipe_gib_per_s"] = 0.2
        md = "\n".join(bench_md._stream_probe(runs))
        self.assertIn("| the same stream, pipelined (sender and checker threads) | 205 [205..205] | 80 [80..80] | 40 [40..40] |", md)

    def test_bench_stream_probe_shm(self):
        """bench: the bare socket and the stream over the shm ring in the probe table; the target judges the shm
        stream and names the socket's figure next to it"""
        runs = [{"memcpy": {"calib_gib_per_s": 1.0, "xxh64_gib_per_s": 1.5, "stream_gib_per_s": 0.1,
                            "probe_memcpy_gib_per_s": 0.5, "probe_xxh64_gib_per_s": 1.0, "probe_socket_gib_per_s": 0.125,
                            "probe_shm_stream_gib_per_s": s}} for s in (0.5, 0.6, 0.7)]
        md = "\n".join(bench_md._stream_probe(runs))
        self.assertIn("| socketpair alone (no records) | 128 [128..128] | 12.5 [12.5..12.5] |", md)
        self.assertIn("| stop-and-copy stream (zero-copy writer, reader thread checking and landing in dst, socketpair) "
                      "| 102 [102..102] | 10 [10..10] |", md)
        self.assertIn("| the same stream over the shared-memory ring (`migrate --link shm`) | 614 [512..717] | 60 [50..70] |", md)
        self.assertIn("judged on the shm ring: met on the median (60 %; over the socket 10 %)", md)
        self.assertIn("| the same stream over the shared-memory ring (landing in dst) | 614 [512..717] | 120 [100..140] |", md)
        self.assertIn("Over the shared-memory ring it ran at 120 [100..140] % of memcpy over the same buffers.", md)
        for r in runs:
            r["memcpy"]["probe_shm_stream_gib_per_s"] = 0.3
        md = "\n".join(bench_md._stream_probe(runs))
        self.assertIn("judged on the shm ring: NOT met on the median (30 %; over the socket 10 %).", md)
        self.assertNotIn("ring alone", md)  # runs from before the ring alone: no row, no why
        self.assertIn("Probes of the same size, back to back", md)  # no buffer_bytes: no size claimed
        for r in runs:
            r["memcpy"]["buffer_bytes"] = 16 << 20  # a 16 MiB guest: the probes' buffer is its size
        self.assertIn("Probes of 16 MiB each, back to back", "\n".join(bench_md._stream_probe(runs)))

    def test_bench_stream_probe_ring(self):
        """bench: the bare shm ring next to the bare socket, right before the shm stream, in both tables; when the
        target is NOT met the ring's share of memcpy says why, and names a cause only when every run agrees"""
        runs = [{"memcpy": {"calib_gib_per_s": 1.0, "xxh64_gib_per_s": 1.5, "stream_gib_per_s": 0.1,
                            "probe_memcpy_gib_per_s": 0.5, "probe_xxh64_gib_per_s": 1.0, "probe_socket_gib_per_s": 0.125,
                            "probe_ring_gib_per_s": g, "probe_shm_stream_gib_per_s": 0.3}} for g in (0.4, 0.45, 0.49)]
        lines = bench_md._stream_probe(runs)
        md = "\n".join(lines)
        ring = "| shm ring alone (no records) | 461 [410..502] | 45 [40..49] |"
        self.assertIn(ring, lines)
        self.assertTrue(lines[lines.index(ring) + 1].startswith("| the same stream over the shared-memory ring (`migrate --link shm`) |"))
        self.assertIn("judged on the shm ring: NOT met on the median (30 %; over the socket 10 %). The ring alone, without "
                      "records or checksum, carried 45 [40..49] % of memcpy (median [min..max], n=3): the two copies it "
                      "needs (the writer's in, the reader's out) are its ceiling here, already under 50 %; the stream adds "
                      "a checksum pass on each side.", md)
        same = "| shm ring alone (1 MiB writes and reads, no records) | 461 [410..502] | 90 [80..98] | 360 [320..392] |"
        self.assertIn(same, lines)
        self.assertTrue(lines[lines.index(same) + 1].startswith("| the same stream over the shared-memory ring (landing in dst) |"))
        self.assertIn("The ring alone (no records) carried 90 [80..98] % of memcpy over the same buffers.", md)
        # Runs on both sides of 50 %: no cause named (a median over a wide spread says neither).
        for r, g in zip(runs, (0.3, 0.6, 0.7)):
            r["memcpy"]["probe_ring_gib_per_s"] = g
        md = "\n".join(bench_md._stream_probe(runs))
        self.assertIn("carried 60 [30..70] % of memcpy (median [min..max], n=3): its runs fall on both sides of 50 %", md)
        self.assertNotIn("are its ceiling", md)
        self.assertNotIn("the ring leaves room", md)
        # A ring that leaves room in every run: the why says so rather than blaming the copies.
        for r in runs:
            r["memcpy"]["probe_ring_gib_per_s"] = 0.75
        md = "\n".join(bench_md._stream_probe(runs))
        self.assertIn("carried 75 [75..75] % of memcpy (median [min..max], n=3): the ring leaves room, so what falls "
                      "short is what the stream adds (its records and a checksum pass on each side).", md)
        # A failed ring probe (0) shows in its row, as the socket's does, but the why counts only runs that measured it.
        runs[0]["memcpy"]["probe_ring_gib_per_s"] = 0
        md = "\n".join(bench_md._stream_probe(runs))
        self.assertIn("| shm ring alone (no records) | 768 [0..768] | 75 [0..75] |", md)
        self.assertIn("carried 75 [75..75] % of memcpy (median [min..max], n=2): the ring leaves room", md)
        for r in runs:
            r["memcpy"]["probe_ring_gib_per_s"] = 0
        md = "\n".join(bench_md._stream_probe(runs))
        self.assertIn("| shm ring alone (no records) |", md)
        self.assertNotIn("without records or checksum", md)
        # Met: no why, the row stays.
        for r in runs:
            r["memcpy"]["probe_ring_gib_per_s"] = 0.9
            r["memcpy"]["probe_shm_stream_gib_per_s"] = 0.6
        md = "\n".join(bench_md._stream_probe(runs))
        self.assertIn("judged on the shm ring: met on the median (60 %; over the socket 10 %).", md)
        self.assertIn("| shm ring alone (no records) | 922 [922..922] | 90 [90..90] |", md)
        self.assertNotIn("without records or checksum", md)

    def test_bench_migration_link(self):
        """bench section 7: the migration names its link (socket for runs from before --link)"""
        m = {"params": {"dirty": "manual", "backing": "hugetlb-2M", "mem_bytes": 268435456, "vcpus": 2, "link": "shm"},
             "rounds": [{"round": 0, "stop_and_copy": True, "bandwidth_Bps": 1048576.0}], "total": {}}
        self.assertIn("stream over the shared-memory ring (--link shm)", bench_md._migration([], m, [])[0])
        del m["params"]["link"]
        self.assertIn("stream over the socket)", bench_md._migration([], m, [])[0])

    def test_bench_values(self):
        """bench fixture: known medians and ratios, well-formed bench.json and bench.csv"""
        d, _, msgs = FixtureRun.of("bench")
        doc = json.loads(load(os.path.join(d, "bench.json")))
        y = next(c for c in doc["summary"] if c["eager"] == "Y")
        self.assertEqual(y["figures"]["enable_ms"]["median"], 4.2628)
        self.assertEqual(round(doc["ratios"][0]["ratios"]["first_clear_ms"], 2), 14.63)
        self.assertEqual(len(doc["rvmig_vs_perf_test"]), 8)
        rows = list(csv.reader(io.StringIO(load(os.path.join(d, "bench.csv")))))
        self.assertTrue(all(len(r) == 12 for r in rows))
        self.assertTrue(any("2 rvmig runs, 2 perf-test runs" in m for m in msgs))

    def test_bench_regions_values(self):
        """bench-regions (a real lab run, guest ABI 2): 7 first writes into a 2M region per run (the 16M slot's work
        area), classes adding up to the first writes, the figures in bench.csv, section 2d in report.md"""
        d, _, _ = FixtureRun.of("bench-regions")
        doc = json.loads(load(os.path.join(d, "bench.json")))
        for r in doc["raw"]["rvmig"]:
            p = r["passes"][0]
            c = p["first_write_classes"]
            self.assertEqual(c["first_in_2m"]["count"], 7)
            self.assertEqual(c["other"]["count"] + c["first_in_2m"]["count"], p["first_writes"])
            self.assertEqual(sum(b[2] for b in p["first_write_hist"]["buckets"]), p["first_writes"])
            self.assertTrue(all(b[0] < b[1] for b in p["first_write_hist"]["buckets"]))
        n = next(c for c in doc["summary"] if c["eager"] == "N")
        self.assertEqual(n["figures"]["pass1_first2m_n"]["median"], 7)
        self.assertEqual(n["figures"]["pass1_first2m_p50_us"]["median"], 203.15)
        rows = list(csv.reader(io.StringIO(load(os.path.join(d, "bench.csv")))))
        self.assertEqual(len([r for r in rows if r[7] == "pass1_first2m_p50_us"]), 2)
        md = load(os.path.join(d, "report.md"))
        self.assertIn("## 2d. The first write into each 2M / 1G region", md)
        self.assertIn("from a single run of a setting: not conclusive", md)

    def test_bench_scaling_fixture(self):
        """bench-scaling (a real lab run: 4 emulated harts on 2 host cores, kprobe traces trimmed to 120 pass faults):
        2 vCPUs in the main tables of 2c and 2f, 4 vCPUs only in their oversubscribed tables; the counts"""
        d, rc, _ = FixtureRun.of("bench-scaling")
        self.assertFalse(rc)
        md = load(os.path.join(d, "report.md"))
        self.assertIn("the lab's 4 emulated harts on 2 host cores (more emulated harts than host cores", md)
        sec = lambda name: md.split("\n## " + name)[1].split("\n## ")[0]
        first = lambda text: [" | ".join(c.strip() for c in l.split("|")[1:3]) for l in text.split("\n") if l.startswith("| h")]
        main, over = sec("2c.").split("### Oversubscribed")
        self.assertEqual(first(main), ["h2m-manual-v2 | N", "h2m-manual-v2 | Y"])
        self.assertEqual(first(over), ["h2m-manual-v4 (4 vCPUs) | N", "h2m-manual-v4 (4 vCPUs) | Y"])
        self.assertNotIn("h2m-manual-v4", sec("2c.").split("What eager splitting removes")[-1], "no per-GiB line from it")
        main, over = sec("2f.").split("### Oversubscribed")
        self.assertEqual(first(main), ["hugetlb-2M manual 64 MiB | 2", "hugetlb-2M manual 64 MiB | 2"])
        self.assertEqual(first(over), ["hugetlb-2M manual 64 MiB | 4", "hugetlb-2M manual 64 MiB | 4"])
        doc = json.loads(load(os.path.join(d, "bench.json")))
        sc = doc["ktrace"]["scaling"]
        self.assertEqual((sc["lab_harts"], sc["host_cores"], sc["mmu_lock_waits_probed"]), (4, 2, True))
        got = [(r["vcpus"], r["eager"], r["oversubscribed"], r["valid_runs"], r["figures"]["splits"]["median"],
                r["figures"]["waiting_faults"]["median"], r["figures"]["under_hold"]["median"]) for r in sc["rows"]]
        self.assertEqual(got, [(2, "Y", False, 1, 0, 0, 0), (2, "N", False, 1, 4, 2, 2),
                               (4, "Y", True, 1, 0, 0, 0), (4, "N", True, 1, 5, 3, 3)])
        runs = {t: (c["vcpu_splits"], c["ioctl_splits"], c["valid"]) for t, c in doc["ktrace"]["runs"].items()}
        self.assertEqual(runs, {"h2m-manual-v2.N.1": (4, 0, True), "h2m-manual-v2.Y.1": (0, 32, True),
                                "h2m-manual-v4.N.1": (5, 0, True), "h2m-manual-v4.Y.2": (0, 32, True)},
                         "N: the split faults of the 120 faults kept; Y: all 32 regions split in the enable")

    def test_bench_failed_contended(self):
        """bench-composed: the failed run is counted apart, the contended one is flagged"""
        d, _, _ = FixtureRun.of("bench-composed")
        doc = json.loads(load(os.path.join(d, "bench.json")))
        failed = {(c["case"], c["eager"]): c["failed"] for c in doc["summary"]}
        self.assertEqual(failed[("h1g-manual", "Y")], 1)
        self.assertEqual(sum(c["contended"] for c in doc["summary"]), 1)
        md = load(os.path.join(d, "report.md"))
        self.assertIn("- 1 rvmig run(s) FAILED and count nowhere above: h1g-manual.Y.2:", md)

    def test_verdicts(self):
        """verdicts: the 0.67x..1.5x noise band and the number formats"""
        self.assertIn("noise band", bench_verdicts.verdict(1.2))
        self.assertIn("higher with eager split", bench_verdicts.verdict(1.5))
        self.assertIn("lower with eager split", bench_verdicts.verdict(0.67))
        self.assertEqual([bench_verdicts.fmt(x) for x in (123.6, 1.234, 0.012345, 0.00012345, None)],
                         ["124", "1.23", "0.0123", "0.0001235", "-"])
        self.assertEqual(bench_verdicts.cell({"n": 2, "median": 1.5, "min": 1, "max": 2}), "1.5 [1..2] n=2")

    def test_migrate_cut_file(self):
        """migrate: a migrate-*.json cut short is named and left out, the other rows are made"""
        with tempfile.TemporaryDirectory() as tmp:
            d = os.path.join(tmp, "x")
            shutil.copytree(os.path.join(FIXTURES, "migrate"), d, ignore=shutil.ignore_patterns("expected"))
            with open(os.path.join(d, "migrate-zz-cut.json"), "w") as f:
                f.write('{"tool": "rvmig mig')
            msgs = []
            cli.run_migrate(d, msgs.append)
            self.assertEqual(load(os.path.join(d, "migrate.csv")), load(os.path.join(FIXTURES, "migrate", "expected", "migrate.csv")))
            self.assertIn("migrate: migrate-zz-cut.json is not a JSON object, left out", msgs)

    def test_entry_point(self):
        """lab/report.sh selftests <dir> (what run.sh calls) writes the report"""
        with tempfile.TemporaryDirectory() as tmp:
            d = os.path.join(tmp, "x")
            shutil.copytree(os.path.join(FIXTURES, "selftests"), d, ignore=shutil.ignore_patterns("expected"))
            p = subprocess.run([os.path.join(HERE, "..", "..", "lab", "report.sh"), "selftests", d],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stderr, "rvmig: selftests: 192 figures in selftests.csv, report.md\n")
            self.assertEqual(load(os.path.join(d, "report.md")), load(os.path.join(FIXTURES, "selftests", "expected", "report.md")))
            self.assertFalse(os.path.exists(os.path.join(HERE, "..", "..", "lab", "report", "__pycache__")))

    def test_bench_without_gnuplot(self):
        """bench without gnuplot: no PNG, each plot named as failed, report.md says so"""
        with tempfile.TemporaryDirectory() as tmp:
            d = os.path.join(tmp, "x")
            shutil.copytree(os.path.join(FIXTURES, "bench"), d, ignore=shutil.ignore_patterns("expected"))
            msgs, path = [], os.environ.get("PATH", "")
            os.environ["PATH"] = tmp
            try:
                rc = cli.run_bench(d, msgs.append)
            finally:
                os.environ["PATH"] = path
            self.assertEqual(rc, 0)
            self.assertEqual([f for f in os.listdir(d) if f.endswith(".png")], [])
            self.assertIn("## Plots\n\nNone (gnuplot missing or no data).\n", load(os.path.join(d, "report.md")))
            self.assertIn("report-bench: plot enable-clear failed: ", msgs)

    def test_from_line(self):
        """demo: from_line is sed -n '/^PREFIX/,$p': from the first match to the end, lines newline-ended"""
        self.assertEqual(demo.from_line("a\nrvmig run: x\nb\nrvmig run: y", "rvmig run:"), "rvmig run: x\nb\nrvmig run: y\n")
        self.assertEqual(demo.from_line("a\n rvmig run:\n", "rvmig run:"), "")
        self.assertEqual(demo.from_line(None, "rvmig run:"), "")

    def _default_dir(self, tmp, files):
        d = os.path.join(tmp, "x")
        os.mkdir(d)
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        return d

    def test_default_partial(self):
        """default: migrate never ran (no migrate.txt, no status): its section is empty, its status blank"""
        with tempfile.TemporaryDirectory() as tmp:
            d = self._default_dir(tmp, {"demo.txt": "boot\nrvmig run: 2 vCPUs\nok\n", "demo.status": "1\n",
                                        "env.json": '{"eager_page_split": "N"}'})
            cli.run_default(d, [].append)
            md = load(os.path.join(d, "report.md"))
            self.assertIn("eager_page_split=N. ", md)
            self.assertIn("## rvmig run --dirty-log (exit status 1)\n\n```\nrvmig run: 2 vCPUs\nok\n```\n", md)
            self.assertTrue(md.endswith("## rvmig migrate --dirty manual (exit status )\n\n```\n```\n"), md)

    def test_default_native_eager(self):
        """default without env.json (native run): eager_page_split from the host's parameter, else absent"""
        with tempfile.TemporaryDirectory() as tmp:
            d = self._default_dir(tmp, {"demo.txt": "rvmig run: x\n"})
            param, saved = os.path.join(tmp, "param"), cli.EAGER_PARAM
            try:
                cli.EAGER_PARAM = param
                cli.run_default(d, [].append)
                self.assertIn("eager_page_split=absent. ", load(os.path.join(d, "report.md")))
                with open(param, "w") as f:
                    f.write("Y\n")
                cli.run_default(d, [].append)
                self.assertIn("eager_page_split=Y. ", load(os.path.join(d, "report.md")))
            finally:
                cli.EAGER_PARAM = saved

    def test_demo_nothing_to_report(self):
        """demo and default without demo.txt (the lab did not get that far): no report.md"""
        with tempfile.TemporaryDirectory() as tmp:
            d = self._default_dir(tmp, {})
            cli.run_demo(d, [].append)
            cli.run_default(d, [].append)
            self.assertEqual(os.listdir(d), [])

    def _classed_run(self, label, p50_2m, p50_other, n2m=8, later=1.0):
        """A bench run of guest ABI 2: pass 1 and a later pass with classed first-write percentiles."""
        cls = lambda n, p50: {"count": n, "p50": p50, "p99": p50 * 1.2, "max": p50 * 2,
                              "buckets": [[p50 * 10, p50 * 10 + 32, n]]}
        passes = [{"first_write_classes": {"first_in_2m": cls(n2m, p50_2m), "other": cls(4088, p50_other),
                                           "first_in_1g": cls(1, p50_2m)},
                   "first_write_hist": {"buckets": [[p50_other * 10, p50_other * 10 + 32, 4088], [p50_2m * 10, p50_2m * 10 + 32, n2m]]}},
                  {"first_write_classes": {"first_in_2m": cls(n2m, 100 * later), "other": cls(4088, 100.0),
                                           "first_in_1g": cls(1, 100.0)}}]
        case, eager, rep = bench_data.split_label(label)
        return {"params": {"label": label, "dirty": "manual", "backing": "hugetlb-2M", "vcpus": 2, "mem_bytes": 16777216,
                           "clear_chunk_bytes": 16777216, "passes": 2},
                "host": {"eager_page_split": eager, "timebase_hz": 10000000}, "backing": {"report": "2M"},
                "passes": passes, "rc": 0, "case": case, "eager": eager, "rep": rep}

    def test_region_figures(self):
        """first write per 2M region: figures from the classed histograms; none for runs of the log2 guest"""
        f = bench_data.region_figures(self._classed_run("h2m.N.1", 180.0, 100.0))
        self.assertEqual((f["pass1_first2m_n"], f["pass1_first2m_p50_us"], f["pass1_other_p50_us"]), (8, 180.0, 100.0))
        self.assertAlmostEqual(f["pass1_first2m_over_other_p50"], 1.8)
        self.assertAlmostEqual(f["later_first2m_over_other_p50"], 1.0)
        self.assertEqual(f["pass1_first1g_n"], 1)
        self.assertEqual(bench_data.region_figures({"passes": [{"hist_log2_ticks": [1, 2]}]}), {})

    def test_region_section(self):
        """report section 2d: an effect is named when N's ratio is high and Y's is not; 'NO effect' said plainly otherwise"""
        def md(ny, yy):
            runs = bench_data.with_figures([self._classed_run("h2m.N.%d" % i, ny, 100.0) for i in (1, 2)] +
                                           [self._classed_run("h2m.Y.%d" % i, yy, 100.0) for i in (1, 2)])
            return "\n".join(bench_regions.markdown(bench_data.summary(runs)))
        seen = md(250.0, 101.0)
        self.assertIn("## 2d. The first write into each 2M / 1G region", seen)
        self.assertIn("2.5x the other first writes' p50 with eager N, 1.01x with Y", seen)
        self.assertIn("eager splitting removes it.", seen)
        self.assertIn("| h2m | manual | hugetlb-2M | N | 8 [8..8] n=2 | 250 [250..250] n=2 |", seen)
        none = md(104.0, 103.0)
        self.assertIn("NO effect visible at the guest's clock", none)
        self.assertEqual(bench_regions.markdown(bench_data.summary(bench_data.with_figures(
            [dict(self._classed_run("h2m.N.1", 1.0, 1.0), passes=[{"hist_log2_ticks": [1]}])]))), [])

    def test_region_cdf(self):
        """log-linear CDFs: one point per non-empty bucket at its upper edge, runs summed, ending at 1"""
        raw = [self._classed_run("h2m.N.%d" % i, 180.0, 100.0) for i in (1, 2)]
        self.assertTrue(plots.cdf_is_log_linear(raw))
        cdf = plots.cdf_data(raw, "hugetlb-2M", "N").splitlines()
        self.assertEqual(cdf, ["103.2 " + jq.num(4088 / 4096), "183.2 1"])
        self.assertEqual(plots.region_cdf_data(raw, "hugetlb-2M", "N", "first_in_2m"), "183.2 1\n")
        self.assertEqual(plots.region_cdf_data(raw, "hugetlb-2M", "Y", "first_in_2m"), "")

    def test_labels(self):
        """bench labels NAME.E.REP, names with dots and sweep cases"""
        self.assertEqual(bench_data.split_label("a.b@4M.Y.2"), ("a.b@4M", "Y", 2.0))


class TapResult(unittest.TestResult):
    """One "ok - name" / "not ok - name" line per check, as tests/run.sh counts them."""

    def _name(self, test):
        return (test.shortDescription() or test.id()).replace("\n", " ")

    def addSuccess(self, test):
        super().addSuccess(test)
        print("ok - " + self._name(test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        print("ok - %s # SKIP %s" % (self._name(test), reason))

    def _bad(self, test, err, kind):
        print("not ok - %s (%s)" % (self._name(test), kind))
        print("    " + self._exc_info_to_string(err, test).replace("\n", "\n    ").rstrip())

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._bad(test, err, "failed")

    def addError(self, test, err):
        super().addError(test, err)
        self._bad(test, err, "error")


def run_module(name):
    """Runs every test of module `name` with TapResult; 0 when all passed (the report tests' main)."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[name])
    result = TapResult()
    suite.run(result)
    return 0 if result.wasSuccessful() else 1


def main():
    try:
        return run_module(__name__)
    finally:
        FixtureRun.cleanup()


if __name__ == "__main__":
    sys.exit(main())
