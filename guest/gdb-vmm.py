#!/usr/bin/env python3
"""A stand-in for the rvmig VMM, for the smoke test: drives the guest's control block through QEMU's
gdbstub (memory writes while the VM is stopped) and reads the per-vCPU stats with the seqcount
protocol, the way the VMM will. No dirty logging or migration: it checks the guest side only.

Usage: gdb-vmm.py IMAGE NR_HARTS   (runs qemu-system-riscv64 + OpenSBI itself; prints ok/not ok lines)
"""
import os
import socket
import struct
import subprocess
import sys
import time

RAM_BASE = 0x80200000          # the smoke image's load address, its "RVMIG_RAM_BASE"
TIMEBASE = 10_000_000          # QEMU virt
# Copied from include/rvmig_abi.h; tests/gdb_abi.sh checks every one against the header.
CTL_OFFSET = 0x110000          # RVMIG_CTL_OFFSET
STATS_OFFSET = 0x111000        # RVMIG_STATS_OFFSET
WORK_OFFSET = 0x200000         # RVMIG_WORK_OFFSET
PAGE_SIZE = 4096               # RVMIG_PAGE_SIZE
CTL = RAM_BASE + CTL_OFFSET
STATS = RAM_BASE + STATS_OFFSET
STATS_SIZE = 24840             # sizeof(struct rvmig_vcpu_stats)
CTL_MAGIC = 0x52564D4947435430
ABI_VERSION = 2
CMD_RUN, CMD_VERIFY, CMD_EXIT = 1, 2, 3
SEQ, RANDOM, HOTCOLD = 0, 1, 2
VERIFY_OK = 1
# struct rvmig_ctl: field -> (offset, struct format of its size)
CTL_FIELDS = {"magic": (0, "<Q"), "abi_version": (8, "<I"), "nr_vcpus": (12, "<I"),
              "cmd": (16, "<I"), "pattern": (20, "<I"), "write_pct": (24, "<I"),
              "hot_pct": (28, "<I"), "rate_limit": (32, "<Q"), "seed": (40, "<Q"),
              "epoch": (48, "<Q")}
# struct rvmig_vcpu_stats, all uint64_t: the first fields in order from offset 0, then the verify
# fields and fw[] (struct rvmig_hist per first-write class) from the word index (offset / 8) given.
STATS_FIELDS = ("seq hartid slice_first_page slice_pages slice_table_pages accesses writes epoch "
                "epoch_start epoch_writes first_writes slice_done_ticks").split()
VERIFY_WORD = 12
VERIFY_FIELDS = ("verify_status", "verify_pages", "verify_errors", "verify_first_bad")
# struct rvmig_hist: count, sum_ticks, max_ticks, then bucket[HIST_BUCKETS]; fw[] in enum rvmig_fw_class order.
FW_WORD, HIST_BUCKETS = 24, 1024
HIST_FIELDS = ("count", "sum_ticks", "max_ticks")
FW_CLASSES = ("other", "first_in_2m", "first_in_1g")  # RVMIG_FW_OTHER, _FIRST_IN_2M, _FIRST_IN_1G
HIST_WORDS = len(HIST_FIELDS) + HIST_BUCKETS
failed = False


def ok(cond, what):
    global failed
    print(("ok - " if cond else "not ok - ") + what, flush=True)
    failed |= not cond
    return cond


class Gdb:
    """Just enough of the GDB remote protocol: stop, continue, read and write memory."""

    def __init__(self, port):
        for _ in range(100):
            try:
                self.s = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("cannot connect to the gdbstub")
        # Every reply has a deadline: a QEMU that stops answering is a failure, not a hang.
        self.s.settimeout(60)
        self.buf = b""
        self.running = False
        self.cmd("?")

    def _recv_packet(self):
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                data, self.buf = self.buf[start + 1:end], self.buf[end + 3:]
                self.s.sendall(b"+")
                return data.decode()
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("QEMU closed the gdb connection")
            self.buf += chunk

    def cmd(self, data):
        pkt = data.encode()
        self.s.sendall(b"$" + pkt + b"#%02x" % (sum(pkt) & 0xFF))
        return self._recv_packet()

    def stop(self):
        if self.running:
            self.s.sendall(b"\x03")
            self._recv_packet()  # stop reply
            self.running = False

    def cont(self):
        pkt = b"c"
        self.s.sendall(b"$" + pkt + b"#%02x" % (sum(pkt) & 0xFF))
        self.running = True

    def read(self, addr, n):
        # In pieces: QEMU's gdbstub answers at most a few KiB per packet.
        return b"".join(bytes.fromhex(self.cmd("m%x,%x" % (a, min(1024, addr + n - a))))
                        for a in range(addr, addr + n, 1024))

    def write(self, addr, data):
        assert self.cmd("M%x,%x:%s" % (addr, len(data), data.hex())) == "OK"


