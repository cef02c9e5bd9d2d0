"""Build the economy of a scenario at step 0: institutions, balance sheets and claims.

Calibrated on the article's figures (``[F#]``, ``shared/seeds/facts.md``); where the article
is silent, the value is a documented assumption in :mod:`models.scenario`. Money here is
USD; scenario values in ``_bn`` are multiplied by ``BN``.
"""
from __future__ import annotations

import numpy as np

from abm.agents import (AILab, Bank, Chipmaker, Hyperscaler, Insurer, Neocloud,
                        PrivateCreditFund, SaverCohort)
from abm.agents.spv import open_spv
from abm.claims import Contract, CreditLine, Debt, EquityClaim, Seniority

BN = 1e9
HYPERSCALERS = ("Microsoft", "Amazon", "Google", "Meta", "Oracle")
LABS = ("OpenAI", "Anthropic", "xAI", "Other labs")
LAB_VALUATION_BN = (300.0, 60.0, 80.0, 100.0)      # assumption: 2025 rounds, rounded
LAB_SPENDING_X_REVENUE = (None, 2.0, 12.0, 1.3)   # OpenAI from [F15]; others assumption
LAB_OPEX_SHARE = 0.3                              # non-compute share of lab spending (assumption)
RATE_BOND, RATE_BANK_LOAN, RATE_LINE = 0.045 / 12, 0.055 / 12, 0.07 / 12   # [R8] revolver 7%
RATE_DEPOSIT, RATE_OTHER_BANK, RATE_PC_OTHER = 0.02 / 12, 0.055 / 12, 0.09 / 12
RATE_INSURER_BOND, RATE_POLICY = 0.05 / 12, 0.045 / 12


def _endow(model, inst, amount_usd: float, source: str = "outside_investors") -> None:
    """Opening cash, paid in from an outside account so that money is conserved."""
    model.ledger.transfer(source, inst.name, amount_usd, "opening_balance")


def _stake(model, holder, issuer, units: float, kind: str = "equity") -> EquityClaim:
    return model.claims.add(EquityClaim(holder=holder, issuer=issuer, kind=kind, units=units,
                                        cost_usd=units * issuer.price_per_unit_usd()))


def _contract(model, holder, issuer, total_usd=None, months=12, start=0, per_month=None,
              kind="compute_contract", renewable=False) -> Contract:
    pay = per_month if per_month is not None else total_usd / months
    return model.claims.add(Contract(holder=holder, issuer=issuer, kind=kind,
                                     payment_usd_per_month=pay, start_step=start,
                                     end_step=start + months, renewable=renewable))


