"""Units of the model: money is USD, time is months (one step = one month, step 0 = January 2025).

Scenario files state money in billions of USD (``_bn`` suffix) and rates per year
(``_per_year``); the engine works in USD and per month. Convert only with these names.
"""
from __future__ import annotations

__all__ = ["BN", "MONTHS_PER_YEAR", "START_YEAR", "month_label"]

#: One billion USD, in USD: ``value_bn * BN`` is USD.
BN = 1e9
#: Steps in a year (a step is a month).
MONTHS_PER_YEAR = 12
#: Calendar year of step 0 (January of it).
START_YEAR = 2025


def month_label(step: int) -> str:
    """The calendar month of ``step`` as ``YYYY-MM`` (step 0 is ``2025-01``)."""
    year, month = divmod(int(step), MONTHS_PER_YEAR)
    return f"{START_YEAR + year:04d}-{month + 1:02d}"
