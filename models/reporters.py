"""What the DataCollector records each month (the spec's outputs).

Model reporters are functions of the model; each name is a column of
``model_vars.parquet``. GPU prices are one column per vintage (``gpu_price_v0`` ...).
Money is in USD.
"""
from __future__ import annotations

import math

import numpy as np

from aicredit.abm.agents.bank import AI_LOSS_KINDS
from aicredit.abm.agents.base import Institution
from aicredit.abm.agents.hyperscaler import aggregate_leverage
from aicredit.abm.agents.private_credit import BDC
from aicredit.abm.markets.gpu import units_outstanding
from aicredit.abm.markets.loan_market import ABS
from aicredit.abm.sectors import SECTORS
from aicredit.abm.units import MONTHS_PER_YEAR

__all__ = ["model_reporters", "agent_reporters"]


def _alive(items):
    return [x for x in items if not x.defaulted]


def _vehicles(m, bdcs: bool):
    """Live private-credit vehicles of one kind: the BDCs [R15] (``bdcs``) or the LP-owned funds."""
    return [f for f in _alive(m.funds) if isinstance(f, BDC) == bdcs]


def _mean(values):
    values = list(values)
    return float(np.mean(values)) if values else float("nan")


def _min(values):
    return min(values, default=float("nan"))


def _worst_notch(m):
    """The lowest-rated live hyperscaler's rating notch now (1 AAA, 9 BBB, 11 BB+; NaN if none)."""
    notches = [h.rating_for(h.visible_debt_usd()) for h in _alive(m.hyperscalers)]
    return max(notches) if notches else math.nan


def _saver_balances(m):
    """401(k) balances at the last collection (computed once per step by the model)."""
    return m.saver_returns.balances_usd


def _solvency_fall(m, kind: str) -> float:
    """The largest fall of a live insurer's RBC ratio of ``kind`` from the month before the
    shock (step 0 without a shock); 0 when none of that kind is alive."""
    falls = [i.ratio_before_shock - r for i, r in zip(_alive(m.insurers), _insurer_ratios(m), strict=True)
             if i.kind == kind and not math.isnan(i.ratio_before_shock)]
    return max(falls, default=0.0)


def _once_a_month(m, name: str, compute):
    """``compute(m)``, computed once per month (collection) for every reporter that reads it:
    the reporters of one collection see the same model, so the sum over balance sheets behind
    the value need not be taken again."""
    memo = m.__dict__.setdefault("_reporter_memo", {})
    hit = memo.get(name)
    if hit is None or hit[0] != m.steps:
        hit = memo[name] = (m.steps, compute(m))
    return hit[1]


def _insurer_ratios(m) -> list[float]:
    """Live insurers' solvency ratios, once a month for the reporters that read them (each
    ratio sums over an insurer's holdings: hundreds of fund interests at scale)."""
    return _once_a_month(m, "insurer_ratios", lambda m: [i.solvency_ratio() for i in _alive(m.insurers)])


def _bank_ratios(m) -> list[float]:
    """Live banks' capital ratios, once a month for the mean and the minimum."""
    return _once_a_month(m, "bank_ratios", lambda m: [b.capital_ratio() for b in _alive(m.banks)])


def _pct(q):
    return lambda m: float(np.percentile(_saver_balances(m), q))


def _leverage(consolidated: bool):
    """Aggregate hyperscaler debt over aggregate equity [F20, F21]; reported leverage adds SPV
    debt only under the consolidation policy (C11)."""
    return lambda m: aggregate_leverage(m.hyperscalers, consolidated)


def _debt_coupon(m) -> float:
    """Hyperscalers' funding cost: the mean coupon per year of their interest-bearing debt
    (bonds and bank loans, weighted by principal; NaN without debt)."""
    debt = rate = 0.0
    for h in _alive(m.hyperscalers):
        for c in h.claims_issued():
            if c.kind in ("bond", "bank_loan"):
                debt += c.principal_usd
                rate += c.principal_usd * c.rate_per_month
    return MONTHS_PER_YEAR * rate / debt if debt > 0 else float("nan")


def _bank_nbfi_loans(m) -> float:
    """Banks' loans to non-banks [R14, R30]: drawn lines to private-credit funds and BDCs, GPU
    loans and data-centre construction loans (ABS are securities, not loans)."""
    return sum(c.value_usd() for b in _alive(m.banks)
               for c in b.claims_held() if c.kind in ("credit_line", "construction_loan")) \
        + _bank_gpu_loans(m)


