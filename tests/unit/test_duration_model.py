"""The duration model: buckets, warm-up, robustness to outliers, decay under drift, JSON round trip."""

import json
import random

import pytest

from domain.duration_model import (
    ALL_SIZES,
    MAX_OBSERVATIONS,
    MIN_OBSERVATIONS,
    observe,
    page_count,
    quantiles,
    size_bucket,
)


def observation_count(model: dict | None, bucket: str) -> int:
    return len((model or {}).get("buckets", {}).get(bucket, {}).get("observations") or [])


def median_seconds(pairs: list[tuple[float, float]] | None) -> float | None:
    """The seconds at the first quantile at or above 0.5."""
    if not pairs:
        return None
    return next((seconds for p, seconds in pairs if p >= 0.5), pairs[-1][1])


def learned(durations, bucket=ALL_SIZES, model=None, width=4.0):
    for duration in durations:
        model = observe(model, "prebuilt-invoice", bucket, [(duration - width / 2, duration + width / 2)])
    return model


@pytest.mark.parametrize(
    ("pages", "count", "bucket"),
    [
        (None, None, "all"),
        ("", None, "all"),
        ("1", 1, "pages-1"),
        ("1-3,5", 4, "pages-4-7"),
        ("2-3", 2, "pages-2-3"),
        ("1-40", 40, "pages-32-63"),
        ("5-", None, "all"),
        ("3-1", None, "all"),
    ],
)
def test_size_buckets_are_log2_classes_of_the_page_count(pages, count, bucket):
    assert page_count(pages) == count
    assert size_bucket(pages) == bucket


def test_a_bucket_is_cold_until_it_has_enough_observations():
    model = learned([180.0] * (MIN_OBSERVATIONS - 1))
    assert quantiles(model, ALL_SIZES) is None
    model = learned([180.0], model=model)
    pairs = quantiles(model, ALL_SIZES)
    assert pairs[0][0] == 0 and pairs[-1][0] == 1
    assert [t for _, t in pairs] == sorted(t for _, t in pairs)
    assert 175 <= median_seconds(pairs) <= 185


def test_a_size_bucket_also_teaches_the_analyzer_wide_bucket_and_is_preferred_when_warm():
    model = learned([20.0] * MIN_OBSERVATIONS, bucket="pages-1")
    model = learned([240.0] * MIN_OBSERVATIONS, bucket="pages-32-63", model=model)
    assert observation_count(model, ALL_SIZES) == 2 * MIN_OBSERVATIONS
    assert median_seconds(quantiles(model, "pages-1")) == pytest.approx(20, abs=3)
    assert median_seconds(quantiles(model, "pages-32-63")) == pytest.approx(240, abs=3)
    # A cold size bucket falls back to the analyzer-wide one.
    assert quantiles(model, "pages-4-7") == quantiles(model, ALL_SIZES)


def test_outliers_do_not_move_the_distribution():
    rng = random.Random(3)
    durations = [rng.gauss(180, 10) for _ in range(30)]
    clean = quantiles(learned(durations), ALL_SIZES)
    durations[10] = 3000.0  # one stuck analysis
    durations[20] = 1.0
    dirty = quantiles(learned(durations), ALL_SIZES)
    assert dirty[-1][1] < 260 and dirty[0][1] > 100
    assert median_seconds(dirty) == pytest.approx(median_seconds(clean), abs=5)


def test_decay_follows_drift():
    model = learned([100.0 + i % 5 for i in range(MAX_OBSERVATIONS)])
    assert median_seconds(quantiles(model, ALL_SIZES)) == pytest.approx(102, abs=3)
    model = learned([200.0 + i % 5 for i in range(12)], model=model)
    # Twelve new analyses outweigh the older ones: the median has moved to the new level.
    assert median_seconds(quantiles(model, ALL_SIZES)) > 190
    assert observation_count(model, ALL_SIZES) == MAX_OBSERVATIONS  # bounded


def test_the_model_is_plain_json_and_a_broken_document_is_cold():
    model = learned([180.0] * MIN_OBSERVATIONS)
    again = json.loads(json.dumps(model))
    assert quantiles(again, ALL_SIZES) == quantiles(model, ALL_SIZES)
    assert quantiles({"version": 999}, ALL_SIZES) is None
    assert quantiles(None, ALL_SIZES) is None
    assert observe({"garbage": True}, "a", ALL_SIZES, [(1, 2)])["buckets"][ALL_SIZES]["count"] == 1


def test_wide_intervals_are_clipped_to_the_robust_window():
    model = learned([180.0] * 20, width=2)
    model = observe(model, "a", ALL_SIZES, [(0.0, 181.0)])  # first seen done at 181 s, previous check at 0 s
    pairs = quantiles(model, ALL_SIZES)
    assert pairs[0][1] > 150
