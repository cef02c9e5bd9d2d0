"""NAIC designations, the complete life RBC formula, placements that migrate, insurers' de-risking
and withdrawals (issue 19, item 3) [R17, R18, R33, R43]."""
from __future__ import annotations

import math

import numpy as np
import pytest

from aicredit.abm.naic import (
    BOND_FACTORS,
    NAIC6_CATEGORY,
    bond_factor,
    designation_category,
    rbc_marginal_factors,
    rbc_total_usd,
)
from aicredit.abm.placements import placement_conditions
from aicredit.models import AIEconomyModel


def test_bond_factors_rise_with_the_designation_and_end_at_30_percent():
    assert len(BOND_FACTORS) == 20 == NAIC6_CATEGORY
    assert (np.diff(BOND_FACTORS) >= 0).all()
    assert BOND_FACTORS[0] == pytest.approx(0.00158) and BOND_FACTORS[-1] == pytest.approx(0.30)
    # [R33]: NAIC 2 (BBB) about 1.3-2.2%, NAIC 3 (BB) 3.2-6.0%, a downgrade 2 -> 3 about x3
    assert 0.013 <= bond_factor(9) <= 0.022 and 0.032 <= bond_factor(12) <= 0.06
    assert bond_factor(12) / bond_factor(9) == pytest.approx(3.0, rel=0.1)


def test_designation_is_the_rating_notch_rounded():
    assert designation_category(6.0) == 6 and designation_category(9.4) == 9   # A is 1.F, BBB 2.B
    assert designation_category(9.5) == 10                                      # half up
    assert designation_category(0.2) == 1 and designation_category(40.0) == NAIC6_CATEGORY


def test_rbc_total_is_the_covariance_formula():
    assert rbc_total_usd(3.0, 4.0, 0.0, 0.0, 1.0) == pytest.approx(6.0)    # 1 + sqrt(9 + 16)
    assert rbc_total_usd(1.0, 0.0, 0.0, 2.0, 0.0) == pytest.approx(3.0)    # C1o and C3a add first
    # diversification: the total is below the sum of the parts
    assert rbc_total_usd(3.0, 4.0, 2.0, 1.0, 0.0) < 3.0 + 4.0 + 2.0 + 1.0
    g_o, g_cs = rbc_marginal_factors(3.0, 4.0, 0.0, 0.0)
    assert (g_o, g_cs) == pytest.approx((0.6, 0.8))
    eps = 1e-6
    slope = (rbc_total_usd(3.0 + eps, 4.0, 0, 0, 0) - rbc_total_usd(3.0, 4.0, 0, 0, 0)) / eps
    assert slope == pytest.approx(g_o, rel=1e-4)


@pytest.fixture(scope="module")
def base():
    return AIEconomyModel("baseline", seed=0)


def test_capital_comes_from_the_complete_formula_at_the_managed_ratio(base):
    """Each insurer starts at the ratio insurers manage to [R18], with capital solved on its own
    holdings: about 7% of assets for the sector, not inflated; the PE-affiliated insurer holds
    a larger share of private credit and so more capital per USD of assets [R33]."""
    p = base.p
    for ins in base.insurers:
        assert ins.solvency_ratio() == pytest.approx(p.insurer_solvency_ratio, rel=1e-6)
    tac = sum(i.solvency.tac_usd(i) for i in base.insurers)
    assets = sum(i.total_assets_usd() for i in base.insurers)
    assert 0.04 < tac / assets < 0.10
    pe = [i for i in base.insurers if i.kind == "pe_affiliated"]
    tr = [i for i in base.insurers if i.kind == "traditional"]
    assert len(pe) == p.n_pe_insurers and tr

    def pc_share(i):
        pc = sum(c.value_usd() for c in i.claims_held()
                 if c.kind in ("fund_share", "private_placement", "other_placement"))
        return pc / i.total_assets_usd()
    assert pc_share(pe[0]) == pytest.approx(p.insurer_pe_pc_multiple * pc_share(tr[0]), rel=0.05)
    pe_assets = sum(i.total_assets_usd() for i in pe)
    assert pe_assets / assets == pytest.approx(p.insurer_pe_asset_share, rel=0.05)
    def capital_share(i):
        return i.solvency.tac_usd(i) / i.total_assets_usd()
    assert capital_share(pe[0]) > capital_share(tr[0])