def _bank_gpu_loans(m) -> float:
    """The live banks' syndicate shares of GPU loans [R31]."""
    return sum(b.gpu_loans_held_usd() for b in _alive(m.banks))


def _bank_channels(m) -> dict:
    """Banks' use of capital by channel, once a month: the AI channel (lines to funds and
    BDCs, GPU loans, data-centre construction loans and ABS: :data:`abm.agents.bank.AI_KINDS`)
    and the rest. ``losses``: realised losses on claims the banks held (the loss book's
    events, scanned incrementally); ``provisions``: the live banks' allowance now;
    ``capital_use``: realised losses plus the allowance's rise since step 0, over the live
    banks' risk-weighted assets (the points of CET1 ratio each channel has taken)."""
    memo = getattr(m, "_bank_channels_memo", None)
    if memo is not None and memo["step"] == m.steps:
        return memo
    if memo is None:
        memo = {"scanned": 0, "losses": {"ai": 0.0, "other": 0.0}}
    events = m.losses.events
    for e in events[memo["scanned"]:]:
        if e["holder_sector"] == "bank":
            memo["losses"]["ai" if e["kind"] in AI_LOSS_KINDS else "other"] += e["amount_usd"]
    memo["scanned"] = len(events)
    live = _alive(m.banks)
    prov = {"ai": 0.0, "other": 0.0}
    rise = {"ai": 0.0, "other": 0.0}
    for b in live:
        for ch, v in b.allowance_by_channel_usd().items():
            prov[ch] += v
            rise[ch] += v - b.opening_allowance_usd.get(ch, 0.0)
    rwa = sum(b.capital.rwa_usd(b) for b in live)
    memo["provisions"] = prov
    memo["capital_use"] = {ch: ((memo["losses"][ch] + rise[ch]) / rwa if rwa > 0 else float("nan"))
                           for ch in prov}
    memo["step"] = m.steps
    m._bank_channels_memo = memo
    return memo


def _bank(what: str, channel: str):
    return lambda m: float(_bank_channels(m)[what][channel])


def _defaults(sector):
    return lambda m: sum(1 for e in m.default_events if e["sector"] == sector)


def _previous_vintage_price_ratio(m) -> float:
    """Market price of the vintage before the newest over list price [R20]: how much less a
    GPU a generation old fetches than a new one."""
    gm = m.gpu_market
    n = gm.newest(m.steps)
    return float(gm.price[n - 1] / gm.unit_price_usd) if n > 0 else float("nan")


def _price(v):
    return lambda m: float(m.gpu_market.price[v])


