#!/usr/bin/env python3
# Unit tests of lab/report/soak.py on a small fixture (tests/report/fixtures/soak/: four hops of one
# guest, soak.csv and the JSON of the five processes it passed through): totals, a failed or
# unreported hop (either half) never counted as clean, RSS and fd growth told per side and backing,
# and the files the soak command writes.
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
from test_report import run_module  # noqa: E402

FIXTURE = os.path.join(HERE, "fixtures", "soak")


def fixture_hops(csv_edit=None, drop_json=(), json_edit=None):
    with open(os.path.join(FIXTURE, "soak.csv"), encoding="utf-8") as f:
        text = f.read()
    if csv_edit:
        text = csv_edit(text)

    def load(hop):
        if hop in drop_json:
            return None
        import json
        with open(os.path.join(FIXTURE, "soak-%d.json" % hop), encoding="utf-8") as f:
            j = json.load(f)
        return (json_edit or {}).get(hop, lambda x: x)(j)
    return soak.hops_of(text, load)


class SoakTest(unittest.TestCase):
    def test_totals_of_the_fixture(self):
        s = soak.summary(fixture_hops())
        self.assertEqual((s["hops"], s["hops_ok"], s["hash_mismatches"], s["not_verified"]), (4, 4, 0, 0))
        self.assertEqual(s["bytes_sent"], 10000000)
        self.assertEqual(s["pages_sent"], 2000)
        self.assertEqual(s["hugepages_free"], [480, 512])
        self.assertFalse(s["grew"])
        self.assertEqual(s["live_rss_kb"], {"anon": [33100, 33120], "hugetlb-2M": [3900, 3910]})

    def test_hop_halves_come_from_the_right_processes(self):
        hops = fixture_hops()
        self.assertEqual([h["bytes_sent"] for h in hops], [2500000] * 4)
        # hop 1 from migrate's JSON; the last receiver sent nothing on and is no hop's sender
        self.assertEqual(soak.sender_half(1, lambda n: {"total": {"bytes_sent": 7}} if n == 0 else None),
                         {"total": {"bytes_sent": 7}})
        self.assertEqual(soak.sender_half(2, lambda n: {"total": {}, "forward": {"x": 1}}), {"x": 1})

    def test_a_hop_without_json_is_not_clean(self):
        s = soak.summary(fixture_hops(drop_json=(2,)))  # hop 2's receiver and hop 3's sender
        self.assertEqual((s["hops_ok"], s["hash_mismatches"]), (2, 2))

    def test_a_failed_destination_is_not_clean(self):
        s = soak.summary(fixture_hops(lambda t: t.replace("3,A,B,hugetlb-2M,anon,manual-init-set,0,33860,9,3910,4210,9,480,0",
                                                          "3,A,B,hugetlb-2M,anon,manual-init-set,0,33860,9,3910,4210,9,480,1")))
        self.assertEqual((s["hops_ok"], s["not_verified"]), (3, 0))

    def test_a_receiver_that_did_not_verify_is_not_clean(self):
        def edit(j):
            j["guest_verified"] = False
            return j
        s = soak.summary(fixture_hops(json_edit={3: edit}))
        self.assertEqual((s["hops_ok"], s["not_verified"]), (3, 1))

    def test_a_forward_half_with_a_mismatch_is_not_clean(self):
        def edit(j):
            j["forward"]["total"]["hash_mismatches"] = 2
            return j
        s = soak.summary(fixture_hops(json_edit={1: edit}))
        self.assertEqual((s["hops_ok"], s["hash_mismatches"]), (3, 2))

    def test_growth_per_side_and_backing(self):
        # hugetlb's small RSS next to anon's large one is not growth; anon's receiver gaining 3 MiB is.
        self.assertFalse(soak.summary(fixture_hops())["grew"])
        grown = soak.summary(fixture_hops(lambda t: t.replace("33120,33870,8", "33120,36900,8")))
        self.assertTrue(grown["grew"])
        self.assertEqual([(g["side"], g["backing"]) for g in grown["growth"] if g["grew"]], [("dst", "anon")])
        fds = soak.summary(fixture_hops(lambda t: t.replace("4210,9,33120", "4210,10,33120")))
        self.assertEqual([(g["side"], g["backing"]) for g in fds["growth"] if g["grew"]], [("src", "hugetlb-2M")])

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
            self.assertIn("| 4 | 4 | 10000000 | 2000 | 0 | 0 | 480, 512 |", md)
            self.assertIn("| source | anon | 33860 / 33860 / 33860 | 9 / 9 / 9 | none |", md)
            self.assertIn("| destination | anon | 33860 / 33870 / 33870 | 9 / 8 / 9 | none |", md)
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    sys.exit(run_module(__name__))
