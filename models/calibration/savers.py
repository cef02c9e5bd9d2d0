"""401(k) saver cohorts at step 0 [F18, F34]."""
from __future__ import annotations

import numpy as np

from aicredit.abm.agents import SaverCohort
from aicredit.abm.claims import Debt
from aicredit.abm.units import BN, MONTHS_PER_YEAR
from aicredit.models.calibration.private_credit import lp_funds

__all__ = ["build_savers"]

#: Level of the AI index at step 0 (it is normalised to its step-0 value [F18]).
INDEX_LEVEL_0 = 1.0


def build_savers(model) -> None:
    """Create ``n_saver_cohorts`` 401(k) cohorts with lognormal sizes and panic thresholds.

    Sizes are lognormal (``saver_size_dispersion``); contributions grow with the square root
    of size; panic thresholds are lognormal around ``saver_panic_drawdown_mean`` (mean-
    preserving) and clipped. Each cohort holds the AI index [F18] and outside bonds; it buys
    into a private-credit fund (in turn) once policy allows [F34]. These are the run's second
    random draws, after the opening GPU loans. The index units are claims on the listed
    firms: the model's ``model.index_pool`` takes the savers' index value as a fraction of
    every listed firm's equity from the outside investors. Needs the funds and the listed
    firms; sets ``model.savers`` and the pool's step-0 holdings and units.
    """
    p = model.p
    rng = model.rng
    out = model.outside
    funds = lp_funds(model)            # not the BDCs: the public owns those
    nf = len(funds)
    nc = p.n_saver_cohorts
    size = rng.lognormal(0.0, p.saver_size_dispersion, nc)
    size /= size.sum()
    sd = p.saver_panic_dispersion
    thresholds = np.clip(p.saver_panic_drawdown_mean * rng.lognormal(0.0, sd, nc)
                         / np.exp(sd ** 2 / 2), p.saver_panic_drawdown_min, p.saver_panic_drawdown_max)
    contrib = (np.sqrt(size) / np.sqrt(size).sum() * p.savers_contribution_bn_per_year * BN
               / MONTHS_PER_YEAR)
    model.ledger.open_many([f"401k cohort {i + 1}" for i in range(nc)])
    savers = []
    for i in range(nc):
        sc = SaverCohort(model, f"401k cohort {i + 1}", float(contrib[i]), float(thresholds[i]))
        wealth = float(size[i]) * p.savers_total_bn * BN
        sc.index_units = p.saver_ai_index_share * wealth / INDEX_LEVEL_0
        sc.index_cost_usd = sc.index_units
        model.claims.add(Debt(holder=sc, issuer=out("other_borrowers"), kind="bond_holding",
                              principal_usd=(1 - p.saver_ai_index_share) * wealth,
                              rate_per_month=p.outside_bond_rate_per_year / MONTHS_PER_YEAR))
        sc.peak_usd = wealth
        sc.pc_fund = funds[i % nf]
        savers.append(sc)
    model.savers = savers
    pool = model.index_pool
    listed = [a for a in model.agents if a.listed and not a.defaulted]
    cap = sum(f.valuation_usd for f in listed)
    units = sum(sc.index_units for sc in savers)
    pool.carve_out(listed, min(1.0, units * INDEX_LEVEL_0 / cap) if cap > 0 else 0.0)
    pool.units = units