class Vmm:
    def __init__(self, gdb, nr):
        self.gdb, self.nr = gdb, nr

    def set_ctl(self, **f):
        self.gdb.stop()
        # Parameters first, the command last, as the real VMM must.
        for name in sorted(f, key=lambda k: k == "cmd"):
            off, fmt = CTL_FIELDS[name]
            self.gdb.write(CTL + off, struct.pack(fmt, f[name]))
        self.gdb.cont()

    def stats(self, i, timeout=30):
        """One consistent snapshot of hart i's stats (seqcount reader)."""
        # A hart caught mid-publish (odd sequence) is let run a little longer each retry: under TCG
        # with more harts than host cores, one hart can need far more than 10 ms to get scheduled.
        # The deadline turns a hart that never finishes publishing into a failure, not a hang.
        deadline = time.time() + timeout
        pause = 0.01
        self.gdb.stop()
        try:
            while True:
                raw = self.gdb.read(STATS + i * STATS_SIZE, STATS_SIZE)
                words = struct.unpack("<%dQ" % (STATS_SIZE // 8), raw)
                if words[0] % 2 == 0:
                    break
                if time.time() > deadline:
                    raise TimeoutError(f"hart {i}'s stats stayed mid-publish (odd sequence {words[0]}) "
                                       f"for {timeout} s")
                self.gdb.cont()
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
                self.gdb.stop()
        finally:
            self.gdb.cont()
        s = dict(zip(STATS_FIELDS, words))
        s.update(zip(VERIFY_FIELDS, words[VERIFY_WORD:VERIFY_WORD + len(VERIFY_FIELDS)]))
        for c, name in enumerate(FW_CLASSES):
            w = FW_WORD + c * HIST_WORDS
            h = dict(zip(HIST_FIELDS, words[w:w + len(HIST_FIELDS)]))
            h["buckets"] = list(words[w + len(HIST_FIELDS):w + HIST_WORDS])
            s[name] = h
        return s

    def wait(self, what, pred, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            snaps = [self.stats(i) for i in range(self.nr)]
            if all(pred(s) for s in snaps):
                return snaps
            time.sleep(0.2)
        ok(False, "%s (timed out; last: %s)" % (what, [{k: s[k] for k in STATS_FIELDS[1:]} for s in snaps]))
        return None


def regions(snaps, shift):
    """The 2M (shift 21) or 1G (30) regions of guest-physical space holding the harts' data pages."""
    work = RAM_BASE + WORK_OFFSET
    return {r for s in snaps for r in range((work + s["slice_first_page"] * PAGE_SIZE) >> shift,
                                            ((work + (s["slice_first_page"] + s["slice_pages"]) * PAGE_SIZE - 1) >> shift) + 1)}


def check_epoch(snaps, epoch, what):
    good = all(s["epoch"] == epoch and s["first_writes"] == s["slice_pages"] and
               s["other"]["count"] + s["first_in_2m"]["count"] == s["first_writes"] and
               all(sum(s[c]["buckets"]) == s[c]["count"] and s[c]["max_ticks"] <= s[c]["sum_ticks"]
                   for c in FW_CLASSES) and s["slice_done_ticks"] > 0 for s in snaps)
    ok(good, "%s: every hart first-wrote its whole slice in epoch %d, histograms add up" % (what, epoch))
    # Each region holding data pages had exactly one first write (its first) among all harts.
    n2m, n1g = (sum(s[c]["count"] for s in snaps) for c in ("first_in_2m", "first_in_1g"))
    ok(n2m == len(regions(snaps, 21)) and n1g == len(regions(snaps, 30)),
       "%s: first writes in a 2M region %d (data pages span %d), in a 1G region %d (span %d)"
       % (what, n2m, len(regions(snaps, 21)), n1g, len(regions(snaps, 30))))


def main():
    image, nr = sys.argv[1], int(sys.argv[2])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    log = open(os.path.join(os.path.dirname(image), "qemu-vmm-smp%d.log" % nr), "w")
    qemu = subprocess.Popen(
        [os.environ.get("QEMU", "qemu-system-riscv64"), "-machine", "virt", "-cpu", "rv64", "-smp", str(nr), "-m", "64M",
         "-nographic", "-monitor", "none", "-serial", "stdio",
         "-bios", os.environ.get("OPENSBI", "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"), "-kernel", image,
         "-S", "-gdb", "tcp:127.0.0.1:%d" % port], stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT)
    try:
        run(Gdb(port), nr)
        rc = qemu.wait(timeout=30)
    except Exception as e:  # noqa: BLE001 - any failure is a test failure, with its reason
        ok(False, "mini-VMM run: %s: %s" % (type(e).__name__, e))
        qemu.kill()
        rc = qemu.wait()
    log.close()
    out = open(log.name).read().replace("\r", "")
    ok(rc == 0 and "rvmig-guest: shutdown (ok)" in out and "PANIC" not in out,
       "guest under the mini-VMM shut down cleanly (QEMU rc %d)" % rc)
    if failed:
        sys.stdout.write("".join("    " + l + "\n" for l in out.splitlines()[-30:]))
    return 1 if failed else 0


def run(gdb, nr):
    vmm = Vmm(gdb, nr)
    # Fill the control block before the boot hart runs (QEMU started with -S).
    vmm.gdb.running = False
    vmm.set_ctl(magic=CTL_MAGIC, abi_version=ABI_VERSION, nr_vcpus=nr, pattern=SEQ, write_pct=100,
                hot_pct=10, rate_limit=0, seed=42, epoch=1, cmd=CMD_RUN)
    snaps = vmm.wait("sequential pass", lambda s: s["epoch"] == 1 and s["slice_done_ticks"] > 0)
    if not snaps:
        return
    ok(all(s["hartid"] == i for i, s in enumerate(snaps)), "stats carry their hartids")
    ok(all(s["slice_first_page"] == i * (s["slice_pages"] + s["slice_table_pages"]) + s["slice_table_pages"]
           and s["slice_table_pages"] * 512 >= s["slice_pages"] for i, s in enumerate(snaps)),
       "slices laid out back to back, gen tables big enough (%d data pages per hart)" % snaps[0]["slice_pages"])
    check_epoch(snaps, 1, "sequential")

    vmm.set_ctl(pattern=RANDOM, write_pct=60, epoch=2)
    snaps = vmm.wait("random pass", lambda s: s["epoch"] == 2 and s["slice_done_ticks"] > 0)
    if snaps:
        check_epoch(snaps, 2, "random 60% writes")
        ok(all(s["accesses"] > s["writes"] for s in snaps), "random 60%: some accesses were reads")

    vmm.set_ctl(pattern=HOTCOLD, write_pct=100, hot_pct=20, epoch=3)
    snaps = vmm.wait("hot/cold pass", lambda s: s["epoch"] == 3 and s["slice_done_ticks"] > 0, timeout=120)
    if snaps:
        check_epoch(snaps, 3, "hot/cold")

    vmm.set_ctl(cmd=CMD_VERIFY)
    snaps = vmm.wait("verify", lambda s: s["verify_status"] != 0)
    if snaps:
        ok(all(s["verify_status"] == VERIFY_OK and s["verify_errors"] == 0 and s["verify_pages"] == s["slice_pages"]
               for s in snaps), "verify: every page of every slice checked and good")

    # Resume (as after a migration), rate limited to 1000 pages/s per hart. The guest paces by its
    # time CSR, which never runs ahead of wall time (it stands still while the gdbstub holds the VM),
    # so wall time bounds the writes from above. No lower bound: TCG on a busy host may starve a vCPU.
    before = [s["writes"] for s in snaps or [vmm.stats(i) for i in range(nr)]]
    t0 = time.time()
    vmm.set_ctl(pattern=RANDOM, write_pct=100, rate_limit=1000, epoch=4, cmd=CMD_RUN)
    time.sleep(2.0)
    rates = [vmm.stats(i)["writes"] - b for i, b in enumerate(before)]
    limit = int(1000 * (time.time() - t0)) + 10 + 64  # + the 10 ms catch-up + publish batching
    ok(all(0 < r <= limit for r in rates), "rate limit 1000 pages/s: %s writes in %.1f s (at most %d)"
       % (rates, time.time() - t0, limit))

    vmm.set_ctl(cmd=CMD_VERIFY)
    snaps = vmm.wait("second verify", lambda s: s["verify_status"] != 0 and s["epoch"] == 4)
    if snaps:
        ok(all(s["verify_status"] == VERIFY_OK for s in snaps), "verify after resuming: good")
    vmm.set_ctl(cmd=CMD_EXIT)


if __name__ == "__main__":
    sys.exit(main())
