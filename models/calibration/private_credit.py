"""Private-credit funds at step 0 and the opening book of GPU-backed loans [F6, F23, F28-F31]."""
from __future__ import annotations

import numpy as np

from aicredit.abm.agents import BDC, PrivateCreditFund
from aicredit.abm.claims import CreditLine, Debt, LoanPool
from aicredit.abm.runs import WEALTH_INVESTORS
from aicredit.abm.units import BN, MONTHS_PER_YEAR
from aicredit.models.calibration._common import endow, stake
from aicredit.models.calibration.neoclouds import neocloud_scales

__all__ = ["fund_weights", "build_funds", "lp_funds", "bdc_leverage", "build_opening_gpu_loans",
           "build_fund_balance_sheets"]


def fund_weights(p) -> np.ndarray:
    """Each fund's share of private credit's books: Blue Owl first, the others equal."""
    nf = p.n_pc_funds
    lead = p.pc_lead_fund_share
    return np.array([lead] + [(1 - lead) / (nf - 1)] * (nf - 1)) if nf > 1 else np.array([1.0])


def build_funds(model) -> None:
    """Create Blue Owl, the other private-credit funds and the BDCs [R15] (empty balance sheets).

    Sets ``model.funds`` (the funds first, then the BDCs); a vehicle's ``index`` is its
    position on the GPU-loan book's lender axis.
    """
    p = model.p
    nf = p.n_pc_funds
    names = ["Blue Owl"] + [f"PC fund {k + 1}" for k in range(nf - 1)]
    funds = [PrivateCreditFund(model, names[k], k) for k in range(nf)]
    bdcs = [BDC(model, f"BDC {j + 1}", nf + j) for j in range(p.n_pc_bdcs)]
    for bdc, lev in zip(bdcs, bdc_leverage(p), strict=True):
        bdc.debt_to_equity_target = lev
    model.funds = funds + bdcs


def bdc_leverage(p) -> np.ndarray:
    """Each BDC's target debt/equity: evenly from ``(1 - s)`` to ``(1 + s)`` times the
    average ``pc_bdc_debt_to_equity`` (``s = pc_bdc_leverage_spread``; the scenario checks
    that the top stays within ``pc_bdc_max_debt_to_equity``); the average when there is one."""
    n = p.n_pc_bdcs
    steps = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(n)
    return p.pc_bdc_debt_to_equity * (1.0 + p.pc_bdc_leverage_spread * steps)


def lp_funds(model) -> list:
    """The LP-owned funds (not the BDCs): where insurers, pensions and 401(k) savers invest."""
    return [f for f in model.funds if not isinstance(f, BDC)]


def build_opening_gpu_loans(model, price0) -> None:
    """The neoclouds' GPU-backed loans outstanding at step 0 [F6, F23], lent by the funds.

    Each neocloud's debt (CoreWeave's [F6], scaled) is split into ``gpu_loans_per_neocloud``
    equal loans at the opening LTV, each lent by a fund drawn with the funds' weights (the
    run's first random draws). Needs the neoclouds and the funds.
    """
    p = model.p
    weights = fund_weights(p)
    batches = [_existing_loans(model, n, s * p.coreweave_debt_bn * BN, weights, price0)
               for n, s in zip(model.neoclouds, neocloud_scales(p), strict=True)]
    batches = [b for b in batches if b is not None]
    if batches:
        lender, borrower, vintage, units, debt, maturity = (np.concatenate(c)
                                                            for c in zip(*batches, strict=True))
        h = p.gpu_loan_cure_ltv           # contracts signed before any new policy
        model.gpu_loans.originate(lender, borrower, vintage, units, debt, p.gpu_loan_margin_ltv,
                                  h, p.gpu_loan_rate_per_year / MONTHS_PER_YEAR, maturity,
                                  p.gpu_loan_amortisation_months)


def _existing_loans(model, neocloud, debt_usd, weights, price0):
    """GPU-backed loans outstanding at step 0 [F6, F23]: more than half due within a year.

    Returns the columns (lender, borrower, vintage, units, debt, maturity) to originate, and
    gives the neocloud the GPUs they finance (plus the unpledged share).
    """
    p = model.p
    gm = model.gpu_market
    n = p.gpu_loans_per_neocloud
    if debt_usd <= 0 or n <= 0:
        return None
    k = np.arange(n)
    short = k < int(round(p.coreweave_short_term_share * n))
    long_months = p.gpu_loan_opening_max_maturity_months - MONTHS_PER_YEAR
    maturity = np.where(short, 1 + (k % MONTHS_PER_YEAR), MONTHS_PER_YEAR + 1 + (k % long_months))
    vintage = k % gm.n_existing
    debt = np.full(n, debt_usd / n)
    units = debt / p.gpu_loan_opening_ltv / price0[vintage]
    lender = model.rng.choice(len(weights), size=n, p=weights)
    pledged = np.bincount(vintage, weights=units, minlength=gm.n_vintages)
    neocloud.gpu_units = np.maximum(neocloud.gpu_units, pledged * (1 + p.neocloud_unpledged_gpu_share))
    return lender, np.full(n, neocloud.index), vintage, units, debt, maturity


