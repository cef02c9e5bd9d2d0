"""Private credit's tech book: Vasicek defaults given the AI factor, fair value, growth [F28].

Unit tests of the formulas and the pool contract, then the model: step 0 at par and at the
article's scale, and paired seeds for the signs the mechanism predicts (the winter and a
deeper shock bring more tech defaults; without correlation the AI economy does not matter).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from aicredit.abm.claims import ClaimBook, LoanPool
from aicredit.abm.tech_credit import (
    ai_credit_factor,
    credit_conditions,
    monthly_pd,
    unconditional_pd,
    vasicek_pd,
)
from aicredit.abm.units import BN
from aicredit.models.scenario import load_scenario
from aicredit.models.stats import paired_stats


# --- the formulas --------------------------------------------------------------------------
def test_vasicek_pd_averages_to_the_unconditional_pd_over_the_factor():
    """E_z[PD(z)] = PD0 for z ~ N(0, 1) (Vasicek 2002): Gauss-Hermite quadrature."""
    x, w = np.polynomial.hermite_e.hermegauss(80)
    for pd0, rho in [(0.03, 0.15), (0.01, 0.24), (0.2, 0.5)]:
        mean = sum(wi * vasicek_pd(pd0, rho, xi) for xi, wi in zip(x, w, strict=True)) / w.sum()
        assert mean == pytest.approx(pd0, rel=1e-6)


def test_vasicek_pd_rises_as_the_factor_falls_and_ignores_it_without_correlation():
    zs = [1.0, 0.0, -1.0, -2.0, -3.0]
    pds = [vasicek_pd(0.03, 0.15, z) for z in zs]
    assert all(a < b for a, b in zip(pds, pds[1:], strict=False))
    assert all(vasicek_pd(0.03, 0.0, z) == 0.03 for z in zs)
    assert vasicek_pd(0.0, 0.15, -3) == 0.0 and vasicek_pd(1.0, 0.15, 3) == 1.0


def test_unconditional_pd_gives_the_normal_year_pd_at_zero_factor():
    for pd_n, rho in [(0.03, 0.15), (0.05, 0.3)]:
        pd0 = unconditional_pd(pd_n, rho)
        assert pd0 > pd_n                          # the mean includes bad years
        assert vasicek_pd(pd0, rho, 0.0) == pytest.approx(pd_n, rel=1e-9)


def test_monthly_pd_compounds_to_the_yearly_pd():
    for pd in (0.0, 0.03, 0.5, 1.0):
        assert 1 - (1 - monthly_pd(pd)) ** 12 == pytest.approx(pd, abs=1e-12)


def test_ai_factor_is_zero_at_the_peak_and_in_volatility_units_below_it():
    assert ai_credit_factor(0.0, 0.3) == 0.0
    assert ai_credit_factor(0.5, 0.3) == pytest.approx(math.log(0.5) / 0.3)


def test_credit_conditions_at_the_peak_price_loans_at_par_and_worsen_with_the_drawdown():
    p = load_scenario("baseline")
    peak = credit_conditions(p, 0.0)
    assert peak.pd_per_year == pytest.approx(p.tech_loan_pd_per_year)
    assert peak.recovery == pytest.approx(p.tech_loan_recovery)
    assert peak.impairment_rate == 0.0
    worse = [credit_conditions(p, d) for d in (0.2, 0.4, 0.6)]
    assert all(a.pd_per_year < b.pd_per_year for a, b in zip([peak, *worse], worse, strict=False))
    assert all(a.recovery > b.recovery for a, b in zip([peak, *worse], worse, strict=False))
    assert all(0 < c.impairment_rate <= 1 - c.recovery for c in worse)
    flat = credit_conditions(load_scenario("baseline", tech_loan_asset_correlation=0.0), 0.6)
    assert flat.pd_per_year == pytest.approx(p.tech_loan_pd_per_year)


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
    m = run("baseline", steps=30, tech_loan_pd_per_year=0.0)
    p = m.p
    book = sum(c.principal_usd for f in m.funds for c in f.claims_held("tech_loan"))
    start = p.pc_tech_lending_bn * BN - sum(f.gpu_loans_held_usd() for f in m.funds)
    grown = book - start
    # appetite is 1 without losses; the book cannot have grown by more than two years' worth
    two_years = 2 * p.tech_loan_growth_bn_per_year * BN
    assert 0.5 * two_years < grown <= two_years * (1 + 1e-9)


def test_many_small_loans_default_at_the_conditional_rate(run):
    """Idiosyncratic draws average out in a large pool: the month's default share is PD(z)'s
    monthly hazard within binomial noise (the Vasicek limit)."""
    m = run("ai_winter", steps=20, tech_loan_size_bn=0.002, tech_loan_growth_bn_per_year=0.0)
    pools = [c for f in m.funds for c in f.claims_held("tech_loan")]
    # the month's defaults happened among the borrowers alive before them
    n = sum(c.borrowers_alive() for c in pools) + m.month.tech_loan_defaults
    q = monthly_pd(m.month.tech_loan_pd_per_year)
    assert m.month.tech_loan_pd_per_year > m.p.tech_loan_pd_per_year       # the winter has bitten
    assert m.month.tech_loan_defaults == pytest.approx(n * q, abs=5 * math.sqrt(n * q * (1 - q)))


def test_impairment_moves_true_nav_and_the_reported_nav_lags_it(run):
    """A drawdown impairs the pools at once; the smoothed reported NAV follows over months."""
    m = run("ai_winter", steps=20, tech_loan_pd_per_year=0.0)   # marks only: PD 0 at any z
    f = m.funds[0]
    impairment = sum(c.impairment_usd for c in f.claims_held("tech_loan"))
    assert impairment == 0.0                    # PD 0: no expected loss at any drawdown
    m = run("ai_winter", steps=20)
    f = m.funds[0]
    impairment = sum(c.impairment_usd for c in f.claims_held("tech_loan"))
    assert m.equity_market.drawdown() > 0.2 and impairment > 0
    assert f.reported_nav_usd > f.true_nav_usd()


# --- paired seeds: the signs the mechanism predicts -------------------------------------------
SEEDS = range(6)


def tech_defaults(run, scenario, seed, **params):
    m = run(scenario, steps=36, seed=seed, **params)
    return sum(e["amount_usd"] for e in m.losses.events if e["kind"] == "tech_loan_default")


@pytest.mark.slow
def test_the_winter_and_a_deeper_shock_bring_more_tech_credit_losses(run):
    base = np.array([tech_defaults(run, "baseline", s) for s in SEEDS])
    winter = np.array([tech_defaults(run, "ai_winter", s) for s in SEEDS])
    deep = np.array([tech_defaults(run, "ai_winter", s, demand_shock_size=0.6) for s in SEEDS])
    assert paired_stats(base, winter).effect == 1
    assert (deep - winter).mean() > 0 and (deep >= winter).sum() >= len(SEEDS) - 1


@pytest.mark.slow
def test_without_correlation_the_winter_adds_no_tech_credit_losses_beyond_noise(run):
    """rho = 0: defaults at the normal rate whatever the AI economy; the winter's extra tech
    losses come from the AI factor (same idiosyncratic stream in both arms)."""
    flat = dict(tech_loan_asset_correlation=0.0)
    with_rho = np.array([tech_defaults(run, "ai_winter", s) - tech_defaults(run, "baseline", s)
                         for s in SEEDS[:3]])
    without = np.array([tech_defaults(run, "ai_winter", s, **flat) - tech_defaults(run, "baseline", s, **flat)
                        for s in SEEDS[:3]])
    assert with_rho.mean() > 0
    assert abs(without.mean()) < 0.25 * with_rho.mean()
