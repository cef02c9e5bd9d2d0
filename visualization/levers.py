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
"""
from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field

from models import AIEconomyModel, ScenarioError, load_scenario, scenario_names
from models.scenario import Scenario

__all__ = ["LEVERS", "CHANNELS", "VizSession", "VizModel", "lever_overrides", "parse_seed",
           "model_params", "lever_summary"]

_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Scenario)}
_DOCS = {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(Scenario)}

#: The channel switches C1..C11, labelled from their documentation.
CHANNELS = [n for n in _DEFAULTS if n[:1] == "c" and n[1:].split("_")[0].isdigit()]


def _channel_label(name: str) -> str:
    doc = _DOCS[name]
    head = doc.split(" [")[0].rstrip(".")
    return head if len(head) <= 48 else head[:46] + "..."


#: Lever name -> widget (Mesa SolaraViz model_params format); ``value`` is the default.
LEVERS: dict[str, dict] = {
    "demand_growth_per_year": dict(type="SliderFloat", label="AI demand growth (initial, per year)",
                                   min=-0.5, max=3.0, step=0.05),
    "gpu_generation_months": dict(type="SliderInt", label="Months between GPU generations",
                                  min=3, max=36, step=1),
    "gpu_loan_max_ltv": dict(type="SliderFloat", label="GPU-loan origination LTV", min=0.3, max=0.99,
                             step=0.01),
    "bank_pc_lending_share": dict(type="SliderFloat", label="Bank lending share to private credit",
                                  min=0.0, max=1.0, step=0.05),
    "allow_401k_alternatives": dict(type="Checkbox", label="401(k) access to alternatives"),
    "saver_pc_target_share": dict(type="SliderFloat", label="401(k) share in private credit",
                                  min=0.0, max=0.3, step=0.01),
    "spv_consolidation": dict(type="Checkbox", label="SPV consolidation (lenders see SPV debt)"),
    "fire_sale_depth_share": dict(type="SliderFloat", label="Fire-sale market depth (x tradable units)",
                                  min=0.05, max=5.0, step=0.05),
    **{c: dict(type="Checkbox", label=_channel_label(c)) for c in CHANNELS},
}
for _name, _w in LEVERS.items():
    _w["value"] = _DEFAULTS[_name]


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
            load_scenario(scenario, **overrides)           # validate before building
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
    names = scenario_names()
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
    off = [c.split("_")[0].upper() for c in CHANNELS if not getattr(p, c)]
    return (f"demand growth {p.demand_growth_per_year:g}/yr; GPU generation every "
            f"{p.gpu_generation_months} months; GPU-loan origination LTV {p.gpu_loan_max_ltv:g}; "
            f"bank share to "
            f"private credit {p.bank_pc_lending_share:g}; 401(k) alternatives "
            f"{'on' if p.allow_401k_alternatives else 'off'} (share {p.saver_pc_target_share:g}); "
            f"SPVs {'consolidated' if p.spv_consolidation else 'off balance sheet'}; fire-sale depth "
            f"{p.fire_sale_depth_share:g}; channels off: {', '.join(off) if off else 'none'}")
