"""The reports of `./run.sh demo` (rvmig run --dirty-log) and of the main job `./run.sh` (that run, then
rvmig migrate): the command's own summary, as it printed it, under a heading. Pure functions of the
texts the lab scenario saved (demo.txt, migrate.txt, *.status); they used to be written inside the
lab by lab/scenarios/{demo,default}.sh, whose output they reproduce byte for byte."""

FENCE = "```"


def from_line(text, prefix):
    """What `sed -n '/^PREFIX/,$p'` prints: the text from its first line that starts with prefix
    (nothing when none does), each line ending in a newline."""
    lines = (text or "").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(prefix):
            return "".join(l if l.endswith("\n") else l + "\n" for l in lines[i:])
    return ""


def demo_md(demo_txt):
    """demo.sh's report.md: its whole console output (demo.txt), fenced."""
    return "# rvmig demo\n\n%s\n%s%s\n" % (FENCE, demo_txt or "", FENCE)


def default_md(eager, demo_txt, demo_status, migrate_txt, migrate_status):
    """default.sh's report.md: the summaries of rvmig run and rvmig migrate with their exit statuses.
    eager: eager_page_split as the lab saw it (Y, N or absent); statuses as text ("" when missing)."""
    out = ["# rvmig: demo and live migration on hugetlb-2M", "",
           "eager_page_split=%s. The host is QEMU TCG unless lab.json says kvm:" % eager,
           "absolute times are an emulator's; compare them only as ratios within one run.", "",
           "## rvmig run --dirty-log (exit status %s)" % demo_status, "", FENCE]
    text = "\n".join(out) + "\n" + from_line(demo_txt, "rvmig run:")
    out = [FENCE, "", "## rvmig migrate --dirty manual (exit status %s)" % migrate_status, "", FENCE]
    text += "\n".join(out) + "\n" + from_line(migrate_txt, "rvmig migrate:")
    return text + FENCE + "\n"
