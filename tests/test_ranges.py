"""The baseline-against-public-ranges table (models/validation/ranges.py): its statistics on
constructed series, its verdicts, and that every range reads a reporter the model records."""
from __future__ import annotations

import math

import pytest

from aicredit.models.validation.ranges import RANGES, PublicRange, check_ranges, measure, render_ranges


def _range(statistic: str, months=(0, None), lo=0.0, hi=1.0) -> PublicRange:
    return PublicRange("x", "x", "rep", statistic, months, lo, hi, "", "[R19]", "a note")


def test_statistics_on_constructed_series():
    assert measure(_range("mean", (1, 2)), [9.0, 1.0, 3.0, 9.0]) == 2.0
    assert measure(_range("mean", (2, None)), [9.0, 9.0, 1.0, 3.0]) == 2.0
    doubled = [100.0 * 2 ** (m / 12) for m in range(25)]             # doubles every year
    assert measure(_range("growth_per_year", (0, 24)), doubled) == pytest.approx(1.0)
    assert measure(_range("mean_of_finite"), [math.nan, 0.2, math.nan, 0.3]) == pytest.approx(0.25)
    assert math.isnan(measure(_range("mean_of_finite"), [math.nan, math.nan]))
    with pytest.raises(ValueError, match="'x': unknown statistic 'median'"):
        measure(_range("median"), [1.0])


def test_inside_is_judged_on_the_mean_over_runs(monkeypatch):
    import aicredit.models.validation.ranges as ranges
    monkeypatch.setattr(ranges, "RANGES", [_range("mean", lo=1.0, hi=2.0)])
    inside = check_ranges({"rep": [[1.2, 1.2], [2.4, 2.4]]})[0]          # mean 1.8
    assert inside["inside"] and inside["mean"] == pytest.approx(1.8) and inside["n"] == 2
    outside = check_ranges({"rep": [[2.2], [2.4]]})[0]
    assert not outside["inside"]
    assert "**no**" in render_ranges([outside])[-1]


def test_every_range_reads_a_reporter_of_the_model(run):
    reporters = run("baseline", steps=1).datacollector.model_reporters
    for r in RANGES:
        assert r.reporter in reporters, f"{r.key}: no reporter {r.reporter!r}"
        assert r.lo < r.hi and r.source.startswith("[R"), r.key
