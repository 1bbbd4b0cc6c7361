"""The race with the vCPUs running (rvmig bench --enable-running): per run, the split faults that
happened in vCPU context from the start of logging (phase mark "enable") until the first pass was
harvested ("harvest1"), and where each fell relative to the ioctl's split walk, by trace timestamp:
  before  ahead of the walk's first call of kvm_riscv_gstage_split_huge (flush=0): the slot was
          already write-protected (manual: the enable write-protects first, then splits) or the CLEAR
          had protected the range, and the vCPU got to the huge leaf first;
  during  between the walk's first split call and its last return (the splitter drops mmu_lock to
          refill its page cache or reschedule; a vCPU can take the lock in between);
  after   after the walk's last return: a huge leaf the walk left (none expected) or, with
          manual-init-set, a region whose CLEAR had not come yet.
The walk of manual-init-set is every CLEAR call's splits together (first to last). Counts only are
compared; the offsets (ms from the walk's first split) are an emulator's clock under TCG."""

WINDOW_START, WINDOW_END = "enable", "harvest1"


def race(events):
    """{vcpu_splits, before, during, after, ioctl_splits, walk_ms, offsets_ms} of one run, or None when
    the trace has no "enable" phase mark."""
    phase, inside, seen = None, False, False
    walk_first = walk_last = None
    vcpu_ts, ioctl_splits, open_ioctl = [], 0, {}
    for _comm, tid, ts, ev, a in events:
        if ev == "phase":
            phase = a["phase"]
            if phase == WINDOW_START:
                inside, seen = True, True
            elif phase == WINDOW_END:
                inside = False
            continue
        if not inside:
            continue
        if ev == "split" and a.get("flush") == "1":
            vcpu_ts.append(ts)
        elif ev == "split":
            open_ioctl[tid] = ts
            walk_first = ts if walk_first is None else min(walk_first, ts)
        elif ev == "split_ret" and tid in open_ioctl:
            open_ioctl.pop(tid)
            walk_last = ts if walk_last is None else max(walk_last, ts)
            ioctl_splits += a.get("ret") == "1"
    if not seen:
        return None
    out = {"vcpu_splits": len(vcpu_ts), "before": 0, "during": 0, "after": 0, "ioctl_splits": ioctl_splits,
           "walk_ms": None if walk_first is None or walk_last is None else round((walk_last - walk_first) * 1e3, 3),
           "offsets_ms": []}
    for ts in vcpu_ts:
        if walk_first is None or ts < walk_first:
            out["before"] += 1
        elif walk_last is not None and ts <= walk_last:
            out["during"] += 1
        else:
            out["after"] += 1
        if walk_first is not None:
            out["offsets_ms"].append(round((ts - walk_first) * 1e3, 3))
    return out


def markdown(per_tag, running, split_label):
    """per_tag: {tag: race()}; running: {tag: True when the run kept its vCPUs running across the
    enable / first CLEAR}. One row per such run; nothing when there is none."""
    tags = [t for t in sorted(per_tag) if running.get(t) and per_tag[t] is not None]
    if not tags:
        return []
    out = ["", "## 2e. The race: split faults in vCPU context with the vCPUs running across the enable / first CLEAR", "",
           "`rvmig bench --enable-running`: every vCPU keeps writing while logging is switched on (and, for",
           "manual-init-set, during the first CLEAR). Counted from the phase mark `enable` to the first harvest: split",
           "faults in a vCPU and where each fell against the ioctl's split walk (its first split call to its last",
           "return, trace timestamps). Reported, not asserted: how many depends on timing. Offsets are ms from the",
           "walk's first split (an emulator's clock).", "",
           "| run | eager | split faults in vCPUs | before the walk | during | after | 2M regions split in ioctl |"
           " walk (ms) | offsets (ms) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for t in tags:
        r = per_tag[t]
        case, eager, rep = split_label(t)
        offs = r["offsets_ms"]
        out.append("| %s rep %g | %s | %d | %d | %d | %d | %d | %s | %s |" % (
            case, rep, eager, r["vcpu_splits"], r["before"], r["during"], r["after"], r["ioctl_splits"],
            "-" if r["walk_ms"] is None else "%.2f" % r["walk_ms"],
            " ".join("%.2f" % x for x in offs[:8]) + (" ..." if len(offs) > 8 else "") if offs else "-"))
    return out
