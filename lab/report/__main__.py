"""python3 -m report <command> <run dir> (with lab/ on PYTHONPATH; lab/report.sh does that):
the reports of a finished lab run, written next to its raw results. shell has no report."""
import os
import sys

from . import demo
from . import migrate
from . import rundir
from . import selftests


def say(msg):
    print("rvmig: " + msg, file=sys.stderr)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def run_selftests(d, say):
    logs = [(os.path.basename(p), rundir.read_text(p, "")) for p in rundir.sorted_glob(d, "selftests/perf.*.log")
            if os.path.isfile(p)]
    csv = selftests.csv_text(logs)
    write(os.path.join(d, "selftests.csv"), csv)
    write(os.path.join(d, "selftests.json"), selftests.json_text(csv))
    env, lab = rundir.load_json(os.path.join(d, "env.json")), rundir.load_json(os.path.join(d, "lab.json"))
    write(os.path.join(d, "report.md"), selftests.report_md(
        csv, rundir.jq_text(env, "kernel"), rundir.jq_join_text(lab, "qemu", ", ", "accel")))
    say("selftests: %d figures in selftests.csv, report.md" % (csv.count("\n") - 1))


def run_migrate(d, say):
    # X.dest.json: the destination's half of migration X (its per-round read/check/apply times).
    files = [p for p in rundir.sorted_glob(d, "migrate-*.json") if not p.endswith(".dest.json")]
    if not files:
        return
    migrations, dests, repeats = [], [], []
    for p in files:
        m = rundir.load_json(p)
        # A file cut short (rvmig killed while writing it) is named and left out: with jq it made
        # the whole table fail.
        if isinstance(m, dict):
            migrations.append(m)
            dests.append(rundir.load_json(p[:-len(".json")] + ".dest.json"))
            if os.path.basename(p).startswith("migrate-repeat-"):
                repeats.append(m)
        else:
            say("migrate: %s is not a JSON object, left out" % os.path.basename(p))
    write(os.path.join(d, "migrate.csv"), migrate.csv_text(migrations))
    env, lab = rundir.load_json(os.path.join(d, "env.json")), rundir.load_json(os.path.join(d, "lab.json"))
    write(os.path.join(d, "report.md"), migrate.report_md(
        migrations, rundir.jq_text(env, "eager_page_split"), rundir.jq_text(env, "kernel"),
        rundir.jq_join_text(lab, "qemu", ", accel ", "accel"), dests, repeats))
    say("migrate: %d migrations in migrate.csv, report.md" % len(migrations))


# Where the kernel keeps the switch, for a native run (no lab, so no env.json): the host is the KVM host.
EAGER_PARAM = "/sys/module/kvm/parameters/eager_page_split"


def eager_page_split(d):
    """eager_page_split as the run saw it: the lab's env.json, else (native) this host's, else absent."""
    env = rundir.load_json(os.path.join(d, "env.json"))
    if env is not None:
        return rundir.jq_text(env, "eager_page_split")
    return rundir.shell_text(EAGER_PARAM, "absent") or "absent"


def run_demo(d, say):
    if not os.path.isfile(os.path.join(d, "demo.txt")):
        return
    write(os.path.join(d, "report.md"), demo.demo_md(rundir.read_text(os.path.join(d, "demo.txt"), "")))
    say("demo: report.md")


def run_default(d, say):
    if not os.path.isfile(os.path.join(d, "demo.txt")):
        return
    text = demo.default_md(eager_page_split(d), rundir.read_text(os.path.join(d, "demo.txt"), ""),
                           rundir.shell_text(os.path.join(d, "demo.status")),
                           rundir.read_text(os.path.join(d, "migrate.txt"), ""),
                           rundir.shell_text(os.path.join(d, "migrate.status")))
    write(os.path.join(d, "report.md"), text)


def run_soak(d, say):
    from . import soak
    return soak.run(d, say)


def run_frontier(d, say):
    from . import frontier
    return frontier.run(d, say)


def run_bench(d, say):
    from . import bench_files
    return bench_files.run(d, say)


def run_tracing_cost(d, say):
    from . import tracing_cost
    return tracing_cost.run(d, say)


COMMANDS = {"selftests": run_selftests, "migrate": run_migrate, "bench": run_bench, "demo": run_demo,
            "default": run_default, "soak": run_soak, "frontier": run_frontier, "tracing-cost": run_tracing_cost}


def main(argv):
    if len(argv) != 2:
        print("usage: python3 -m report <command> <run dir>", file=sys.stderr)
        return 2
    cmd, d = argv
    fn = COMMANDS.get(cmd)
    rc = (fn(d, say) or 0) if fn else 0
    # The main job's report ended the lab's console when the lab wrote it; it ends run.sh's output now.
    if cmd == "default" and os.path.isfile(os.path.join(d, "report.md")):
        print("\n" + rundir.read_text(os.path.join(d, "report.md"), ""), end="")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
