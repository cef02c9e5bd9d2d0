"""Private credit's tech book: defaults from the borrowers' cash flows, fair value, growth [F28].

Unit tests of the structural formulas (:mod:`abm.tech_borrowers`: PD limits and monotonicity,
calibration, recovery, lifetime expected loss) and the pool contract, then the model: step 0
at par and at the article's scale, no AI-index read, the baseline's default rate in the
public range [R28, R29], and paired seeds for the signs the mechanism predicts.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from aicredit.abm.claims import ClaimBook, LoanPool
from aicredit.abm.tech_borrowers import (
    BorrowerTerms,
    TechBorrowers,
    cohort_ai_shares,
    cohort_pd_per_year,
    cohort_recovery,
    cohort_revenue,
    lifetime_el,
    spending_surprise,
)
from aicredit.abm.tech_credit import credit_conditions, monthly_pd
from aicredit.abm.units import BN
from aicredit.models.scenario import ScenarioError, load_scenario
from aicredit.models.stats import paired_stats


def terms(**kw):
    return BorrowerTerms.from_params(load_scenario("baseline", **kw))


# --- the formulas --------------------------------------------------------------------------
def test_pd_is_the_target_on_the_expected_path_and_falls_with_revenue():
    t = terms()
    assert cohort_pd_per_year(t, np.array([1.0]))[0] == pytest.approx(t.pd_per_year, rel=1e-9)
    pd = cohort_pd_per_year(t, np.array([1.5, 1.2, 1.0, 0.9, 0.8, 0.7, 0.5]))
    assert np.all(np.diff(pd) > 0)
    assert cohort_pd_per_year(t, np.array([t.barrier]))[0] == pytest.approx(0.5)   # at the barrier
    assert cohort_pd_per_year(t, np.array([1e-6]))[0] > 0.999
    assert cohort_pd_per_year(t, np.array([100.0]))[0] < 1e-6


def test_more_leverage_or_fixed_costs_raise_the_barrier():
    t = terms()
    assert terms(tech_borrower_debt_to_ebitda=7.0).barrier > t.barrier
    assert terms(tech_borrower_fixed_cost_share=0.5).barrier > t.barrier
    with pytest.raises(ScenarioError, match="barrier"):
        load_scenario("baseline", tech_borrower_fixed_cost_share=1.0, tech_borrower_debt_to_ebitda=15)


def test_recovery_is_the_defaulters_assets_less_bankruptcy_costs_and_falls_with_revenue():
    t = terms()
    rec = cohort_recovery(t, np.array([1.2, 1.0, 0.8, 0.6, 0.4]))
    assert np.all(np.diff(rec) < 0) and np.all((rec >= 0) & (rec <= 1))
    assert 0.55 < rec[1] < 0.8                         # first-lien recoveries of ~60-70%
    free = cohort_recovery(terms(tech_loan_bankruptcy_cost=0.0), np.array([1.0]))[0]
    assert rec[1] == pytest.approx((1 - t.bankruptcy_cost) * free)


def test_revenue_ignores_ai_without_ai_share_and_follows_the_factor_with_it():
    a = cohort_ai_shares(0.3, 5)
    assert a.mean() == pytest.approx(0.3) and a.min() == pytest.approx(0.15)
    assert np.allclose(cohort_revenue(np.zeros(3), -2.0, 0.0), 1.0)
    assert np.allclose(cohort_revenue(a, 0.0, 0.0), 1.0)
    assert np.all(cohort_revenue(a, -1.0, 0.0) < 1.0)


def test_the_surprise_is_zero_when_spending_grows_as_expected():
    g = math.log(1.5)
    path = [100.0 * math.exp(g * t / 12) for t in range(30)]
    assert spending_surprise(path, [g] * 30, 12) == pytest.approx(0.0, abs=1e-12)
    assert spending_surprise(path[:-1] + [path[-1] * 0.7], [g] * 30, 12) == pytest.approx(math.log(0.7))
    assert spending_surprise(path[:1], [g], 12) == 0.0


def test_lifetime_el_rises_with_maturity_and_with_a_worse_factor_and_slower_reversion():
    t = terms()
    a = cohort_ai_shares(0.3, 4)
    zero = np.zeros(4)
    el = lifetime_el(t, a, -0.5, zero, 0.7, 60)
    assert np.all(np.diff(el, axis=1) > 0)                          # longer life, more loss
    assert np.all(el > lifetime_el(t, a, 0.0, zero, 0.7, 60))      # worse factor, more loss
    assert np.all(lifetime_el(t, a, -0.5, zero, 0.1, 60)[:, -1] > el[:, -1])


def test_the_mark_is_zero_on_the_expected_path_and_rises_with_remaining_maturity():
    b = TechBorrowers(load_scenario("baseline"))
    cond = credit_conditions(b, 60)
    assert cond.impairment_rate(30) == 0.0
    assert cond.pd_per_year == pytest.approx(b.terms.pd_per_year)
    b.factor = -0.6
    cond = credit_conditions(b, 60)
    rates = [cond.impairment_rate(w) for w in (3, 12, 30)]
    assert 0 < rates[0] < rates[1] < rates[2] < 1 - cond.recovery


def test_monthly_pd_compounds_to_the_yearly_pd():
    for pd in (0.0, 0.03, 0.5, 1.0):
        assert 1 - (1 - monthly_pd(pd)) ** 12 == pytest.approx(pd, abs=1e-12)


def test_retired_parameters_say_what_replaced_them():
    for key in ("tech_loan_asset_correlation", "tech_loan_duration_years", "tech_loan_recovery"):
        with pytest.raises(ScenarioError, match="retired: tech credit follows borrowers' cash flows"):
            load_scenario("baseline", **{key: 0.1})


# --- the pool contract -------------------------------------------------------------------------
def pool(principal=100.0, borrowers=10, impairment=0.0):
    return LoanPool(holder="fund", issuer="borrowers", kind="tech_loan", principal_usd=principal,
                    borrowers=borrowers, impairment_usd=impairment)


def test_defaults_take_their_share_of_face_and_impairment_and_recover_part():
    c = pool(impairment=20.0)
    face, recovered = c.default_borrowers(3, recovery=0.6)
    assert (face, recovered) == pytest.approx((30.0, 18.0))
    assert (c.principal_usd, c.impairment_usd, c.borrowers) == pytest.approx((70.0, 14.0, 7))
    assert c.value_usd() == pytest.approx(56.0)
    assert c.default_borrowers(50, 0.5)[0] == pytest.approx(70.0)      # no more than all of them
    assert c.principal_usd == 0.0 and c.borrowers_alive() == 0


def test_mark_sets_the_impairment_within_the_principal_and_returns_the_value_change():
    c = pool()
    assert c.mark(15.0) == pytest.approx(-15.0) and c.value_usd() == pytest.approx(85.0)
    assert c.mark(5.0) == pytest.approx(10.0)                         # a reversal
    c.mark(500.0)
    assert c.value_usd() == 0.0


def test_a_split_pool_carries_its_share_of_borrowers_and_impairment():
    book = ClaimBook()
    c = book.add(pool(impairment=10.0))
    part = book.split(c, 0.3, "buyer")
    assert (part.principal_usd, part.borrowers, part.impairment_usd) == pytest.approx((30.0, 3.0, 3.0))
    assert (c.principal_usd, c.borrowers, c.impairment_usd) == pytest.approx((70.0, 7.0, 7.0))


def test_lending_adds_borrowers_of_the_loan_size_at_par():
    c = pool()
    c.lend(50.0, 5.0)
    assert (c.principal_usd, c.borrowers, c.impairment_usd) == (150.0, 20.0, 0.0)


def test_new_loans_lengthen_the_book_which_ages_back_to_half_the_maturity():
    c = pool()
    c.remaining_months = 30.0
    c.lend(100.0, 5.0, 60)
    assert c.remaining_months == pytest.approx(45.0)
    for _ in range(600):
        c.age(60)
    assert c.remaining_months == pytest.approx(30.0, rel=1e-3)


# --- the model ---------------------------------------------------------------------------------
def test_step_zero_tech_book_is_the_articles_at_par(baseline0):
    """[F28]: modelled AI loans plus the pools make 450 bn; the pools are at par at step 0."""
    m = baseline0
    pools = [c for f in m.funds for c in f.claims_held("tech_loan")]
    assert pools and all(isinstance(c, LoanPool) and c.impairment_usd == 0 for c in pools)
    size = m.p.tech_loan_size_bn * BN
    assert all(c.borrowers_alive() == round(c.principal_usd / size) for c in pools)
    ai = sum(f.gpu_loans_held_usd() for f in m.funds) + sum(
        c.value_usd() for f in m.funds for c in f.claims_held("spv_loan"))
    assert sum(c.value_usd() for c in pools) + ai == pytest.approx(m.p.pc_tech_lending_bn * BN, rel=1e-9)


def test_the_book_grows_with_new_commitments_then_stops(run):
    """[F28]: about 400 bn a year of new tech loans for two years, paid by new LP money."""
    m = run("baseline", steps=30)
    p = m.p
    book = sum(c.principal_usd for f in m.funds for c in f.claims_held("tech_loan"))
    start = p.pc_tech_lending_bn * BN - sum(f.gpu_loans_held_usd() for f in m.funds)
    grown = book - start
    # appetite is 1 without losses; the book cannot have grown by more than two years' worth
    two_years = 2 * p.tech_loan_growth_bn_per_year * BN
    assert 0.5 * two_years < grown <= two_years * (1 + 1e-9)


def test_many_small_loans_default_at_the_cohorts_hazard(run):
    """Idiosyncratic draws average out in a large pool: the month's defaults are the cohorts'
    mean monthly hazard within binomial noise."""
    m = run("ai_winter", steps=20, tech_loan_size_bn=0.002, tech_loan_growth_bn_per_year=0.0)
    pools = [c for f in m.funds for c in f.claims_held("tech_loan")]
    n = sum(c.borrowers_alive() for c in pools) + m.month.tech_loan_defaults
    q = credit_conditions(m.tech_borrowers, m.p.tech_loan_maturity_months).pd_per_month
    assert m.month.tech_loan_defaults == pytest.approx(n * q, abs=5 * math.sqrt(n * q * (1 - q)))


def test_a_spending_shortfall_impairs_the_pools(run):
    """A shortfall of AI spending against expectations impairs the pools at once."""
    m = run("ai_winter", steps=20)
    impairment = sum(c.impairment_usd for c in m.funds[0].claims_held("tech_loan"))
    assert m.tech_borrowers.factor < 0 and impairment > 0


def test_no_pd_or_mark_reads_the_ai_index(run, monkeypatch):
    """The AI stock index may say anything: PDs, recoveries and marks do not move."""
    from aicredit.abm.markets.equity import EquityMarket
    ref = run("ai_winter", steps=20)
    monkeypatch.setattr(EquityMarket, "drawdown", lambda self: 0.99)
    m = run("ai_winter", steps=20, fresh=True)
    assert m.month.tech_loan_pd_per_year == ref.month.tech_loan_pd_per_year
    imp = [sum(c.impairment_usd for c in f.claims_held("tech_loan")) for f in (m.funds[0], ref.funds[0])]
    assert imp[0] == imp[1]


@pytest.mark.xdist_group("arms")           # its runs are the arms group's cached baseline (tests/conftest.py)
def test_the_baseline_default_rate_lies_in_the_public_range(run):
    """[R28, R29]: private-credit default rates of 1.4-5.7% a year (Proskauer to Fitch), BDC
    non-accruals 3-5%: the baseline's average rate over its six years, on two seeds."""
    for seed in (0, 1):
        m = run("baseline", steps=72, seed=seed)
        assert 0.014 <= m.tech_borrowers.mean_default_rate_per_year() <= 0.057


