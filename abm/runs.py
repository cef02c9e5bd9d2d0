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

**401(k) collective trusts.** A saver cohort's holding of its private-credit fund (held
through a collective investment trust once policy allows [F34], C11) faces the same shortfall
``L`` and first-mover gain ``g``, so the same share ``r`` (:func:`run_request_share`, computed
once per fund), but only its active savers react: most 401(k) savers never trade on returns
(Agnew, Balduzzi and Sunden 2003 [R34]), so of a cohort's holding ``V`` only the active share
``a`` = ``saver_active_share`` can run, and what the cohort already has in the queue (its
panicking active savers' requests, :class:`abm.agents.saver.SaverCohort`) counts against it:

    request = r * max(0, a V - Q)

Requests go through the fund's queue and gate like the wealth investors' (the month's total:
``saver_run_requests_usd``). With C13 off no saver runs (panics still redeem).
"""
from __future__ import annotations

from aicredit.abm.agents.saver import SaverCohort
from aicredit.abm.economy import Economy
from aicredit.abm.markets.loan_market import LOAN_CLASSES, loan_holdings_usd

__all__ = ["WEALTH_INVESTORS", "first_mover_gain", "run_request_share",
           "saver_run_request_usd", "request_run_redemptions"]

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


def saver_run_request_usd(share: float, active_share: float, value_usd: float, queued_usd: float) -> float:
    """A cohort's run request ``r * max(0, a V - Q)``: only its active savers' part of the holding
    ``V``, less what it already has queued, runs (Agnew, Balduzzi and Sunden 2003 [R34])."""
    return share * max(0.0, active_share * value_usd - queued_usd)


def request_run_redemptions(economy: Economy) -> None:
    """Each live fund's wealth investors ask to redeem the month's share of their free units, and
    its 401(k) cohorts' active savers the same share of theirs (module docstring)."""
    p = economy.p
    if not (p.c13_runs and p.c5_pc_losses_to_lps):
        return
    investors = economy.outside(WEALTH_INVESTORS)
    held = [c for c in economy.claims.held(investors, "fund_share") if c.units > 0]
    for f in economy.funds:
        if f.defaulted:
            continue
        claims = [c for c in held if c.issuer is f]
        shortfall = f.reported_shortfall_per_month()
        if shortfall <= 0:
            continue        # no request, and no need to price its loans
        r = run_request_share(shortfall, first_mover_gain(f), p.run_flow_performance_sensitivity,
                              p.run_complementarity)
        if r <= 0:
            continue
        savers = [c for c in economy.claims.issued(f, "fund_share")
                  if c.units > 0 and isinstance(c.holder, SaverCohort)]
        for c in claims:
            free = max(0.0, c.value_usd() - f.redemption_requests.get(c, 0.0))
            f.request_redemption(c, r * free)
            economy.month.run_requests_usd += r * free
        price = f.price_per_unit_usd()      # a fund share's value: units at the NAV investors see
        for c in savers:
            ask = saver_run_request_usd(r, p.saver_active_share, c.units * price,
                                        f.redemption_requests.get(c, 0.0))
            if ask > 0:
                f.request_redemption(c, ask)
                economy.month.saver_run_requests_usd += ask