def test_placements_start_investment_grade_and_migrate_down_as_revenue_falls(base):
    """[R33] most placements are NAIC 1-2; when AI spending disappoints, the cohorts' revenue
    falls, the placements' PD rises and they migrate to higher charges before any default."""
    start = base.placements
    assert start.category.max() <= 10                     # BBB- or better
    tb = base.tech_borrowers
    saved = tb.factor
    try:
        tb.factor = math.log(0.5)                         # AI spending half what was expected
        worse = placement_conditions(tb, base.placement_terms)
    finally:
        tb.factor = saved
    assert (worse.category >= start.category).all() and worse.mean_category() > start.mean_category() + 2
    assert worse.factor > 1.5 * start.factor
    assert (np.diff(worse.notch) > 0).all()        # cohorts with more AI revenue fall further
    assert (worse.pd_per_year > start.pd_per_year).all()
    # the most AI-exposed cohort migrates furthest
    assert worse.category[-1] >= worse.category[0]


def test_the_placement_charge_raises_required_capital(base):
    ins = base.insurers[0]
    before = ins.solvency.required_usd(ins)
    saved = base.placements
    try:
        base.placements = type(saved)(**{**saved.__dict__, "factor": 0.0954})   # all at B
        after = ins.solvency.required_usd(ins)
    finally:
        base.placements = saved
    assert after > before


def test_sale_plan_sells_the_riskiest_first_and_reaches_the_target():
    m = AIEconomyModel("baseline", seed=0)
    ins = m.insurers[0]
    s = ins.solvency
    relief = s.marginal_acl(ins)
    assert relief["fund_share"] > relief["private_placement"]
    target = 5.0
    plan = s.sale_plan(ins, target, ins.sale_proceeds_usd)
    assert plan and plan[0][0].kind == "fund_share"
    # applying the plan's linearised effect reaches the target
    tac, acl = s.tac_usd(ins), s.required_usd(ins)
    for c, x in plan:
        v = ins.statutory_value_usd(c)
        tac -= x * (v - ins.sale_proceeds_usd(c))
        acl -= x * relief[c.kind] * v
    assert tac / acl == pytest.approx(target, rel=1e-6)
    capped = s.sale_plan(ins, target, ins.sale_proceeds_usd, max_share=0.05)
    assert all(x <= 0.05 + 1e-12 for _, x in capped)
    assert s.sale_plan(ins, 1.0, ins.sale_proceeds_usd) == []       # already above


def test_withdrawals_rise_as_solvency_falls(base):
    ins = base.insurers[0]
    p = base.p
    assert ins.withdrawal_rate(ins.target_ratio) == 0.0
    assert ins.withdrawal_rate(ins.target_ratio + 1) == 0.0
    assert ins.withdrawal_rate(p.insurer_solvency_min) == pytest.approx(p.insurer_withdrawal_sensitivity)
    mid = 0.5 * (ins.target_ratio + p.insurer_solvency_min)
    assert ins.withdrawal_rate(mid) == pytest.approx(0.5 * p.insurer_withdrawal_sensitivity)


def test_an_insurer_below_its_derisk_ratio_sells_by_choice_gradually():
    """Below insurer_derisk_ratio (but above the CAL) an insurer sells at most
    insurer_derisk_share_per_month of each holding; the sale counts as de-risking."""
    m = AIEconomyModel("baseline", seed=0, insurer_derisk_ratio=5.0, steps=1)
    m.step()
    assert m.month.insurer_sales_usd > 0
    assert m.month.insurer_derisk_sales_usd == pytest.approx(m.month.insurer_sales_usd)
    off = AIEconomyModel("baseline", seed=0, insurer_derisk_ratio=5.0, c7_insurer_forced_sales=False, steps=1)
    off.step()
    assert off.month.insurer_sales_usd == 0
