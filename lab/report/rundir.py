"""Reading a results/<run-id>/ directory: the only module of the package (with the writers in
__main__ and bench_files) that touches files; everything else is pure functions of what it returns."""
import glob
import json
import os

from . import jq


def load_json(path):
    """The JSON value in path; None when it is missing or not JSON. Integers become floats: jq
    computes with doubles, and its output is what the reports must reproduce."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return json.loads(f.read(), parse_int=float)
    except (OSError, ValueError):
        return None


def read_text(path, default=None):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def shell_text(path, default=""):
    """What "$(cat path)" gives: the file without its trailing newlines, default when it is missing."""
    t = read_text(path)
    return default if t is None else t.rstrip("\n")


def sorted_glob(d, pattern):
    """Like a bash glob under LC_COLLATE=C (what run.sh's shells had): byte order of the names."""
    return sorted(glob.glob(os.path.join(glob.escape(d), pattern)), key=lambda p: os.path.basename(p).encode())


def jq_text(value, *keys):
    """What `jq -r .a.b file` printed (None: the file was missing, so jq printed nothing)."""
    if value is None and keys:
        return None
    return jq.tostr(jq.get(value, *keys))


def jq_join_text(value, first, sep, second):
    """What `jq -r '.first + SEP + .second' file` printed: null + string is the string."""
    if value is None:
        return None
    return jq.tostr(jq.add(jq.add(jq.get(value, first), sep), jq.get(value, second)))
