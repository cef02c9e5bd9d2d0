"""Runs on semi-liquid private-credit funds (C13) [R13, R29].

A share ``pc_semi_liquid_share`` of each fund's non-insurer units is held through semi-liquid
vehicles (evergreen and interval funds, non-traded BDCs) by wealth investors
(``WEALTH_INVESTORS``), who may ask each month to redeem. Each month, for each fund, they ask
to redeem the share ``r`` of the units they do not already have in the queue:

    r_perf = b * L                      flow-performance (Goldstein, Jiang and Ng 2017)
    g      = max(0, NAV_seen / NAV_true - 1) + (1 - p_loans)
    r      = min(1, r_perf / (1 - k g))  if k g < 1, else 1 (everyone asks)

``L`` is how far the fund's reported total return per month over the last quarter fell
short of what its investors expected from the year before
(:meth:`PrivateCreditFund.reported_shortfall_per_month`; 0.5.x-0.6.0 used the reported loss,
which a diversified fund's income kept at 0 through the whole winter), ``b`` =
``run_flow_performance_sensitivity``. ``g`` is what an investor gains by redeeming before
the others: a fund that pays at a stale NAV above its true NAV pays leavers more than their
share, and the loans it sells to pay them go at the loan market's discount ``1 - p_loans``
(its holdings' value-weighted price), which those who stay bear (Chen, Goldstein and Jiang
2010: payoff complementarities make outflows from illiquid funds more sensitive to poor
performance). With ``k`` = ``run_complementarity``, each investor's request rises with the
redemptions it expects from the others, ``r = r_perf + k g r``; the month's requests are that
equation's solution, so they are the same whoever decides first. The queue and the gate
(``pc_redemption_gate_per_quarter`` [R13]) are the fund's (:meth:`PrivateCreditFund.pay_redemptions`).
With C13 off no wealth investor asks to redeem.
"""
from __future__ import annotations

from aicredit.abm.economy import Economy
from aicredit.abm.markets.loan_market import LOAN_CLASSES, loan_holdings_usd

__all__ = ["WEALTH_INVESTORS", "first_mover_gain", "run_request_share", "request_run_redemptions"]

#: The outside account of the wealth investors in semi-liquid vehicles.
WEALTH_INVESTORS = "wealth_investors"


def first_mover_gain(fund) -> float:
    """``g``: the stale NAV's premium over true NAV plus the loan market's discount on its loans."""
    true_nav = fund.true_nav_usd()
    seen = fund.nav_seen_usd()
    stale = max(0.0, seen / true_nav - 1.0) if true_nav > 0 else 1.0
    held = loan_holdings_usd(fund)
    total = held.sum()
    price = fund.model.loan_market.price[:len(LOAN_CLASSES)]
    discount = 1.0 - float(price @ held) / total if total > 0 else 0.0
    return stale + discount


def run_request_share(shortfall_per_month: float, gain: float, sensitivity: float,
                      complementarity: float) -> float:
    """``r = min(1, b L / (1 - k g))``, 1 once ``k g >= 1`` (module docstring)."""
    perf = sensitivity * max(0.0, shortfall_per_month)
    if perf <= 0:
        return 0.0
    amplifier = 1.0 - complementarity * max(0.0, gain)
    if amplifier <= 0:
        return 1.0
    return min(1.0, perf / amplifier)


def request_run_redemptions(economy: Economy) -> None:
    """Each live fund's wealth investors ask to redeem the month's share of their free units."""
    p = economy.p
    if not (p.c13_runs and p.c5_pc_losses_to_lps):
        return
    investors = economy.outside(WEALTH_INVESTORS)
    for f in economy.funds:
        if f.defaulted:
            continue
        claims = [c for c in economy.claims.held(investors, "fund_share") if c.issuer is f and c.units > 0]
        if not claims:
            continue
        r = run_request_share(f.reported_shortfall_per_month(), first_mover_gain(f),
                              p.run_flow_performance_sensitivity, p.run_complementarity)
        if r <= 0:
            continue
        for c in claims:
            free = max(0.0, c.value_usd() - f.redemption_requests.get(c, 0.0))
            f.request_redemption(c, r * free)
            economy.month.run_requests_usd += r * free
