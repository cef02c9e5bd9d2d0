"""The baseline's paths against public ranges: the second half of the validation page.

The experiment table checks that each mechanism moves outputs the right way; this table
checks that the calibrated ``baseline`` lands where the public record says the quantities it
models were in 2023-2026: the default rate of private credit's tech book, GPU rents and the
step down of used-GPU prices at a release, the growth of banks' lending to non-banks and
hyperscalers' credit spreads. Each :class:`PublicRange` names the reporter it reads, the
months it reads (month 0 is January 2025), how it summarises them and the range with its
source (``docs/sources.md``). :func:`measure` reads one run; :func:`check_ranges` averages
over the validation's baseline runs (the seeds of the page) and says whether the mean falls
inside the range.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["PublicRange", "RANGES", "RANGE_REPORTERS", "measure", "check_ranges", "render_ranges"]


@dataclasses.dataclass(frozen=True)
class PublicRange:
    """A public range for a statistic of one baseline reporter.

    ``statistic``: ``"mean"`` (the mean over ``months``), ``"growth_per_year"`` (the yearly
    growth rate between the first and last month of ``months``, ``(x_last / x_first)**(12 /
    months) - 1``) or ``"mean_of_finite"`` (the mean of the months where the reporter is
    defined: a reporter that is NaN except at events, e.g. releases). ``months``: the first and
    last month read (inclusive; ``None`` for the last: the run's end)."""

    key: str
    label: str
    reporter: str
    statistic: str
    months: tuple[int, int | None]
    lo: float
    hi: float
    unit: str
    source: str
    note: str
    scale: float = 1.0


RANGES: list[PublicRange] = [
    PublicRange("tech_default_rate", "private credit's tech book: defaults a year",
                "tech_loan_default_rate_per_year", "mean", (12, None), 0.014, 0.057, "%",
                "[R28, R29]", "Proskauer's senior-loan default index (1.4-2.7%) to Fitch's "
                "private-credit default rate (5.0-5.7%), 2023-2025; BDC non-accruals 3-5%", 100.0),
    PublicRange("gpu_rent_2025_26", "H100-hour rent, October 2025 to March 2026",
                "gpu_rental_usd_per_hour", "mean", (9, 14), 1.70, 2.35, "USD an hour", "[R19]",
                "one-year contracts from their October 2025 low to March 2026"),
    PublicRange("gpu_previous_generation", "previous generation's price over list price",
                "gpu_previous_vintage_price_ratio", "mean", (1, None), 0.70, 0.80, "ratio", "[R20]",
                "a generation on, a used GPU sells 20-30% below a new one's price"),
    PublicRange("bank_nbfi_growth", "banks' lending to non-banks: growth a year",
                "bank_nbfi_loans_usd", "growth_per_year", (0, 36), 0.10, 0.30, "%", "[R14, R30]",
                "about 23% a year for fifteen years to 2025; the range allows for the cycle", 100.0),
    PublicRange("hyperscaler_spread", "hyperscalers' credit spread over the best-rated coupon",
                "hyperscaler_credit_spread", "mean", (0, 24), 0.0, 0.015, "bp", "[R9, R27]",
                "investment-grade issuers (aa to bbb) in 2025-26", 1e4),
]
#: The reporters the table reads (the validation records their series in the baseline arm).
RANGE_REPORTERS = sorted({r.reporter for r in RANGES})


def measure(r: PublicRange, series) -> float:
    """The statistic of ``r`` on one run's series of its reporter (indexed by month)."""
    x = np.asarray(series, dtype=float)
    first, last = r.months
    last = len(x) - 1 if last is None else min(last, len(x) - 1)
    window = x[first:last + 1]
    if window.size == 0:
        return math.nan
    if r.statistic == "mean":
        return float(window.mean())
    if r.statistic == "mean_of_finite":
        finite = window[np.isfinite(window)]
        return float(finite.mean()) if finite.size else math.nan
    if r.statistic == "growth_per_year":
        if window[0] <= 0 or last <= first:
            return math.nan
        return float((window[-1] / window[0]) ** (12.0 / (last - first)) - 1.0)
    raise ValueError(f"PublicRange {r.key!r}: unknown statistic {r.statistic!r}")


def check_ranges(series_by_reporter: dict) -> list[dict]:
    """One row per range: the baseline's mean over runs (``series_by_reporter[reporter]`` is a
    list of series, one per seed), its lowest and highest run, and whether the mean is inside."""
    rows = []
    for r in RANGES:
        values = np.array([measure(r, s) for s in series_by_reporter.get(r.reporter, [])])
        values = values[np.isfinite(values)]
        mean = float(values.mean()) if values.size else math.nan
        rows.append(dict(range=r, mean=mean, lo=float(values.min()) if values.size else math.nan,
                         hi=float(values.max()) if values.size else math.nan, n=int(values.size),
                         inside=bool(values.size and r.lo <= mean <= r.hi)))
    return rows


def _g(x: float, scale: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x * scale:.3g}"


def render_ranges(rows) -> list[str]:
    """The page's table of the baseline against public ranges."""
    out = ["| quantity | months | baseline mean | runs' range | public range | inside | source |",
           "|---|---|---:|---|---|:-:|---|"]
    for row in rows:
        r = row["range"]
        months = f"{r.months[0]}-{'end' if r.months[1] is None else r.months[1]}"
        out.append(f"| {r.label} ({r.unit}) | {months} | {_g(row['mean'], r.scale)} | "
                   f"{_g(row['lo'], r.scale)} to {_g(row['hi'], r.scale)} | "
                   f"{_g(r.lo, r.scale)} to {_g(r.hi, r.scale)}: {r.note} | "
                   f"{'yes' if row['inside'] else '**no**'} | {r.source} |")
    return out
