"""dirty_log_perf_test logs: the "<figure> time: <seconds>s" lines, read the way the shell writers'
awk read them (fields split on blanks, the figure is every field but the last, re-joined with
single spaces, "time:" dropped; the seconds are kept as the text the test printed)."""
import re

TIME_LINE = re.compile(r" time: [0-9.]+s")


def figures(text):
    """[(figure, seconds text)] in log order."""
    out = []
    for line in text.split("\n"):
        if not TIME_LINE.search(line):
            continue
        fields = [f for f in re.split(r"[ \t]+", line) if f]
        t = re.sub(r"s$", "", fields[-1], count=1)
        name = re.sub(r" time: *$", "", " ".join(fields[:-1] + [""]), count=1)
        out.append((name.strip(" "), t))
    return out