def model_reporters() -> dict:
    """Per-step outputs (see ``docs/outputs.md``)."""
    r = {
        "step": lambda m: m.steps,
        "ai_demand_usd_per_month": lambda m: m.demand.usd_per_month,
        "ai_sentiment": lambda m: m.equity_market.sentiment,
        "ai_index": lambda m: m.equity_market.index_level,
        "gpu_newest_vintage": lambda m: m.gpu_market.newest(m.steps),
        "gpu_price_index": lambda m: m.gpu_market.price_index(m.steps, units_outstanding(m.institutions)),
        "gpu_utilisation": lambda m: m.gpu_market.utilisation,
        "gpu_rental_usd_per_hour": lambda m: m.gpu_market.rental_rate,
        "gpu_demand_ratio": lambda m: m.gpu_market.demand_ratio,
        "gpu_previous_vintage_price_ratio": _previous_vintage_price_ratio,
        "compute_spending_usd": lambda m: m.compute_buyers.total_usd,
        "compute_spending_labs_usd": lambda m: m.compute_buyers.labs_usd,
        "units_fire_sold": lambda m: float(m.gpu_market.units_sold.sum()),
        "margin_calls": lambda m: m.month.margin_calls,
        "gpu_loan_defaults": lambda m: m.month.gpu_loan_defaults,
        "gpu_loan_principal_due_usd": lambda m: m.month.gpu_principal_due_usd,
        "gpu_rollovers_refused_usd": lambda m: m.month.rollovers_refused_usd,
        "equity_issued_usd": lambda m: m.month.equity_issued_usd,
        "gpu_loans_outstanding_usd": lambda m: float(m.gpu_loans.debt[m.gpu_loans.active].sum()),
        "defaults_total": lambda m: len(m.default_events),
        "losses_total_usd": lambda m: sum(m.losses.by_category.values()),
        "bank_capital_ratio_mean": lambda m: _mean(_bank_ratios(m)),
        "bank_capital_ratio_min": lambda m: _min(_bank_ratios(m)),
        "insurer_solvency_mean": lambda m: _mean(_insurer_ratios(m)),
        "insurer_solvency_min": lambda m: _min(_insurer_ratios(m)),
        "insurer_forced_sales_usd": lambda m: m.month.insurer_sales_usd,
        "insurer_redemption_requests_usd": lambda m: m.month.insurer_redemption_requests_usd,
        "insurer_derisk_sales_usd": lambda m: m.month.insurer_derisk_sales_usd,
        "insurer_withdrawals_usd": lambda m: m.month.insurer_withdrawals_usd,
        "insurer_solvency_fall_traditional": lambda m: _solvency_fall(m, "traditional"),
        "insurer_solvency_fall_pe": lambda m: _solvency_fall(m, "pe_affiliated"),
        "placement_designation_mean": lambda m: m.placements.mean_category(),
        "placement_rbc_factor": lambda m: m.placements.factor,
        "placement_defaults": lambda m: m.month.placement_defaults,
        "abs_mark": lambda m: float(m.loan_market.price[ABS]),
        "pc_reported_nav_usd": lambda m: sum(f.reported_nav_usd for f in _alive(m.funds)),
        "pc_true_nav_usd": lambda m: sum(f.true_nav_usd() for f in _alive(m.funds)),
        "pc_lending_appetite": lambda m: _mean(f.appetite for f in _alive(m.funds)),
        "pc_redemptions_usd": lambda m: m.month.redemptions_usd,
        "pc_distributions_usd": lambda m: m.month.distributions_usd,
        "pc_stale_nav_transfer_usd": lambda m: m.month.stale_nav_transfer_usd,
        "pc_bank_facilities_drawn_usd": lambda m: sum(f.drawn_usd() for f in _alive(m.funds)),
        "pc_loan_to_nav_max": lambda m: max((f.loan_to_nav() for f in _vehicles(m, False)), default=0.0),
        "bdc_debt_to_equity_max": lambda m: max((f.loan_to_nav() for f in _vehicles(m, True)), default=0.0),
        "bdc_bank_debt_usd": lambda m: sum(f.drawn_usd() for f in _vehicles(m, True)),
        "bdc_true_nav_usd": lambda m: sum(f.true_nav_usd() for f in _vehicles(m, True)),
        "pc_covenant_breaches": lambda m: m.month.covenant_breaches,
        "bdc_covenant_breaches": lambda m: m.month.bdc_covenant_breaches,
        "pc_loans_sold_usd": lambda m: m.month.pc_loans_sold_usd,
        # the fire sale's mark on the loans surviving funds and BDCs still hold: unrealised,
        # so not in the loss book (C12)
        "pc_market_discount_usd": lambda m: sum(f.market_discount_usd for f in _alive(m.funds)),
        "loan_price_tech": lambda m: float(m.loan_market.price[0]),
        "loan_price_spv": lambda m: float(m.loan_market.price[1]),
        "loan_price_other": lambda m: float(m.loan_market.price[2]),
        "fund_interest_price": lambda m: float(m.loan_market.price[3]),
        "pc_run_requests_usd": lambda m: m.month.run_requests_usd,
        "saver_run_requests_usd": lambda m: m.month.saver_run_requests_usd,
        "pc_redemption_queue_usd": lambda m: sum(f.queued_usd() for f in _alive(m.funds)),
        "bank_credit_lines_usd": lambda m: sum(c.limit_usd for b in m.banks
                                               for c in b.claims_held("credit_line")),
        "bank_allowance_usd": lambda m: sum(b.allowance_total_usd() for b in _alive(m.banks)),
        "bank_loans_run_off_usd": lambda m: sum(b.lending_cut_usd for b in m.banks),
        "bank_ai_losses_usd": _bank("losses", "ai"),
        "bank_other_losses_usd": _bank("losses", "other"),
        "bank_ai_provisions_usd": _bank("provisions", "ai"),
        "bank_other_provisions_usd": _bank("provisions", "other"),
        "bank_ai_capital_use": _bank("capital_use", "ai"),
        "bank_other_capital_use": _bank("capital_use", "other"),
        "bank_gpu_loans_usd": _bank_gpu_loans,
        "bank_construction_loans_usd": lambda m: sum(c.value_usd() for b in _alive(m.banks)
                                                     for c in b.claims_held("construction_loan")),
        "bank_nbfi_loans_usd": _bank_nbfi_loans,
        "banks_below_buffer": lambda m: sum(b.cutting for b in _alive(m.banks)),
        "bank_tightening_max": lambda m: max((b.tightening for b in _alive(m.banks)), default=0.0),
        "savers_401k_mean_usd": lambda m: float(_saver_balances(m).mean()),
        "savers_401k_p10_usd": _pct(10),
        "savers_401k_p50_usd": _pct(50),
        "savers_401k_p90_usd": _pct(90),
        "savers_401k_return_index": lambda m: m.saver_returns.index,
        "savers_401k_total_usd": lambda m: float(_saver_balances(m).sum()),
        "savers_panicking": lambda m: m.month.panic_cohorts,
        "savers_401k_realised_loss_usd": lambda m: sum(s.realised_loss_usd for s in m.savers),
        "savers_401k_unrealised_loss_usd": lambda m: sum(s.unrealised_loss_usd() for s in m.savers),
        "savers_401k_pc_usd": lambda m: sum(c.value_usd() for s in m.savers
                                            for c in s.claims_held("fund_share")),
        "hyperscaler_reported_leverage": _leverage(consolidated=False),
        "hyperscaler_consolidated_leverage": _leverage(consolidated=True),
        "hyperscaler_capex_usd": lambda m: sum(h.capex_usd for h in _alive(m.hyperscalers)),
        "hyperscaler_credit_spread": lambda m: _mean(h.credit_spread for h in _alive(m.hyperscalers)),
        "hyperscaler_rating_notch_worst": _worst_notch,
        "hyperscaler_bonds_issued_usd": lambda m: sum(h.bonds_issued_usd for h in _alive(m.hyperscalers)),
        "hyperscaler_debt_coupon": _debt_coupon,
        "hyperscaler_visible_debt_usd": lambda m: sum(h.visible_debt_usd() for h in _alive(m.hyperscalers)),
        "chipmaker_gpu_revenue_usd": lambda m: sum(c.gpu_revenue_usd for c in m.chipmakers),
        "compute_contract_shortfall_usd": lambda m: (m.month.due_by_kind.get("compute_contract", 0.0)
                                                     - m.month.paid_by_kind.get("compute_contract", 0.0)),
        "compute_contract_paid_usd": lambda m: m.month.paid_by_kind.get("compute_contract", 0.0),
        "lapsed_contracts": lambda m: m.month.lapsed_contracts,
        "neocloud_contracted_revenue_usd": lambda m: sum(n.contracted_revenue_usd()
                                                         for n in _alive(m.neoclouds)),
        "spv_walkaways": lambda m: m.month.walkaways,
        "spv_debt_usd": lambda m: sum(x.debt_usd() for x in _alive(m.spvs)),
        "spv_projects_dropped_usd": lambda m: m.month.spv_dropped_usd,
        "credit_supply_index": lambda m: _mean(f.appetite for f in _alive(m.funds)),
        "tech_loan_default_rate_per_year": lambda m: m.tech_borrowers.default_rate_per_year(),
        "tech_ai_spending_surprise": lambda m: m.tech_borrowers.factor,
        "pc_tech_impairment_usd": lambda m: sum(c.impairment_usd for f in _alive(m.funds)
                                                for c in f.claims_held("tech_loan")),
        "money_total_usd": lambda m: m.ledger.total(),
    }
    for sector in SECTORS:
        r[f"defaults_{sector}"] = _defaults(sector)
    return r


