"""401(k) savers: index units as claims on listed equity, realised vs mark-to-market losses,
access to alternatives [F34]."""
from __future__ import annotations

import numpy as np
import pytest

from abm.claims import EquityClaim
from abm.default import resolve_default
from models import AIEconomyModel
from models.report import summary
from tests.conftest import run

SEEDS = range(8)


def _owned(m, firm) -> float:
    return sum(c.units for c in m.claims.issued(firm) if isinstance(c, EquityClaim)) / firm.shares_outstanding


def _named(m, name):
    return next(a for a in m.institutions if a.name == name)


def test_listed_firms_are_owned_once_and_the_index_is_their_equity():
    m = AIEconomyModel("baseline", seed=0)
    listed = [a for a in m.institutions if a.listed]
    assert all(_owned(m, f) == pytest.approx(1.0) for f in listed)
    index = sum(s.index_value_usd() for s in m.savers)
    assert index == pytest.approx(m.index_pool.value_usd())
    assert index == pytest.approx(m.p.saver_ai_index_share * m.p.savers_total_bn * 1e9)
    m.step()
    m.step()
    assert all(_owned(m, f) == pytest.approx(1.0) for f in listed if not f.defaulted)


def test_a_listed_failure_is_split_between_savers_and_other_shareholders():
    """CoreWeave fails: the savers' index share of its equity is their realised loss, the rest
    the outside shareholders'; each booked once."""
    m = AIEconomyModel("baseline", seed=0, collect_agents=False)
    m.step()
    cw = _named(m, "CoreWeave")
    pool_part = sum(c.value_usd() for c in m.index_pool.claims() if c.issuer is cw)
    value = cw.valuation_usd
    assert 0 < pool_part < value
    before = dict(m.losses.by_category)
    resolve_default(m, cw, "test_shock")
    wiped = [e for e in m.losses.events if e["issuer"] == "CoreWeave" and e["kind"] == "equity_wiped_out"]
    by_holder: dict = {}
    for e in wiped:
        by_holder[e["holder"]] = by_holder.get(e["holder"], 0.0) + e["amount_usd"]
    assert by_holder["401k_index"] == pytest.approx(pool_part)
    assert sum(by_holder.values()) == pytest.approx(value)
    assert m.losses.by_category["savers_401k"] - before["savers_401k"] == pytest.approx(pool_part)
    m.step()
    assert sum(s.realised_loss_usd for s in m.savers) == pytest.approx(pool_part, rel=1e-6)


def test_panic_turns_mark_to_market_losses_into_realised_ones():
    m = run("baseline", steps=8, demand_shock_step=2, demand_shock_size=0.7,
            saver_panic_drawdown_mean=0.05)
    df = m.datacollector.get_model_vars_dataframe()
    assert m.month.panic_cohorts >= 0 and df["savers_panicking"].sum() > 0
    s = summary(m)
    assert s["savers_401k_realised_loss_usd"] > 0 and s["savers_401k_unrealised_loss_usd"] > 0
    panic = sum(e["amount_usd"] for e in m.losses.events if e["kind"] == "ai_index_panic_sale")
    assert s["savers_401k_realised_loss_usd"] >= panic * (1 - 1e-9)


def _winter(seed, **kw):
    m = AIEconomyModel("ai_winter", seed=seed, collect_agents=False, **kw)
    while m.running:
        m.step()
    return summary(m)


@pytest.mark.slow
def test_access_to_alternatives_raises_savers_private_credit_exposure_and_losses():
    pc, lp = [], []
    for s in SEEDS:
        on, off = _winter(s), _winter(s, allow_401k_alternatives=False)
        pc.append(on["savers_401k_pc_usd_end"] - off["savers_401k_pc_usd_end"])
        lp.append(on["losses_by_holder_usd"]["lp_401k"] - off["losses_by_holder_usd"]["lp_401k"])
    pc, lp = np.array(pc), np.array(lp)
    se = lambda x: x.std(ddof=1) / np.sqrt(len(x))   # noqa: E731
    print(f"401(k) PC holdings +{pc.mean() / 1e9:.0f} bn (se {se(pc) / 1e9:.1f}); "
          f"PC losses +{lp.mean() / 1e9:.1f} bn (se {se(lp) / 1e9:.2f})")
    assert (pc > 0).all() and (lp > 0).all()
    assert pc.mean() > 0.01 * 9000e9     # visible: over 1% of savings
