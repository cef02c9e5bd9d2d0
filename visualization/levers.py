"""The levers on the page and the per-session model behind it (no Solara needed here).

:data:`LEVERS` lists the scenario parameters the page lets a user move, with the widget for
each (Mesa's ``model_params`` format). A lever left at its default value leaves the chosen
scenario's own value in force (so picking ``ai_winter`` gives the winter's demand growth);
moving it overrides the scenario. The page shows the values actually in force.

:class:`VizModel` is :class:`models.AIEconomyModel` as the page builds it: the seed comes
from a text box, per-agent data is not collected (the page does not need it), equity at
step 0 is recorded (to mark distressed institutions), and a value the model rejects does
not break the page: the message is kept in ``param_error`` and the model is built from
the session's last accepted parameters instead.

Large economies (the ``synthetic`` scenario: more than :data:`LARGE_ECONOMY_AGENTS` agents)
take minutes and gigabytes per session, so a visitor can choose them only when the server
was started with ``aicredit viz --allow-large`` (:func:`large_allowed`); otherwise they are
not offered (:func:`page_scenarios`) and :class:`VizModel` refuses them.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import os
from dataclasses import dataclass, field

from aicredit.models import AIEconomyModel, ScenarioError, load_scenario, scenario_names
from aicredit.models.scenario import CHANNELS as SCENARIO_CHANNELS
from aicredit.models.scenario import LARGE_ECONOMY_AGENTS, Scenario, economy_agents
from aicredit.visualization import ALLOW_LARGE_ENV

__all__ = ["LEVERS", "CHANNELS", "VizSession", "VizModel", "lever_overrides", "parse_seed",
           "model_params", "lever_summary", "economy_size", "large_allowed", "page_scenarios",
           "LARGE_ECONOMY_AGENTS"]

_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Scenario)}
_META = {f.name: f.metadata for f in dataclasses.fields(Scenario)}

#: The channel switches C1..CN (the names of :data:`aicredit.models.scenario.CHANNELS`).
CHANNELS = list(SCENARIO_CHANNELS)


def _channel_label(name: str) -> str:
    """The checkbox label: the switch's documentation without its sources, cut at 48 characters."""
    doc = SCENARIO_CHANNELS[name].doc
    head = doc.split(" [")[0].rstrip(".")
    return head if len(head) <= 48 else head[:46] + "..."


def _slider(kind: str, name: str, label: str, lo: float, hi: float, step: float) -> dict:
    """A slider for the Scenario field ``name``: its range ``lo..hi`` lies inside the field's
    valid range and holds the field's default strictly inside (not at an end), so the slider
    starts where a user can move it both ways and never offers a value the model rejects."""
    meta = _META[name]
    if (meta["low"] is not None and lo < meta["low"]) or (meta["high"] is not None and hi > meta["high"]):
        raise ValueError(f"lever {name}: {lo}..{hi} leaves the valid range {meta['low']}..{meta['high']}")
    if not lo < _DEFAULTS[name] < hi:
        raise ValueError(f"lever {name}: default {_DEFAULTS[name]} not inside {lo}..{hi}")
    return dict(type=kind, label=label, min=lo, max=hi, step=step)


#: Lever name -> widget (Mesa SolaraViz model_params format); ``value`` is the default. The
#: slider ranges cover the values worth exploring (the shipped scenarios' and sweeps' among
#: them) within each parameter's valid range (:func:`_slider`); the origination LTV stops at
#: the maintenance LTV (``gpu_loan_margin_ltv``), above which the model rejects it.
LEVERS: dict[str, dict] = {
    "demand_growth_per_year": _slider("SliderFloat", "demand_growth_per_year",
                                      "AI demand growth (initial, per year)", -0.5, 3.0, 0.05),
    "gpu_generation_months": _slider("SliderInt", "gpu_generation_months",
                                     "Months between GPU generations", 3, 36, 1),
    "gpu_loan_max_ltv": _slider("SliderFloat", "gpu_loan_max_ltv", "GPU-loan origination LTV",
                                0.3, _DEFAULTS["gpu_loan_margin_ltv"], 0.01),
    "bank_pc_lending_share": _slider("SliderFloat", "bank_pc_lending_share",
                                     "Bank lending share to private credit", 0.0, 1.0, 0.05),
    "allow_401k_alternatives": dict(type="Checkbox", label="401(k) access to alternatives"),
    "saver_pc_target_share": _slider("SliderFloat", "saver_pc_target_share",
                                     "401(k) share in private credit", 0.0, 0.3, 0.01),
    "spv_consolidation": dict(type="Checkbox", label="SPV consolidation (lenders see SPV debt)"),
    "fire_sale_depth_share": _slider("SliderFloat", "fire_sale_depth_share",
                                     "Fire-sale market depth (x tradable units)", 0.05, 5.0, 0.05),
    **{c: dict(type="Checkbox", label=_channel_label(c)) for c in CHANNELS},
}
for _name, _w in LEVERS.items():
    _w["value"] = _DEFAULTS[_name]

