"""The few semantics of jq 1.6 that the reports depend on, so that the Python writers print the
same bytes as the jq programs they replace: number text, tostring, pretty JSON, @csv/@tsv, C
round(), the `//` operator and jq's ordering of values (null < false < true < numbers < strings
< arrays < objects)."""
import math
import sys

DBL_MAX = sys.float_info.max


def num(x):
    """A number as jq 1.6 prints it (shortest round-trip digits laid out by jvp_dtoa_fmt):
    integers without ".0", exponent form below 1e-4 or past 17 significant digits."""
    x = float(x)
    if x != x:
        return "null"
    if x > DBL_MAX:
        x = DBL_MAX
    if x < -DBL_MAX:
        x = -DBL_MAX
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0"
    r = repr(abs(x))
    mant, _, exp = r.partition("e")
    ip, _, fp = mant.partition(".")
    raw = ip + fp
    digits = raw.lstrip("0")
    decpt = len(ip) + (int(exp) if exp else 0) - (len(raw) - len(digits))
    digits = digits.rstrip("0")
    nd = len(digits)
    if decpt <= -4 or decpt > nd + 15:
        e = decpt - 1
        out = digits[0] + ("." + digits[1:] if nd > 1 else "")
        return "%s%se%s%02d" % (sign, out, "-" if e < 0 else "+", abs(e))
    if decpt <= 0:
        return sign + "0." + "0" * (-decpt) + digits
    if nd <= decpt:
        return sign + digits + "0" * (decpt - nd)
    return sign + digits[:decpt] + "." + digits[decpt:]


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def string(s):
    """A JSON string literal as jq writes it: UTF-8 kept, control characters and DEL escaped."""
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif 0x20 <= o <= 0x7E or o > 0x7F:
            out.append(c)
        else:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(o, "\\u%04x" % o))
    out.append('"')
    return "".join(out)


def compact(v):
    """jq -c / tojson."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if is_num(v):
        return num(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, list):
        return "[" + ",".join(compact(x) for x in v) + "]"
    return "{" + ",".join(string(k) + ":" + compact(x) for k, x in v.items()) + "}"


def pretty(v, depth=0):
    """jq . (two-space indent, empty containers as [] and {})."""
    pad = "  " * (depth + 1)
    if isinstance(v, list) and v:
        return "[\n" + ",\n".join(pad + pretty(x, depth + 1) for x in v) + "\n" + "  " * depth + "]"
    if isinstance(v, dict) and v:
        return ("{\n" + ",\n".join(pad + string(k) + ": " + pretty(x, depth + 1) for k, x in v.items())
                + "\n" + "  " * depth + "}")
    return compact(v)


def tostr(v):
    """tostring, and what string interpolation "\\(v)" prints."""
    return v if isinstance(v, str) else compact(v)


def csv(row):
    """@csv: strings quoted with "" doubled, numbers and booleans bare, null empty."""
    cells = []
    for v in row:
        if v is None:
            cells.append("")
        elif isinstance(v, str):
            cells.append('"' + v.replace('"', '""') + '"')
        else:
            cells.append(compact(v))
    return ",".join(cells)


def tsv(row):
    """@tsv: strings with \\t \\r \\n \\\\ escaped, null empty."""
    cells = []
    for v in row:
        if v is None:
            cells.append("")
        elif isinstance(v, str):
            cells.append(v.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n"))
        else:
            cells.append(compact(v))
    return "\t".join(cells)


def c_round(x):
    """jq's round is C round(): halves away from zero (Python's round() is banker's)."""
    if x is None:
        raise TypeError("null cannot be rounded")
    x = float(x)
    if not math.isfinite(x):
        return x
    t = math.trunc(x)
    if abs(x - t) >= 0.5:
        t += 1 if x > 0 else -1
    return math.copysign(float(t), x)


def alt(*vals):
    """a // b // ...: the first value that is neither null nor false, else the last."""
    for v in vals[:-1]:
        if v is not None and v is not False:
            return v
    return vals[-1]


def truthy(v):
    return v is not None and v is not False


def get(v, *path):
    """.a.b[0]...: null through missing keys, indexes and nulls (negative indexes count from the end)."""
    for k in path:
        if v is None:
            return None
        if isinstance(k, int):
            if not isinstance(v, list) or not -len(v) <= k < len(v):
                return None
            v = v[k]
        else:
            v = v.get(k) if isinstance(v, dict) else None
    return v


def add(a, b):
    """a + b with jq's null as the identity."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def order(v):
    """A sort key in jq's order of values."""
    if v is None:
        return (0,)
    if v is False:
        return (1,)
    if v is True:
        return (2,)
    if is_num(v):
        return (3, float(v))
    if isinstance(v, str):
        return (4, v)
    if isinstance(v, list):
        return (5, [order(x) for x in v])
    return (6, sorted(v.keys()), [order(v[k]) for k in sorted(v.keys())])


def unique(vals):
    out = []
    for v in sorted(vals, key=order):
        if not out or order(out[-1]) != order(v):
            out.append(v)
    return out


def group_by(vals, key):
    """group_by(f): groups in the sorted order of their keys, input order kept within a group."""
    groups = []
    for v in sorted(vals, key=lambda x: order(key(x))):
        if groups and order(key(groups[-1][0])) == order(key(v)):
            groups[-1].append(v)
        else:
            groups.append([v])
    return groups


def jmin(vals):
    """min: null when empty; a null in the list is the minimum."""
    return min(vals, key=order) if vals else None


def jmax(vals):
    return max(vals, key=order) if vals else None


def total(vals):
    """add over a list: null when empty, nulls skipped."""
    acc = None
    for v in vals:
        acc = add(acc, v)
    return acc


def join(vals, sep):
    """join in jq 1.6: null as "", numbers and booleans as JSON, "" for an empty list."""
    return sep.join("" if v is None else v if isinstance(v, str) else compact(v) for v in vals)


def lt(a, b):
    return order(a) < order(b)


def le(a, b):
    return order(a) <= order(b)
