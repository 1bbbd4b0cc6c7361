"""Medians and summaries over runs; nulls (figures a mode does not have) are left out."""
from . import jq


def median(vals):
    xs = sorted((v for v in vals if v is not None), key=jq.order)
    n = len(xs)
    if n == 0:
        return None
    if n % 2 == 1:
        return xs[(n - 1) // 2]
    return (xs[n // 2 - 1] + xs[n // 2]) / 2


def summ(vals):
    """{n, median, min, max} over the non-null values."""
    xs = [v for v in vals if v is not None]
    return {"n": len(xs), "median": median(xs), "min": jq.jmin(xs), "max": jq.jmax(xs)}


def ratio(a, b):
    if a is None or b is None or jq.le(b, 0):
        return None
    return a / b


def percentile(xs_sorted, q):
    """Nearest-rank percentile (q in 0..100) of an ascending list; None when empty."""
    if not xs_sorted:
        return None
    k = max(0, min(len(xs_sorted) - 1, -(-len(xs_sorted) * q // 100) - 1))
    return xs_sorted[int(k)]


def pct_summ(vals):
    """{n, p50, p90, p99, p99_9, max, sum} of raw samples (nearest rank), rounded to 0.001."""
    xs = sorted(vals)
    r = lambda v: None if v is None else round(v, 3)
    return {"n": len(xs), "p50": r(percentile(xs, 50)), "p90": r(percentile(xs, 90)), "p99": r(percentile(xs, 99)),
            "p99_9": r(percentile(xs, 99.9)), "max": r(xs[-1] if xs else None), "sum": r(sum(xs))}
