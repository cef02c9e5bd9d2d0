"""Default costs in the month's settlement (Rogers and Veraart 2013, ``docs/sources.md#r35``):
off by default, and when on, a failing debtor's creditors recover less."""
from __future__ import annotations

import pytest

from aicredit.abm.claims import Debt
from aicredit.abm.default import resolve_default
from aicredit.abm.settlement import settle_month
from aicredit.models import AIEconomyModel
from aicredit.models.scenario import Scenario

BN = 1e9


def test_default_is_no_cost():
    """The shipped calibration is plain Eisenberg and Noe clearing: alpha = beta = 1."""
    assert Scenario().default_cost_alpha == 1.0 and Scenario().default_cost_beta == 1.0


def failed_lab_recovery(alpha: float, beta: float) -> dict[str, float]:
    """xAI owes a bank a 10 bn loan due now and holds 4 bn: it fails in the clearing.

    Returns what the bank recovered in the clearing, in all (clearing and estate), the
    loss booked on it, and the default costs paid to the outside world."""
    m = AIEconomyModel("baseline", seed=0, collect_agents=False,
                       default_cost_alpha=alpha, default_cost_beta=beta)
    lab = next(a for a in m.institutions if a.name == "xAI")
    bank = next(a for a in m.institutions if a.name == "Bank 1")
    for c in list(m.claims.issued(lab)):
        m.claims.close(c)
    loan = m.claims.add(Debt(holder=bank, issuer=lab, kind="bank_loan", principal_usd=10 * BN,
                             maturity_step=m.steps))
    lab.pay("suppliers", lab.cash_usd - 4 * BN, "test_burn")
    m.ledger.take_flows()
    bank_cash = m.ledger.balance(bank.name)
    settle_month(m)
    assert lab.name in m.month.payment_defaulters
    in_clearing = 10 * BN - loan.value_usd()            # what the lab paid on the loan
    costs = m.ledger.take_flows().get("default_costs", 0.0)
    received_in_clearing = m.ledger.balance(bank.name) - bank_cash  # from everyone who owes it
    resolve_default(m, lab, "test")
    loss = sum(e["amount_usd"] for e in m.losses.events
               if e["issuer"] == "xAI" and e["holder"] == bank.name)
    estate = m.ledger.balance(bank.name) - bank_cash - received_in_clearing
    return {"in_clearing": in_clearing, "total": in_clearing + estate, "loss": loss, "costs": costs}


@pytest.mark.parametrize("alpha,beta", [(0.5, 1.0), (0.5, 0.5), (0.8, 0.6)])
def test_default_costs_lower_the_creditors_recovery(alpha, beta):
    """Without costs the bank gets all 4 bn (the lab owes nothing else due this month once its
    other claims are closed), and the estate has nothing left; with costs the lab
    realises only ``alpha`` of its cash, the rest leaves the economy, and the bank recovers
    ``alpha`` times as much, booking the difference as a loss."""
    plain, costly = failed_lab_recovery(1.0, 1.0), failed_lab_recovery(alpha, beta)
    assert plain["costs"] == 0.0
    assert 0 < plain["in_clearing"] <= 4 * BN
    assert costly["in_clearing"] == pytest.approx(alpha * plain["in_clearing"], rel=1e-9)
    assert costly["costs"] == pytest.approx((1 - alpha) * 4 * BN, rel=1e-9)
    assert costly["total"] < plain["total"] - 0.1 * BN
    assert costly["loss"] > plain["loss"] + 0.1 * BN