def agent_reporters() -> dict:
    """Per-agent, per-step outputs (``agent_vars.parquet``)."""
    return {
        "name": "name",
        "sector": "sector",
        "defaulted": "defaulted",
        "cash_usd": lambda a: a.cash_usd,
        "total_assets_usd": _agent_assets_usd,
        "equity_usd": _agent_equity_usd,
    }


def _agent_assets_usd(a) -> float:
    """An agent's total assets, kept for its equity reporter, which mesa calls next for the
    same agent: summing its claims again would be a fifth of a baseline run's collection."""
    value = a.total_assets_usd()
    a._assets_reported = (a.model.steps, value)
    return value


def _agent_equity_usd(a) -> float:
    """``Institution.equity_usd`` (assets minus liabilities) with the assets just reported; an
    agent whose class defines its equity otherwise is asked for it."""
    seen = getattr(a, "_assets_reported", None)
    if type(a).equity_usd is not Institution.equity_usd or seen is None or seen[0] != a.model.steps:
        return a.equity_usd()
    return seen[1] - a.total_liabilities_usd()


def add_price_reporters(dc_reporters: dict, n_vintages: int) -> dict:
    for v in range(n_vintages):
        dc_reporters[f"gpu_price_v{v}"] = _price(v)
    return dc_reporters
