#!/usr/bin/env python3
# Unit tests of lab/report/soak.py on a small fixture (tests/report/fixtures/soak/: four hops of the
# soak's soak.csv and their migrate JSONs): totals, a failed or unreported hop never counted as clean,
# RSS and fd growth told per side and backing, and the files the soak command writes.
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
from report import soak  # noqa: E402
from test_report import TapResult  # noqa: E402

FIXTURE = os.path.join(HERE, "fixtures", "soak")


def fixture_hops(csv_edit=None, drop_json=()):
    with open(os.path.join(FIXTURE, "soak.csv"), encoding="utf-8") as f:
        text = f.read()
    if csv_edit:
        text = csv_edit(text)

    def load(hop):
        if hop in drop_json:
            return None
        import json
        with open(os.path.join(FIXTURE, "soak-%d.json" % hop), encoding="utf-8") as f:
            return json.load(f)
    return soak.hops_of(text, load)


class SoakTest(unittest.TestCase):
    def test_totals_of_the_fixture(self):
        s = soak.summary(fixture_hops())
        self.assertEqual((s["hops"], s["hops_ok"], s["hash_mismatches"], s["not_verified"]), (4, 4, 0, 0))
        self.assertEqual(s["bytes_sent"], 10000000)
        self.assertEqual(s["pages_sent"], 2000)
        self.assertEqual(s["hugepages_free"], [512])
        self.assertFalse(s["grew"])

    def test_a_hop_without_json_is_not_clean(self):
        s = soak.summary(fixture_hops(drop_json=(2,)))
        self.assertEqual((s["hops_ok"], s["hash_mismatches"]), (3, 1))

    def test_a_failed_destination_is_not_clean(self):
        s = soak.summary(fixture_hops(lambda t: t.replace("3,A,B,hugetlb-2M,manual,0,0,1,1",
                                                          "3,A,B,hugetlb-2M,manual,0,1,1,0")))
        self.assertEqual((s["hops_ok"], s["not_verified"]), (3, 1))

    def test_growth_per_side_and_backing(self):
        # hugetlb's small RSS next to anon's large one is not growth; anon's source gaining 2 MiB is.
        self.assertFalse(soak.summary(fixture_hops())["grew"])
        grown = soak.summary(fixture_hops(lambda t: t.replace("4,B,A,anon,manual,0,0,1,1,33860,8",
                                                              "4,B,A,anon,manual,0,0,1,1,35900,8")))
        self.assertTrue(grown["grew"])
        self.assertEqual([(g["side"], g["backing"]) for g in grown["growth"] if g["grew"]], [("src", "anon")])
        fds = soak.summary(fixture_hops(lambda t: t.replace("34160,8,512", "34160,9,512")))
        self.assertEqual([(g["side"], g["backing"]) for g in fds["growth"] if g["grew"]], [("dst", "anon")])

    def test_the_soak_command_writes_its_files(self):
        d = tempfile.mkdtemp()
        try:
            for f in os.listdir(FIXTURE):
                shutil.copy(os.path.join(FIXTURE, f), d)
            said = []
            self.assertEqual(cli.COMMANDS["soak"](d, said.append), 0)
            self.assertEqual(said, ["soak: 4 hops, 4 ok, 10000000 bytes, 0 hash mismatches"])
            with open(os.path.join(d, "report.md"), encoding="utf-8") as f:
                md = f.read()
            self.assertIn("| 4 | 4 | 10000000 | 2000 | 0 | 0 | 512 |", md)
            self.assertIn("| source | anon | 33852 / 33860 / 33860 | 8 / 8 / 8 | none |", md)
        finally:
            shutil.rmtree(d)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = TapResult()
    suite.run(result)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