def build_economy(model) -> None:
    """Create every institution of ``model.p``'s scenario with its step-0 balance sheet."""
    p = model.p
    rng = model.rng
    out = model.outside
    gm = model.gpu_market
    price0 = gm.price.copy()

    # --- chipmaker [F10, F13] ---------------------------------------------------------
    nvidia = Chipmaker(model, "Nvidia", p.nvidia_market_cap_bn * BN, p.nvidia_gross_margin)
    _endow(model, nvidia, p.nvidia_cash_bn * BN)
    nvidia.real_assets_usd = 50 * BN
    model.chipmakers = [nvidia]

    # --- hyperscalers [F11, F12] ---------------------------------------------------------
    capex = np.array(p.hyperscaler_capex_bn_per_year) * BN / 12
    service_share = np.where(np.arange(5) < 4, capex, 0.0)
    service_share = service_share / service_share.sum()
    hs = []
    for k, name in enumerate(HYPERSCALERS):
        h = Hyperscaler(model, name, capex[k], p.hyperscaler_legacy_cash_bn_per_year[k] * BN / 12,
                        float(service_share[k]), p.hyperscaler_market_cap_bn[k] * BN)
        _endow(model, h, p.hyperscaler_cash_bn[k] * BN + p.hyperscaler_bonds_bn[k] * BN)
        model.claims.add(Debt(holder=out("bond_investors"), issuer=h, kind="bond",
                              principal_usd=p.hyperscaler_bonds_bn[k] * BN, rate_per_month=RATE_BOND))
        h.real_assets_usd = 36 * capex[k] * (1 - p.gpu_capex_share)   # existing data centres
        fleet_usd = 12 * capex[k] * p.gpu_capex_share                 # existing GPUs
        h.gpu_units[: gm.n_existing] = fleet_usd / gm.n_existing / price0[: gm.n_existing]
        hs.append(h)
    model.hyperscalers = hs
    msft, amzn, goog, meta, orcl = hs

    # --- AI labs [F13-F16] ------------------------------------------------------------------
    lab_demand = model.demand.lab_usd
    labs = []
    for k, name in enumerate(LABS):
        lab = AILab(model, name, p.lab_demand_shares[k], LAB_OPEX_SHARE, LAB_VALUATION_BN[k] * BN)
        labs.append(lab)
    model.labs = labs
    openai, anthropic, xai, others = labs
    revenue = [s * lab_demand for s in p.lab_demand_shares]
    openai_spending = (p.lab_demand_shares[0] * lab_demand + p.openai_loss_bn_per_year * BN / 12)
    spending = [openai_spending] + [x * r for x, r in zip(LAB_SPENDING_X_REVENUE[1:], revenue[1:])]
    compute = [(1 - LAB_OPEX_SHARE) * s for s in spending]
    # OpenAI [F14]: Oracle, Amazon, CoreWeave contracts; Azure rolling contract for the rest
    _contract(model, orcl, openai, p.openai_oracle_contract_bn * BN, 60, p.oracle_contract_start_step)
    _contract(model, amzn, openai, p.openai_amazon_contract_bn * BN, 84, 10)
    cw_openai_now = 0.10 * p.coreweave_revenue_bn_per_year * BN / 12     # [F9]
    _contract(model, msft, openai, per_month=compute[0] - cw_openai_now, months=12, renewable=True)
    _contract(model, amzn, anthropic, per_month=0.6 * compute[1], months=12, start=0, renewable=True)
    _contract(model, goog, anthropic, per_month=0.4 * compute[1], months=12, start=0, renewable=True)
    _contract(model, orcl, xai, per_month=compute[2], months=12, start=0, renewable=True)
    for h in (msft, amzn, goog):
        _contract(model, h, others, per_month=compute[3] / 3, months=12, start=0, renewable=True)
    if p.c8_circular_financing:                                          # [F13] ten tranches
        nvidia.commit(openai, p.nvidia_openai_investment_bn * BN,
                      p.nvidia_openai_investment_bn * BN / 10, first_step=9)
    for lab, s in zip(labs, spending):
        _endow(model, lab, p.lab_cash_months * s)
    # shareholders: Microsoft ~27% of OpenAI, Amazon and Google in Anthropic (assumptions)
    _stake(model, msft, openai, 0.27)
    _stake(model, out("outside_investors"), openai, 0.73)
    _stake(model, amzn, anthropic, 0.15)
    _stake(model, goog, anthropic, 0.14)
    _stake(model, out("outside_investors"), anthropic, 0.71)
    for lab in (xai, others):
        _stake(model, out("outside_investors"), lab, 1.0)

    # --- neoclouds [F1-F10] --------------------------------------------------------------------
    scale = [1.0] + [p.small_neocloud_scale] * p.n_small_neoclouds
    names = ["CoreWeave"] + [f"Neocloud {k + 1}" for k in range(p.n_small_neoclouds)]
    lease_total = p.coreweave_lease_bn * BN
    lease_per_month = lease_total / 48                                   # [F8] to 2028
    debt_interest = p.coreweave_debt_bn * BN * p.gpu_loan_rate_per_year / 12
    opex_cw = 2.0 * BN / 12                                              # assumption
    capex_cw = max(0.0, p.coreweave_spending_bn_per_year * BN / 12 - lease_per_month
                   - debt_interest - opex_cw)                             # [F5]
    neoclouds = []
    for k, (name, s) in enumerate(zip(names, scale)):
        collateral_usd = s * p.coreweave_debt_bn * BN / 0.6              # loans at 60% LTV today
        units = collateral_usd / price0[: gm.n_existing].mean()
        n = Neocloud(model, name, k, s * capex_cw, 0.0, s * 60 * BN)
        n.gpu_units[: gm.n_existing] = 1.1 * units / gm.n_existing      # 10% unpledged
        _endow(model, n, s * 2.0 * BN)
        _stake(model, out("outside_investors"), n, 0.93 if k == 0 else 1.0)
        if k == 0 and p.c8_circular_financing:
            _stake(model, nvidia, n, 0.07)                              # [F10]
        rev = s * p.coreweave_revenue_bn_per_year * BN / 12              # [F5]
        shares = p.coreweave_customer_shares                             # [F9]
        if k == 0:
            _contract(model, n, msft, per_month=shares[0] * rev, months=12, renewable=True)
            _contract(model, n, nvidia, per_month=shares[1] * rev, months=12, renewable=True)
            _contract(model, n, openai, per_month=shares[2] * rev, months=12, renewable=True)
            _contract(model, n, out("spot_compute_buyers"), per_month=shares[3] * rev, months=600)
            _contract(model, n, openai, p.openai_coreweave_contract_bn * BN, 60, 6)   # [F2]
            _contract(model, n, meta, p.meta_coreweave_contract_bn * BN, 72, 9)       # [F2]
            _contract(model, n, nvidia, p.nvidia_coreweave_contract_bn * BN, 48, 6)   # [F2]
        else:
            anchor = hs[k % 4]
            _contract(model, n, anchor, per_month=0.7 * rev, months=6 + 3 * k, renewable=True)
            _contract(model, n, out("spot_compute_buyers"), per_month=0.3 * rev, months=600)
        _contract(model, out("suppliers"), n, per_month=s * lease_per_month, months=48,
                  kind="lease")                                          # [F8]
        neoclouds.append(n)
    model.neoclouds = neoclouds

    # --- private-credit funds [F28-F31] ------------------------------------------------------------
    nf = p.n_pc_funds
    weights = np.array([0.3] + [0.7 / (nf - 1)] * (nf - 1)) if nf > 1 else np.array([1.0])
    names = ["Blue Owl"] + [f"PC fund {k + 1}" for k in range(nf - 1)]
    funds = [PrivateCreditFund(model, names[k], k) for k in range(nf)]
    model.funds = funds
    model.gpu_lender_accounts = [f.name for f in funds] + ["securities_market"]
    # GPU-backed loans of the neoclouds [F6, F23]
    batches = [_existing_loans(model, n, s * p.coreweave_debt_bn * BN, weights, price0)
               for n, s in zip(neoclouds, scale)]
    batches = [b for b in batches if b is not None]
    if batches:
        cols = [np.concatenate(c) for c in zip(*batches)]
        h = p.gpu_loan_max_ltv            # contracts signed before any new policy
        model.gpu_loans.originate(cols[0], cols[1], cols[2], cols[3], cols[4], p.gpu_loan_margin_ltv,
                                  h, p.gpu_loan_rate_per_year / 12, cols[5], 48)
    for n, s in zip(neoclouds, scale):
        n.opex_usd_per_unit_month = s * opex_cw / max(float(n.gpu_units.sum()), 1.0)

    # --- banks [F31] -------------------------------------------------------------------------------
    nb = p.n_banks
    banks = [Bank(model, f"Bank {k + 1}", p.bank_capital_min) for k in range(nb)]
    model.banks = banks
    lines_total = (p.effective_bank_pc_share * p.bank_nbfi_loans_bn * BN
                   if p.c6_bank_credit_lines else 0.0)

    # --- SPVs [F20-F22] --------------------------------------------------------------------------
    spv_specs = []
    if p.c9_spvs:
        spv_specs.append(("Meta Louisiana SPV", meta, p.meta_spv_bn * BN, 0, 0))      # [F20]
        lessees = (orcl, goog, msft, amzn)
        for k in range(p.n_other_spvs):
            spv_specs.append((f"SPV {k + 1}", lessees[k % 4], 15.0 * BN * min(1.0, 3 / p.n_other_spvs), -12 * (3 - k % 3), 1 + k % max(nf - 1, 1)))
    ni = p.n_insurers
    insurers = [Insurer(model, f"Insurer {k + 1}", p.insurer_solvency_min, p.insurer_fire_sale_discount)
                for k in range(ni)]
    model.insurers = insurers
    model.spvs = []
    for j, (name, lessee, size, start, fund_k) in enumerate(spv_specs):
        holders = [banks[j % nb], insurers[j % ni], out("bond_investors")]        # [F22]
        open_spv(model, name, lessee, size, funds[min(fund_k, nf - 1)], holders, start,
                 p.spv_lease_term_months, paid=False)

    # --- private-credit balance sheets: other loans, lines, LP shares [F28, F31, F32] -------------------
    ai_lending = model.gpu_loans.debt_by("lender", nf + 1)[:nf] + np.array(
        [sum(c.value_usd() for c in model.claims.held(f, "spv_loan")) for f in funds])
    tech_other = max(0.0, p.pc_tech_lending_bn * BN - ai_lending.sum())      # [F28]
    for k, f in enumerate(funds):
        tech = weights[k] * tech_other           # tech lending outside the modelled AI firms
        other = weights[k] * p.pc_other_loans_bn * BN
        model.claims.add(Debt(holder=f, issuer=out("other_borrowers"), kind="tech_loan",
                              principal_usd=tech, rate_per_month=RATE_PC_OTHER))
        model.claims.add(Debt(holder=f, issuer=out("other_borrowers"), kind="other_loan",
                              principal_usd=other, rate_per_month=RATE_PC_OTHER))
        _endow(model, f, 0.03 * (tech + other + ai_lending[k]), "pensions_endowments")
    # opening positions of claims need no cash: only cash balances come from outside accounts
    insurer_pc = p.insurer_pc_bn * BN                                          # [F32]
    fund_lp_split = []                 # (fund, insurers' share of its units)
    for k, f in enumerate(funds):
        lines = weights[k] * lines_total                                       # [F31]
        lenders = [banks[(k + j) % nb] for j in range(min(3, nb))]   # up to three banks each
        for b in lenders:
            if lines > 0:
                part = lines / len(lenders)
                model.claims.add(CreditLine(holder=b, issuer=f, kind="credit_line",
                                            principal_usd=part, limit_usd=1.25 * part,
                                            rate_per_month=RATE_LINE))
        nav = f.equity_usd()
        f.shares_outstanding = 1.0
        f.reported_nav_usd = nav
        ins_share = min(1.0, weights[k] * insurer_pc / max(nav, 1.0))
        fund_lp_split.append((f, ins_share))
        _stake(model, out("pensions_endowments"), f, 1.0 - ins_share, "fund_share")

    # --- insurers [F32] ------------------------------------------------------------------------------
    for k, ins in enumerate(insurers):
        for f, share in fund_lp_split:
            if share > 0:
                _stake(model, ins, f, share / ni, "fund_share")
    for ins in insurers:
        assets = p.insurer_total_assets_bn * BN / ni
        held = sum(c.value_usd() for c in ins.claims_held())
        bonds = max(0.0, 0.98 * assets - held)
        model.claims.add(Debt(holder=ins, issuer=out("other_borrowers"), kind="bond_holding",
                              principal_usd=bonds, rate_per_month=RATE_INSURER_BOND))
        _endow(model, ins, 0.02 * assets, "policyholders")
        required = ins.solvency.required_usd(ins)
        equity = p.insurer_solvency_ratio * required
        ins.target_ratio = p.insurer_solvency_ratio
        reserves = ins.total_assets_usd() - equity
        model.claims.add(Debt(holder=out("policyholders"), issuer=ins, kind="policy_reserve",
                              principal_usd=reserves, rate_per_month=RATE_POLICY))

    # --- banks' balance sheets [F31, R10] ------------------------------------------------------------
    for k, b in enumerate(banks):
        h = hs[k % 5]
        model.claims.add(Debt(holder=b, issuer=h, kind="bank_loan",
                              principal_usd=p.bank_hyperscaler_loans_bn * BN / nb,
                              rate_per_month=RATE_BANK_LOAN))
        assets = p.bank_total_assets_bn * BN / nb
        held = sum(c.value_usd() for c in b.claims_held())
        cash = 0.1 * assets
        other = max(0.0, assets - held - cash)
        model.claims.add(Debt(holder=b, issuer=out("other_borrowers"), kind="other_loan",
                              principal_usd=other, rate_per_month=RATE_OTHER_BANK))
        _endow(model, b, cash, "depositors")
        equity = p.bank_capital_ratio * b.capital.rwa_usd(b)
        b.target_ratio = p.bank_capital_ratio
        model.claims.add(Debt(holder=out("depositors"), issuer=b, kind="deposit",
                              principal_usd=b.total_assets_usd() - equity, rate_per_month=RATE_DEPOSIT))

    # --- 401(k) saver cohorts [F18, F34] ---------------------------------------------------------------
    nc = p.n_saver_cohorts
    size = rng.lognormal(0.0, 1.0, nc)
    size /= size.sum()
    thresholds = np.clip(p.saver_panic_drawdown_mean * rng.lognormal(0.0, 0.3, nc)
                         / np.exp(0.045), 0.02, 0.95)
    contrib = np.sqrt(size) / np.sqrt(size).sum() * p.savers_contribution_bn_per_year * BN / 12
    model.ledger.open_many([f"401k cohort {i + 1}" for i in range(nc)])
    savers = []
    for i in range(nc):
        sc = SaverCohort(model, f"401k cohort {i + 1}", float(contrib[i]), float(thresholds[i]))
        wealth = float(size[i]) * p.savers_total_bn * BN
        sc.index_units = p.saver_ai_index_share * wealth                 # index level 1 at step 0
        sc.index_cost_usd = sc.index_units
        model.claims.add(Debt(holder=sc, issuer=out("other_borrowers"), kind="bond_holding",
                              principal_usd=(1 - p.saver_ai_index_share) * wealth,
                              rate_per_month=0.04 / 12))
        sc.peak_usd = wealth
        sc.pc_fund = funds[i % nf]
        savers.append(sc)
    model.savers = savers


def _existing_loans(model, neocloud, debt_usd, weights, price0):
    """GPU-backed loans outstanding at step 0 [F6, F23]: more than half due within a year.

    Returns the columns (lender, borrower, vintage, units, debt, maturity) to originate, and
    gives the neocloud the GPUs they finance (plus 10% unpledged).
    """
    p = model.p
    gm = model.gpu_market
    n = p.gpu_loans_per_neocloud
    if debt_usd <= 0 or n <= 0:
        return None
    k = np.arange(n)
    short = k < int(round(p.coreweave_short_term_share * n))
    maturity = np.where(short, 1 + (k % 12), 13 + (k % 36))
    vintage = k % gm.n_existing
    debt = np.full(n, debt_usd / n)
    units = debt / 0.6 / price0[vintage]                  # loans at 60% LTV today
    lender = model.rng.choice(len(weights), size=n, p=weights)
    pledged = np.bincount(vintage, weights=units, minlength=gm.n_vintages)
    neocloud.gpu_units = np.maximum(neocloud.gpu_units, pledged * 1.1)
    return lender, np.full(n, neocloud.index), vintage, units, debt, maturity
