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