#: An economy's agents (:func:`aicredit.models.scenario.economy_agents`); above
#: LARGE_ECONOMY_AGENTS it is large: minutes to build and step and gigabytes per browser session.
economy_size = economy_agents


def large_allowed() -> bool:
    """Whether the server was started with ``aicredit viz --allow-large``."""
    return os.environ.get(ALLOW_LARGE_ENV) == "1"


def check_size(scenario: Scenario, name: str) -> None:
    """Refuse (ScenarioError) a large economy unless the server allows them."""
    if economy_size(scenario) > LARGE_ECONOMY_AGENTS and not large_allowed():
        raise ScenarioError(f"scenario {name!r} is a large economy (~{economy_size(scenario):,} "
                            f"agents); the server must be started with aicredit viz --allow-large")


def page_scenarios() -> list[str]:
    """The scenarios a visitor can choose: the shipped ones, without the large economies
    unless the server allows them."""
    return scenario_names(large=large_allowed())


def parse_seed(value) -> int:
    """The seed typed in the page: a whole number >= 0 (raises ScenarioError otherwise)."""
    text = str(value).strip()
    try:
        seed = int(text)
    except ValueError:
        raise ScenarioError(f"seed must be a whole number, got {text!r}") from None
    if seed < 0:
        raise ScenarioError(f"seed must be >= 0, got {seed}")
    return seed


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def lever_overrides(values: dict) -> dict:
    """The lever values that differ from their defaults (these override the scenario)."""
    return {k: v for k, v in values.items() if k in LEVERS and not _same(v, _DEFAULTS[k])}


@dataclass
class VizSession:
    """One browser session's memory: the last parameters the model accepted."""

    scenario: str = "baseline"
    seed: int = 0
    overrides: dict = field(default_factory=dict)


_serial = itertools.count()


class VizModel(AIEconomyModel):
    """The model as the page builds it (see the module docstring).

    ``**kwargs`` are lever values (see :data:`LEVERS`) or any other scenario key. Mesa's
    SolaraViz checks parameter names against this signature, so it must say ``kwargs``.
    """

    def __init__(self, scenario: str = "baseline", seed=0, session: VizSession | None = None,
                 **kwargs):
        session = session if session is not None else VizSession()
        error = None
        try:
            seed_value = parse_seed(seed)
            overrides = {**lever_overrides(kwargs),
                         **{k: v for k, v in kwargs.items() if k not in LEVERS}}
            check_size(load_scenario(scenario, **overrides), str(scenario))  # validate first
        except ScenarioError as exc:
            error = str(exc)
            scenario, seed_value, overrides = session.scenario, session.seed, dict(session.overrides)
        super().__init__(scenario, seed=seed_value, collect_agents=False, **overrides)
        session.scenario, session.seed, session.overrides = str(scenario), seed_value, dict(overrides)
        self.param_error: str | None = error
        self.overrides = dict(overrides)
        self.viz_serial = next(_serial)
        self.initial_equity_usd = {a.name: a.equity_usd() for a in self.institutions}


def model_params(session: VizSession | None = None) -> dict:
    """SolaraViz ``model_params``: scenario, seed, the levers, and the session (fixed)."""
    names = page_scenarios()
    params = {
        "scenario": dict(type="Select", label="Scenario", value="baseline", values=names),
        "seed": dict(type="InputText", label="Seed (whole number; Enter to apply)", value="0"),
        **{k: dict(v) for k, v in LEVERS.items()},
    }
    params["session"] = session if session is not None else VizSession()
    return params


def lever_summary(model) -> str:
    """The values in force for the main levers, e.g. ``demand growth 0.8/yr, ...``."""
    p = model.p
    off = [SCENARIO_CHANNELS[c].code for c in CHANNELS if not getattr(p, c)]
    return (f"demand growth {p.demand_growth_per_year:g}/yr; GPU generation every "
            f"{p.gpu_generation_months} months; GPU-loan origination LTV {p.gpu_loan_max_ltv:g}; "
            f"bank share to "
            f"private credit {p.bank_pc_lending_share:g}; 401(k) alternatives "
            f"{'on' if p.allow_401k_alternatives else 'off'} (share {p.saver_pc_target_share:g}); "
            f"SPVs {'consolidated' if p.spv_consolidation else 'off balance sheet'}; fire-sale depth "
            f"{p.fire_sale_depth_share:g}; channels off: {', '.join(off) if off else 'none'}")
