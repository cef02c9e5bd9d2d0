"""Equity rounds (``abm/funding.py``): outside investors' appetite binds because a round is
an event, not a standing offer that a firm can take up again every month."""
from __future__ import annotations

from types import SimpleNamespace

from aicredit.abm.funding import round_open
from aicredit.models import AIEconomyModel


def test_round_open_waits_the_interval_after_any_round():
    p = SimpleNamespace(lab_round_interval_months=3)
    firm = SimpleNamespace(last_round_step=None)
    assert round_open(SimpleNamespace(steps=5, p=p), firm)          # never raised
    firm.last_round_step = 5
    assert not round_open(SimpleNamespace(steps=6, p=p), firm)
    assert not round_open(SimpleNamespace(steps=7, p=p), firm)
    assert round_open(SimpleNamespace(steps=8, p=p), firm)


def short_openai(appetite: float, steps: int = 8, **params):
    """OpenAI left with a tenth of its cash in the baseline, outside investors filling
    ``appetite`` of each round; returns the model and the months in which it sold equity
    (all before Nvidia's first tranche in month 9)."""
    m = AIEconomyModel("baseline", seed=0, collect_agents=False, outside_investor_appetite=appetite,
                       **params)
    openai = m.institution("OpenAI")
    m.ledger.transfer(openai.name, "outside_investors", 0.9 * openai.cash_usd, "test_drain")
    months, shares = [], openai.shares_outstanding
    for _ in range(steps):
        m.step()
        if openai.shares_outstanding > shares:
            months.append(m.steps)
        shares = openai.shares_outstanding
    return openai, months


def test_rounds_come_no_more_often_than_the_interval():
    """A lab short of cash asks again as soon as it may: every third month."""
    openai, months = short_openai(0.2, lab_round_interval_months=3)
    assert not openai.defaulted
    assert len(months) >= 3
    assert {b - a for a, b in zip(months, months[1:], strict=False)} == {3}


def test_thin_appetite_no_longer_keeps_a_lab_alive():
    """Investors who fill a tenth of each round (12 months of losses) fund 1.2 months of
    losses a round. Asked every month (interval 1, the rule of model 0.2.0) that covered the
    lab's whole loss, so it never failed; with rounds a quarter apart it runs out of cash."""
    monthly, months = short_openai(0.1, lab_round_interval_months=1)
    assert not monthly.defaulted and len(months) == 8
    quarterly, _ = short_openai(0.1)
    assert quarterly.defaulted
