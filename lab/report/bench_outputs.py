"""./run.sh bench: bench.json (everything, raw included) and bench.csv (one row per case, setting
and figure), from what bench_data computed."""
from . import jq

NOTE = "TCG-emulated host: absolute times are an emulator's; compare only Y/N ratios from the same boot"
CSV_HEADER = "case,dirty,backing,vcpus,mem_mib,clear_chunk_mib,eager_page_split,figure,n,median,min,max"


def document(lab, env, lab_env, runs, perf, summ_, ratios, perfsum, compare, migration):
    return {"tool": "rvmig bench report", "lab": lab, "env": env, "lab_env": lab_env, "note": NOTE,
            "summary": summ_, "ratios": ratios, "perf_test": perfsum, "rvmig_vs_perf_test": compare,
            "migration": migration, "raw": {"rvmig": runs, "perf_test": perf}}


def csv_text(summ_, perfsum):
    lines = [CSV_HEADER]
    for c in summ_:
        for k, v in c["figures"].items():
            if jq.lt(0, v["n"]):
                lines.append(jq.csv([c["case"], c["dirty"], c["backing"], c["vcpus"], c["mem_mib"],
                                     c["clear_chunk_mib"], c["eager"], k, v["n"], v["median"], v["min"], v["max"]]))
    for p in perfsum:
        s = p["seconds"]
        lines.append(jq.csv([p["case"], "perf-test", "", "", "", "", p["eager"], "perf: " + p["figure"],
                             s["n"], s["median"], s["min"], s["max"]]))
    return "\n".join(lines) + "\n"