def build_fund_balance_sheets(model) -> list[tuple]:
    """Private credit's other loans, cash, bank facilities and LPs [F28, F31, F32, R15].

    Tech lending beyond the modelled AI loans (GPU loans, SPV loans) fills the 450 bn of
    [F28]: ``pc_bdc_tech_share`` of it is held by the BDCs (equally), the rest by the funds
    with their weights (a rolling book: half the loans' maturity still to run on average,
    :mod:`abm.tech_credit`), as are the non-AI book and cash (the reserve share of all loans).
    Banks lend to private credit ``bank_pc_lending_share`` of their non-bank loans [F31]
    (300 bn by default; 95 bn on the Fed's narrower count [R14]), drawn at step 0: first
    each BDC's target debt/equity times its equity [R15] (:func:`bdc_leverage`; pro rata
    less, and the BDCs' targets with it, when banks lend less than that, as under a cap),
    the rest to the funds with their weights; each vehicle's facilities are shared by up to
    ``pc_line_banks_per_fund`` banks, with a revolving part up to ``pc_line_limit_multiple``
    times the draw, amortising over ``pc_facility_amortisation_months``. Insurers own a
    share of each fund worth their private-credit holdings [F32] (booked by the insurers'
    builder), pensions and endowments the rest; the public owns the BDCs. Returns ``(fund,
    insurers' share of its units)`` for each LP-owned fund. Needs the opening GPU loans, the
    SPVs and the banks.
    """
    p = model.p
    out = model.outside
    funds = lp_funds(model)
    bdcs = [f for f in model.funds if isinstance(f, BDC)]
    banks = model.banks
    nb = len(banks)
    weights = fund_weights(p)
    lines_total = p.effective_bank_pc_share * p.bank_nbfi_loans_bn * BN
    other_rate = p.pc_other_loan_rate_per_year / MONTHS_PER_YEAR
    ai_lending = np.array([f.gpu_loans_held_usd()
                           + sum(c.value_usd() for c in model.claims.held(f, "spv_loan"))
                           for f in model.funds])
    tech_other = max(0.0, p.pc_tech_lending_bn * BN - ai_lending.sum())      # [F28]
    bdc_share = p.pc_bdc_tech_share if bdcs else 0.0
    lines = np.zeros(len(model.funds))
    for f in model.funds:
        if isinstance(f, BDC):
            tech, other = bdc_share * tech_other / len(bdcs), 0.0
        else:
            tech = weights[f.index] * (1.0 - bdc_share) * tech_other
            other = weights[f.index] * p.pc_other_loans_bn * BN
        model.claims.add(LoanPool(holder=f, issuer=out("other_borrowers"), kind="tech_loan",
                                  principal_usd=tech, rate_per_month=other_rate,
                                  borrowers=round(tech / (p.tech_loan_size_bn * BN)),
                                  remaining_months=p.tech_loan_maturity_months / 2))
        if other > 0:
            model.claims.add(Debt(holder=f, issuer=out("other_borrowers"), kind="other_loan",
                                  principal_usd=other, rate_per_month=other_rate))
        assets = tech + other + ai_lending[f.index]
        endow(model, f, p.pc_cash_reserve_share * assets, f.equity_investors)
        if isinstance(f, BDC) and lines_total > 0:      # debt D = (D/E) E, D + E = assets + cash
            lev = f.debt_to_equity_target
            lines[f.index] = lev / (1.0 + lev) * f.total_assets_usd()
    if lines.sum() > lines_total:       # banks lend less than the BDCs want (e.g. a cap, C11):
        lines *= lines_total / lines.sum()          # the BDCs get it pro rata, at lower leverage
        for f in bdcs:
            f.debt_to_equity_target = lines[f.index] / (f.total_assets_usd() - lines[f.index])
    to_funds = lines_total - lines.sum()
    for f in funds:
        lines[f.index] = weights[f.index] * to_funds                           # [F31]
    # opening positions of claims need no cash: only cash balances come from outside accounts
    insurer_pc = p.insurer_pc_bn * BN * (1.0 - p.insurer_placement_share)    # [F32, R17]
    fund_lp_split = []                 # (fund, insurers' share of its units)
    months = p.pc_facility_amortisation_months      # term facilities, drawn at step 0 [F31, R16]
    for f in model.funds:
        lenders = [banks[(f.index + j) % nb] for j in range(min(p.pc_line_banks_per_fund, nb))]
        for b in lenders:
            if lines[f.index] > 0:
                part = lines[f.index] / len(lenders)
                amortisation = part / months if months > 0 else 0.0
                model.claims.add(CreditLine(holder=b, issuer=f, kind="credit_line",
                                            principal_usd=part, limit_usd=p.pc_line_limit_multiple * part,
                                            rate_per_month=p.pc_credit_line_rate_per_year / MONTHS_PER_YEAR,
                                            amortisation_usd_per_month=amortisation))
        nav = f.equity_usd()
        f.shares_outstanding = 1.0
        f.open_books()
        if isinstance(f, BDC):
            stake(model, out(f.equity_investors), f, 1.0, "fund_share")      # listed [R15]
            continue
        ins_share = min(1.0, weights[f.index] * insurer_pc / max(nav, 1.0))
        fund_lp_split.append((f, ins_share))
        # semi-liquid vehicles' wealth investors may redeem each month (C13, abm.runs)
        semi = p.pc_semi_liquid_share * (1.0 - ins_share)
        stake(model, out("pensions_endowments"), f, 1.0 - ins_share - semi, "fund_share")
        if semi > 0:
            stake(model, out(WEALTH_INVESTORS), f, semi, "fund_share")
    return fund_lp_split
