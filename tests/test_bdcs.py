"""Levered private-credit vehicles (BDCs, [R15]): the bank channel of the private-credit layer
(``abm/agents/private_credit.py``, ``models/calibration/private_credit.py``).

Step-0 calibration and the mechanics on small cases first, then paired-seed sign tests in
``ai_winter`` (same seeds in both arms; marked slow).
"""
from __future__ import annotations

import numpy as np
import pytest

from aicredit.abm.tech_credit import lend_to_tech
from aicredit.models import AIEconomyModel
from aicredit.models.calibration.private_credit import bdc_leverage, lp_funds
from aicredit.models.scenario import ScenarioError, load_scenario

BN = 1e9
SEEDS = range(8)


def fresh(**params):
    return AIEconomyModel("baseline", seed=0, collect_agents=False, **params)


def bdcs(m):
    return [f for f in m.funds if f.vehicle == "bdc"]


def test_step0_bdcs_at_their_target_leverage_within_the_article_totals():
    """BDCs hold ``pc_bdc_tech_share`` of the other tech loans at 0.66-1.22x debt/equity,
    while private credit's tech book [F28] and banks' lending to it [F31] keep their totals."""
    m = fresh()
    p = m.p
    assert len(bdcs(m)) == p.n_pc_bdcs == 3
    targets = bdc_leverage(p)
    assert targets.mean() == pytest.approx(p.pc_bdc_debt_to_equity)
    assert targets == pytest.approx([0.658, 0.94, 1.222])
    for f, lev in zip(bdcs(m), targets, strict=True):
        assert f.loan_to_nav() == pytest.approx(lev, rel=1e-9)
        assert f.claims_held("other_loan") == [] and f.gpu_loans_held_usd() == 0
        assert all(c.holder.name == "outside_investors" for c in m.claims.issued(f, "fund_share"))
    tech = sum(c.value_usd() for f in m.funds for c in f.claims_held("tech_loan"))
    ai = sum(f.gpu_loans_held_usd() + sum(c.value_usd() for c in f.claims_held("spv_loan"))
             for f in m.funds)
    assert tech + ai == pytest.approx(p.pc_tech_lending_bn * BN, rel=1e-9)                # [F28]
    bdc_tech = sum(c.value_usd() for f in bdcs(m) for c in f.claims_held("tech_loan"))
    assert bdc_tech == pytest.approx(p.pc_bdc_tech_share * tech, rel=1e-9)
    drawn = sum(f.drawn_usd() for f in m.funds)
    assert drawn == pytest.approx(p.bank_pc_lending_share * p.bank_nbfi_loans_bn * BN, rel=1e-9)  # [F31]
    assert all(f.loan_to_nav() < p.pc_max_loan_to_nav for f in lp_funds(m))


def test_no_bdcs_gives_every_tech_loan_to_the_funds():
    m = fresh(n_pc_bdcs=0)
    assert bdcs(m) == [] and len(m.funds) == m.p.n_pc_funds


def test_a_cap_on_bank_lending_delevers_the_bdcs_first():
    """Under a cap below what the BDCs want (C11), they get what banks lend, pro rata, and lend
    at that lower leverage; the funds get no lines."""
    m = fresh(c11_policy=True, bank_pc_lending_limit=0.01)
    cap = 0.01 * m.p.bank_nbfi_loans_bn * BN
    assert sum(f.drawn_usd() for f in bdcs(m)) == pytest.approx(cap, rel=1e-9)
    assert sum(f.drawn_usd() for f in lp_funds(m)) == 0.0
    for f in bdcs(m):
        assert f.target_loan_to_nav == pytest.approx(f.loan_to_nav(), rel=1e-9)
        assert f.target_loan_to_nav < 0.66 * (1 + 1e-6)


def test_most_levered_bdc_above_the_legal_cap_is_refused():
    with pytest.raises(ScenarioError, match="pc_bdc_debt_to_equity.*pc_bdc_max_debt_to_equity"):
        load_scenario("baseline", pc_bdc_debt_to_equity=1.8)
    load_scenario("baseline", pc_bdc_debt_to_equity=1.8, n_pc_bdcs=1)          # one BDC: the average


def test_a_bdc_grows_at_its_target_leverage_and_not_from_a_bank_in_a_crunch():
    """New tech loans in a BDC are paid with new shares sold to the public and bank debt at its
    target debt/equity (an upsized facility); a bank below its buffer lends no more (C6)."""
    m = fresh()
    f = bdcs(m)[2]
    lev0, drawn0 = f.loan_to_nav(), f.drawn_usd()
    lend_to_tech(m)
    assert f.drawn_usd() > drawn0
    assert f.loan_to_nav() == pytest.approx(lev0, rel=1e-6)
    for line in f.credit_lines():
        line.holder.cutting = True
    drawn1 = f.drawn_usd()
    lend_to_tech(m)
    assert f.drawn_usd() == drawn1 and f.loan_to_nav() < lev0


def test_a_bdc_covenant_is_its_legal_cap_and_lending_room_stops_at_its_target():
    m = fresh()
    f = bdcs(m)[0]
    assert f.max_loan_to_nav == m.p.pc_bdc_max_debt_to_equity
    assert f.covenant_room_usd() > 0                      # room to the cap for liquidity draws
    assert f.covenant_room_usd(f.target_loan_to_nav) == pytest.approx(0.0, abs=1e-3 * BN)
    fund = lp_funds(m)[0]
    assert fund.target_loan_to_nav == fund.max_loan_to_nav == m.p.pc_max_loan_to_nav


# --- paired-seed sign tests in ai_winter -----------------------------------------------------
def _winter(run, seed, **params):
    m = run("ai_winter", steps=48, seed=seed, **params)
    df = m.datacollector.get_model_vars_dataframe()
    return (m.losses.by_category["banks"], df["bank_capital_ratio_min"].min(),
            m.defaults_by_sector().get("private_credit", 0))


def _paired(run, arm_a: dict, arm_b: dict):
    a = np.array([_winter(run, s, **arm_a) for s in SEEDS])
    b = np.array([_winter(run, s, **arm_b) for s in SEEDS])
    return b - a


@pytest.mark.slow
def test_bdcs_carry_the_winter_to_bank_capital(run):
    """With BDCs banks lose on their facilities and the weakest bank's capital falls further
    than when the same loans sit in the LP-owned funds (8 paired seeds, 48 months)."""
    d = _paired(run, dict(n_pc_bdcs=0), dict())
    assert d[:, 0].mean() > 0 and (d[:, 0] >= 0).all()             # bank losses
    assert d[:, 1].mean() < 0                                       # lowest bank capital ratio
    assert d[:, 2].sum() > 0                                        # vehicles fail


@pytest.mark.slow
def test_more_levered_bdcs_fail_more_and_cost_banks_more(run):
    d = _paired(run, dict(), dict(pc_bdc_debt_to_equity=1.4))
    assert d[:, 0].mean() > 0
    assert d[:, 1].mean() < 0
    assert d[:, 2].mean() > 0
