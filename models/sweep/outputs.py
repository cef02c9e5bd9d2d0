"""Outputs of a run: parsing their names, checking them against a probe model, extracting
their values from a finished model (``summary.json`` keys, reporters, aggregates, series)."""
from __future__ import annotations

import math

from aicredit.models.size import SIZE_PARAMETERS
from aicredit.models.sweep.common import (
    AGGREGATORS,
    FIELDS,
    RESULT_COLUMNS,
    SweepSpec,
    base_params,
    import_model,
    spec_error,
)

__all__ = ["parse_output", "validate_outputs", "extract_outputs", "outputs_from", "shock_window_start"]


def shock_window_start(model) -> int:
    """The first month of the stress window: the month of the scenario's demand shock
    (``demand_shock_step``) when it has one, else month 1. ``min_after_shock`` takes a
    reporter's minimum from there, so a ratio that never falls below its opening value is not
    reported as the opening value of step 0."""
    shock = int(model.p.demand_shock_step)
    return shock if 0 <= shock <= model.steps else 1


def parse_output(name: str) -> tuple[str, str, str | None]:
    """``(kind, target, aggregator)``: kind is ``series``, ``reporter`` or ``summary``."""
    if name.startswith("series:"):
        return "series", name[len("series:"):], None
    if ":" in name:
        target, agg = name.rsplit(":", 1)
        return "reporter", target, agg
    return "summary", name, None


def _probe(spec: SweepSpec):
    """A step-0 model of the sweep's base scenario: the names its outputs may use."""
    from aicredit.models.report import summary
    cls = import_model(spec.model)
    base = base_params(spec)
    # an economy of the same shape at no more than the default sizes: the outputs' names do
    # not depend on its size, and the probe stays quick (and within the size guard) however
    # large the sweep's economies are
    for name in SIZE_PARAMETERS:
        if name != "steps":
            base[name] = min(base[name], FIELDS[name].default)
    model = cls("baseline", seed=0, collect_agents=False, **base)
    reporters = list(model.datacollector.model_reporters)
    return summary(model), reporters


def validate_outputs(spec: SweepSpec, kind: str) -> None:
    """Check the spec's outputs against a step-0 model of its first scenario (``kind``:
    ``"sensitivity"`` allows scalar outputs only); raises :class:`SweepError` naming the first
    bad one."""
    summ, reporters = _probe(spec)
    for name in spec.outputs:
        okind, target, agg = parse_output(name)
        if name in spec.param_names or name in RESULT_COLUMNS:
            raise spec_error(spec.source, "outputs", name, "clashes with a column of the results")
        if okind == "series":
            if kind == "sensitivity":
                raise spec_error(spec.source, "outputs", name, "a sensitivity analysis needs scalar "
                           "outputs, not whole series")
            if target not in reporters:
                raise spec_error(spec.source, "outputs", name, f"unknown reporter '{target}'")
        elif okind == "reporter":
            if target not in reporters:
                raise spec_error(spec.source, "outputs", name, f"unknown reporter '{target}'")
            if agg not in AGGREGATORS:
                raise spec_error(spec.source, "outputs", name, f"unknown aggregator '{agg}' "
                           f"(known: {', '.join(AGGREGATORS)})")
        else:
            value, found = summ, True
            for part in target.split("."):
                if isinstance(value, dict) and part in value:
                    value = value[part]
                else:
                    found = False
                    break
            if not found:
                if "." not in target and target in reporters:
                    continue                     # a reporter's end value
                raise spec_error(spec.source, "outputs", name, "not a summary.json key or a reporter "
                           f"(summary keys: {', '.join(k for k in summ)}; reporters are listed "
                           "in models/reporters.py)")
            if isinstance(value, dict):
                raise spec_error(spec.source, "outputs", name, "is a table; name one of its keys, "
                           f"e.g. '{target}.{next(iter(value))}'")
            if isinstance(value, str):
                raise spec_error(spec.source, "outputs", name, "is not a number")


def extract_outputs(model, outputs: list[str]) -> dict:
    """The values of ``outputs`` (names as :func:`parse_output` reads them) from a finished
    model: floats, NaN for a missing summary value, lists of floats for series."""
    from aicredit.models.report import summary
    return outputs_from(model.datacollector.get_model_vars_dataframe(), lambda: summary(model),
                        lambda: shock_window_start(model), outputs)


def outputs_from(df, summary_of, shock_start_of, outputs: list[str]) -> dict:
    """:func:`extract_outputs` from what a finished model leaves for them: its reporters'
    frame ``df``, ``summary_of()`` (its ``summary.json`` dict) and ``shock_start_of()`` (its
    :func:`shock_window_start`), each called only when an output needs it (a run read back
    from :mod:`.run_cache` has them stored)."""
    out = {}
    summ = None
    for name in outputs:
        kind, target, agg = parse_output(name)
        if kind == "summary":
            if summ is None:
                summ = summary_of()
            if target.split(".")[0] not in summ and target in df.columns:
                kind, agg = "reporter", "end"           # a bare reporter name: its end value
        if kind == "series":
            out[name] = [float(v) for v in df[target].to_numpy(dtype=float)]
        elif kind == "reporter":
            col = df[target].to_numpy(dtype=float)
            if agg == "end":
                v = col[-1]
            elif agg == "max":
                v = col.max()
            elif agg == "min":
                v = col.min()
            elif agg == "mean":
                v = col.mean()
            elif agg == "sum":
                v = col.sum()
            elif agg == "min_after_shock":
                v = col[shock_start_of():].min()
            else:                                  # first_step: first month above 0
                hits = (col > 0).nonzero()[0]
                v = float(df["step"].iloc[hits[0]]) if hits.size else math.nan
            out[name] = float(v)
        else:
            value = summ
            for part in target.split("."):
                value = value[part]
            out[name] = math.nan if value is None else float(value)
    return out