# --- paired seeds: the signs the mechanism predicts -------------------------------------------
SEEDS = range(6)


#: Months of the paired tests: the demand shock at 18 and six months after it. Model 0.5.0,
#: seeds 0-5, tech-loan default losses by month 24: baseline 17-30 bn, winter 26-59, the
#: deeper shock 29-65 (above the winter by 3.0-6.6 bn in every seed; by month 36 by 48-61);
#: without AI revenue the winter adds -0.001 to 0.000 bn (seeds 0-2)
MONTHS = 24


def tech_defaults(run, scenario, seed, **params):
    m = run(scenario, steps=MONTHS, seed=seed, **params)
    return sum(e["amount_usd"] for e in m.losses.events if e["kind"] == "tech_loan_default")


@pytest.mark.slow
@pytest.mark.xdist_group("arms")           # extends and shares the arms' cached runs (tests/conftest.py)
@pytest.mark.horizon(MONTHS)
def test_the_winter_and_a_deeper_shock_bring_more_tech_credit_losses(run):
    base = np.array([tech_defaults(run, "baseline", s) for s in SEEDS])
    winter = np.array([tech_defaults(run, "ai_winter", s) for s in SEEDS])
    deep = np.array([tech_defaults(run, "ai_winter", s, demand_shock_size=0.6) for s in SEEDS])
    assert paired_stats(base, winter).effect == 1
    assert (deep - winter).mean() > 0 and (deep >= winter).sum() >= len(SEEDS) - 1


@pytest.mark.slow
@pytest.mark.xdist_group("arms")           # its runs with AI revenue are the arms' cached ones
@pytest.mark.horizon(MONTHS)
def test_without_ai_revenue_the_winter_adds_no_tech_credit_losses_beyond_noise(run):
    """No AI revenue share: defaults follow cohort and idiosyncratic shocks only, whatever the
    AI economy; the winter's extra tech losses come from the common factor (same draws)."""
    flat = dict(tech_borrower_ai_revenue_share=0.0)
    with_rho = np.array([tech_defaults(run, "ai_winter", s) - tech_defaults(run, "baseline", s)
                         for s in SEEDS[:3]])
    without = np.array([tech_defaults(run, "ai_winter", s, **flat) - tech_defaults(run, "baseline", s, **flat)
                        for s in SEEDS[:3]])
    assert with_rho.mean() > 0
    assert abs(without.mean()) < 0.25 * with_rho.mean()
