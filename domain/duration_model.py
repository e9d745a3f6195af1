"""How long analyses take: a small model learned from finished analyses, as plain JSON-serialisable data.

One document per analyzer holds buckets: `all` (every analysis of the analyzer) and, when the request said
which pages to analyse, one bucket per size class (log2 of the page count: `pages-1`, `pages-2-3`,
`pages-4-7`, ...). A bucket keeps the last MAX_OBSERVATIONS observations, newest last. An observation is the
interval the analysis must have ended in, in seconds after its submit: (last check that saw it running,
first check that saw it done). Quantiles weigh each observation by DECAY ** age (age counted in later
observations), so the model follows drift; observations far from the weighted median (more than
OUTLIER_SCALES robust scales) are left out, so one stuck analysis does not move the schedule; each kept
observation is spread over its interval widened by a bandwidth (a uniform kernel), so twenty observations
give a smooth distribution. A bucket with fewer than MIN_OBSERVATIONS is cold: the caller then uses the
cold schedule.

Pure: no clock, no I/O; the store (duration_models/) reads and writes these documents.
"""

from __future__ import annotations

import math
import re

MODEL_VERSION = 1
MAX_OBSERVATIONS = 40
DECAY = 0.93  # half-life of about ten analyses
MIN_OBSERVATIONS = 6
OUTLIER_SCALES = 5.0
UPPER_WIDENING = 2.0
BANDWIDTH = 1.3  # kernel half-width in robust scales times n ** -1/5 (tuned with make bench: W1, W2, W3)
ALL_SIZES = "all"
# The quantiles handed to the schedule: 0 and 1 are the ends of the smoothed distribution's support.
QUANTILE_PROBABILITIES = tuple(i / 40 for i in range(41))
_RANGE_PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def page_count(pages: str | None) -> int | None:
    """Pages in a range such as "1-3,5" (4); None when unknown or open-ended ("5-")."""
    if not pages:
        return None
    total = 0
    for part in str(pages).split(","):
        match = _RANGE_PART.match(part)
        if not match:
            return None
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        if last < first:
            return None
        total += last - first + 1
    return total or None


def size_bucket(pages: str | None) -> str:
    """The size class of a request: log2 buckets of its page count, `all` when the request does not say."""
    count = page_count(pages)
    if count is None:
        return ALL_SIZES
    low = 1 << (count.bit_length() - 1)
    high = (low << 1) - 1
    return f"pages-{low}" if low == high else f"pages-{low}-{high}"


def empty_model(analyzer_id: str) -> dict:
    return {"version": MODEL_VERSION, "analyzerId": analyzer_id, "buckets": {}}


def observe(model: dict | None, analyzer_id: str, bucket: str, observations: list[tuple[float, float]]) -> dict:
    """A new model with these (ended-after, ended-by) intervals added to the bucket and to `all`."""
    result = _copy(model) if _valid(model) else empty_model(analyzer_id)
    targets = [ALL_SIZES] if bucket == ALL_SIZES else [bucket, ALL_SIZES]
    for name in targets:
        data = result["buckets"].setdefault(name, {"observations": [], "count": 0})
        for low, high in observations:
            low, high = float(low), float(high)
            if not (math.isfinite(low) and math.isfinite(high)) or high < 0:
                continue
            low = min(max(low, 0.0), high)
            data["observations"].append([round(low, 3), round(high, 3)])
            data["count"] = int(data.get("count", 0)) + 1
        del data["observations"][:-MAX_OBSERVATIONS]
    return result


def quantiles(model: dict | None, bucket: str) -> list[tuple[float, float]] | None:
    """(probability, seconds) pairs at QUANTILE_PROBABILITIES for the size bucket, else for `all`; None when
    neither is warm (fewer than MIN_OBSERVATIONS)."""
    if not _valid(model):
        return None
    for name in (bucket, ALL_SIZES):
        observations = (model["buckets"].get(name) or {}).get("observations") or []
        if len(observations) >= MIN_OBSERVATIONS:
            return bucket_quantiles(observations)
    return None


def bucket_quantiles(observations: list) -> list[tuple[float, float]]:
    """Robust, decayed, smoothed quantiles of interval observations (newest last)."""
    count = len(observations)
    weights = [DECAY ** (count - 1 - i) for i in range(count)]
    intervals = [(float(low), float(high)) for low, high in observations]
    middles = [(low + high) / 2 for low, high in intervals]
    median = _weighted_quantile(middles, weights, 0.5)
    spread = _weighted_quantile([abs(m - median) for m in middles], weights, 0.5)
    scale = max(1.4826 * spread, 0.01 * median, 0.25)
    limit = OUTLIER_SCALES * scale
    kept = [(i, w) for i, w, m in zip(intervals, weights, middles, strict=True) if abs(m - median) <= limit]
    effective = sum(w for _, w in kept) ** 2 / sum(w * w for _, w in kept)
    bandwidth = max(BANDWIDTH * scale * effective**-0.2, 0.005 * median)
    # An interval is clipped to the robust window (a check that found it done long after the previous one says
    # little about where in between it ended), then widened by the kernel, more on the upper side: a missed
    # upper tail costs lag (the cold doubling after the plan), a covered one costs few calls.
    window_low, window_high = median - OUTLIER_SCALES * scale, median + OUTLIER_SCALES * scale
    components = []
    for (low, high), weight in kept:
        low, high = max(low, window_low), min(high, window_high)
        if high < low:
            low = high = min(max((low + high) / 2, window_low), window_high)
        components.append((max(low - bandwidth, 0.0), high + UPPER_WIDENING * bandwidth, weight))
    return _mixture_quantiles(components)


def _mixture_quantiles(components: list[tuple[float, float, float]]) -> list[tuple[float, float]]:
    """Quantiles of a weighted mixture of uniform distributions: its CDF is linear between the ends."""
    total = sum(w for _, _, w in components)
    points = sorted({p for a, b, _ in components for p in (a, b)})

    def cdf(x: float) -> float:
        return sum(w * min(max((x - a) / (b - a), 0.0), 1.0) for a, b, w in components) / total

    values = [cdf(x) for x in points]
    result = []
    for p in QUANTILE_PROBABILITIES:
        if p <= 0:
            result.append((0.0, points[0]))
            continue
        if p >= 1:
            result.append((1.0, points[-1]))
            continue
        for k in range(1, len(points)):
            if values[k] >= p:
                span = values[k] - values[k - 1]
                fraction = (p - values[k - 1]) / span if span > 0 else 0.0
                result.append((p, points[k - 1] + fraction * (points[k] - points[k - 1])))
                break
        else:
            result.append((p, points[-1]))
    return result


def _weighted_quantile(values: list[float], weights: list[float], q: float) -> float:
    ordered = sorted(zip(values, weights, strict=True))
    target = q * sum(weights)
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= target:
            return value
    return ordered[-1][0]


def _valid(model: object) -> bool:
    return isinstance(model, dict) and model.get("version") == MODEL_VERSION and isinstance(model.get("buckets"), dict)


def _copy(model: dict) -> dict:
    buckets = {
        name: {"observations": [list(o) for o in data.get("observations") or []], "count": int(data.get("count", 0))}
        for name, data in model["buckets"].items()
        if isinstance(data, dict)
    }
    return {**model, "buckets": buckets}
