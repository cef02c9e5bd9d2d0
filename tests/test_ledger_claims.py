"""Tests of the double-entry cash ledger (abm/ledger.py) and of claims (abm/claims.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from aicredit.abm.claims import Claim, ClaimBook, Contract, CreditLine, Debt, EquityClaim, Seniority
from aicredit.abm.ledger import OUTSIDE_ACCOUNTS, InsufficientFunds, Ledger


# --------------------------------------------------------------------------------------
# Ledger
# --------------------------------------------------------------------------------------
def funded_ledger(balances: dict[str, float]) -> Ledger:
    """A ledger with inside accounts funded from an outside account."""
    led = Ledger()
    for name, amount in balances.items():
        led.open(name)
        if amount:
            led.transfer("outside_investors", name, amount, "seed")
    return led


def test_new_ledger_has_outside_accounts_at_zero():
    led = Ledger()
    for name in OUTSIDE_ACCOUNTS:
        assert led.has(name)
        assert led.is_outside(name)
        assert led.balance(name) == 0.0
    assert led.total() == 0.0
    led.open("a")
    assert not led.is_outside("a")
    with pytest.raises(ValueError):
        led.open("a")
    with pytest.raises(ValueError):
        led.open_many(["b", "a"])


def test_transfer_moves_money_and_records_flow():
    led = funded_ledger({"a": 100.0, "b": 5.0})
    assert led.balance("a") == 100.0
    assert led.balance("outside_investors") == -105.0
    paid = led.transfer("a", "b", 30.0, "fee")
    assert paid == 30.0
    assert led.balance("a") == 70.0
    assert led.balance("b") == 35.0
    assert led.flows["fee"] == 30.0
    assert led.flows["seed"] == 105.0
    assert led.total() == 0.0
    # A zero transfer changes nothing and records nothing.
    assert led.transfer("a", "b", 0.0, "nothing") == 0.0
    assert led.balance("a") == 70.0
    assert led.flows.get("nothing", 0.0) == 0.0


def test_total_is_conserved_across_many_random_transfers():
    rng = np.random.default_rng(12345)
    led = Ledger()
    inside = [f"acct{i}" for i in range(40)]
    led.open_many(inside)
    names = list(OUTSIDE_ACCOUNTS) + inside
    for name in inside:
        led.transfer("outside_investors", name, float(rng.uniform(1e3, 1e9)), "seed")
    total0 = led.total()
    n_done = 0
    for _ in range(5000):
        payer, payee = rng.choice(names, 2, replace=False)
        if led.is_outside(payer):
            amount = float(rng.lognormal(15, 2))
        else:
            amount = float(rng.uniform(0, 1) * led.balance(payer))
        led.transfer(payer, payee, amount, "random")
        n_done += 1
        assert abs(led.total() - total0) <= 1e-9 * led.scale()
    assert n_done == 5000
    for name in inside:
        assert led.balance(name) >= 0.0
    # The scale is a real number, not zero (otherwise the check above is vacuous).
    assert led.scale() > 1e9


def test_inside_account_cannot_go_negative():
    led = funded_ledger({"a": 100.0, "b": 0.0})
    with pytest.raises(InsufficientFunds):
        led.transfer("a", "b", 100.01, "too_much")
    # Nothing moved.
    assert led.balance("a") == 100.0
    assert led.balance("b") == 0.0
    assert led.flows.get("too_much", 0.0) == 0.0
    with pytest.raises(InsufficientFunds):
        led.transfer("b", "a", 1.0, "empty")
    # Paying exactly what it holds is fine.
    led.transfer("a", "b", 100.0, "all")
    assert led.balance("a") == 0.0
    assert led.balance("b") == 100.0


def test_outside_account_can_go_negative():
    led = funded_ledger({"a": 0.0})
    led.transfer("suppliers", "a", 1e12, "sale")
    assert led.balance("suppliers") == -1e12
    led.transfer("households", "end_customers", 5.0, "outside_to_outside")
    assert led.balance("households") == -5.0
    assert led.balance("end_customers") == 5.0
    assert led.total() == 0.0


@pytest.mark.parametrize("amount", [-1.0, -1e-12, float("nan")])
def test_negative_or_nan_amount_raises_value_error(amount):
    led = funded_ledger({"a": 10.0, "b": 0.0})
    with pytest.raises(ValueError):
        led.transfer("a", "b", amount, "bad")
    with pytest.raises(ValueError):
        led.transfer("suppliers", "a", amount, "bad")
    with pytest.raises(ValueError):
        led.transfer_many(np.array([led.index("a")]), np.array([led.index("b")]),
                          np.array([amount]), "bad")
    assert led.balance("a") == 10.0
    assert led.balance("b") == 0.0


def test_transfer_many_is_simultaneous():
    # a holds 0 and b 50; in one batch b pays a 50, a pays c 50 (a pays out what it
    # receives) and c, which holds nothing, pays b 20 out of the 50 it receives.
    led = funded_ledger({"a": 0.0, "b": 50.0, "c": 0.0})
    ia, ib, ic = led.index("a"), led.index("b"), led.index("c")
    led.transfer_many(np.array([ib, ia, ic]), np.array([ia, ic, ib]),
                      np.array([50.0, 50.0, 20.0]), "batch")
    assert led.balance("a") == 0.0
    assert led.balance("b") == 20.0
    assert led.balance("c") == 30.0
    assert led.flows["batch"] == 120.0
    assert led.total() == 0.0


def test_transfer_many_same_payer_several_times_uses_net_position():
    led = funded_ledger({"a": 10.0, "b": 0.0})
    ia, ib = led.index("a"), led.index("b")
    o = led.index("suppliers")
    # a pays 6 + 6 = 12 > 10 but receives 3 from an outside account: net 10 - 12 + 3 = 1.
    led.transfer_many(np.array([ia, ia, o]), np.array([ib, ib, ia]),
                      np.array([6.0, 6.0, 3.0]), "net")
    assert led.balance("a") == pytest.approx(1.0)
    assert led.balance("b") == 12.0
    assert led.balance("suppliers") == -3.0


def test_transfer_many_is_all_or_nothing():
    led = funded_ledger({"a": 10.0, "b": 5.0, "c": 0.0})
    before = {n: led.balance(n) for n in led.names}
    flows_before = dict(led.flows)
    ia, ib, ic = led.index("a"), led.index("b"), led.index("c")
    # The first two payments are fine; b is 1 short on the third.
    with pytest.raises(InsufficientFunds) as exc:
        led.transfer_many(np.array([ia, ia, ib]), np.array([ic, ib, ic]),
                          np.array([4.0, 1.0, 7.0]), "batch")
    assert "b" in str(exc.value)
    assert {n: led.balance(n) for n in led.names} == before
    assert dict(led.flows) == flows_before
    # Outside payers are never short.
    o = led.index("gpu_buyers")
    led.transfer_many(np.array([o]), np.array([ic]), np.array([1e15]), "outside")
    assert led.balance("gpu_buyers") == -1e15


def test_transfer_many_empty_batch_is_a_no_op():
    led = funded_ledger({"a": 1.0})
    led.transfer_many(np.array([], dtype=np.int64), np.array([], dtype=np.int64),
                      np.array([]), "empty")
    assert led.balance("a") == 1.0
    assert led.flows.get("empty", 0.0) == 0.0


def test_flows_and_take_flows():
    led = funded_ledger({"a": 100.0, "b": 0.0})
    led.take_flows()
    led.transfer("a", "b", 10.0, "interest")
    led.transfer("a", "b", 15.0, "interest")
    led.transfer("b", "a", 4.0, "refund")
    flows = led.take_flows()
    assert flows == {"interest": 25.0, "refund": 4.0}
    # Reset: the next step starts empty, and the returned dict is independent.
    assert dict(led.flows) == {}
    led.transfer("a", "b", 1.0, "interest")
    assert led.take_flows() == {"interest": 1.0}
    assert flows == {"interest": 25.0, "refund": 4.0}


# --------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------
class Issuer:
    """A stand-in issuer with a price per unit."""

    def __init__(self, price):
        self.price = price

    def price_per_unit_usd(self):
        return self.price


def make_debt(**kw):
    args = dict(holder="bank", issuer="firm", kind="loan", principal_usd=1000.0,
                rate_per_month=0.01, maturity_step=None, amortisation_usd_per_month=100.0,
                arrears_usd=50.0)
    args.update(kw)
    return Debt(**args)


def test_debt_due_is_interest_plus_principal_due_plus_arrears():
    d = make_debt()
    assert d.due_usd(0) == pytest.approx(10.0 + 100.0 + 50.0)
    assert d.value_usd() == 1050.0
    # At maturity the whole principal falls due.
    d = make_debt(maturity_step=12)
    assert d.principal_due_usd(11) == 100.0
    assert d.principal_due_usd(12) == 1000.0
    assert d.due_usd(13) == pytest.approx(10.0 + 1000.0 + 50.0)
    # Amortisation cannot exceed what is left.
    d = make_debt(principal_usd=40.0, arrears_usd=0.0)
    assert d.principal_due_usd(0) == 40.0


def test_debt_settle_in_full():
    d = make_debt()
    d.settle(160.0, step=0)
    assert d.arrears_usd == 0.0
    assert d.principal_usd == pytest.approx(900.0)


@pytest.mark.parametrize("paid, principal, arrears", [
    (0.0, 1000.0, 60.0),     # nothing paid: arrears and interest are in arrears
    (30.0, 1000.0, 30.0),    # part of arrears + interest
    (50.0, 1000.0, 10.0),    # arrears paid, interest not
    (60.0, 1000.0, 0.0),     # arrears and interest paid, no principal
    (100.0, 960.0, 0.0),     # arrears, interest and 40 of principal
    (160.0, 900.0, 0.0),     # everything due
])
def test_debt_settle_pays_arrears_then_interest_then_principal(paid, principal, arrears):
    d = make_debt()
    value_before = d.value_usd()
    interest = d.principal_usd * d.rate_per_month
    d.settle(paid, step=0)
    assert d.principal_usd == pytest.approx(principal)
    assert d.arrears_usd == pytest.approx(arrears)
    # The claim grows by the interest and falls by what was paid.
    assert d.value_usd() == pytest.approx(value_before + interest - paid)


def test_debt_settle_at_maturity_and_repaid_in_full():
    d = make_debt(maturity_step=3, arrears_usd=0.0)
    d.settle(1010.0, step=3)
    assert d.principal_usd == 0.0
    assert d.arrears_usd == 0.0
    assert d.value_usd() == 0.0
    # An unpaid maturity leaves the principal owed and the interest in arrears.
    d = make_debt(maturity_step=3, arrears_usd=0.0)
    d.settle(0.0, step=3)
    assert d.principal_usd == 1000.0
    assert d.arrears_usd == pytest.approx(10.0)
    assert d.due_usd(4) == pytest.approx(10.0 + 1000.0 + 10.0)


@pytest.mark.parametrize("loss", [0.0, 20.0, 50.0, 300.0, 1049.0])
def test_write_down_reduces_value_by_the_loss(loss):
    d = make_debt()
    before = d.value_usd()
    d.write_down(loss)
    assert d.value_usd() == pytest.approx(before - loss)
    # Arrears are written down first.
    assert d.arrears_usd == pytest.approx(max(0.0, 50.0 - loss))
    assert d.principal_usd == pytest.approx(1000.0 - max(0.0, loss - 50.0))


def test_write_down_beyond_value_floors_at_zero():
    d = make_debt()
    d.write_down(5000.0)
    assert d.value_usd() == 0.0
    assert d.principal_usd == 0.0 and d.arrears_usd == 0.0


def test_roll_over_moves_maturity():
    d = make_debt(maturity_step=5)
    assert d.principal_due_usd(5) == 1000.0
    d.roll_over(12, step=5)
    assert d.maturity_step == 17
    assert d.principal_due_usd(5) == 100.0


def test_credit_line_excess_over_cut_limit_falls_due():
    line = CreditLine(holder="bank", issuer="fund", kind="credit_line", principal_usd=100.0,
                      rate_per_month=0.01, limit_usd=150.0)
    assert line.undrawn_usd() == 50.0
    assert line.excess_usd() == 0.0
    assert line.principal_due_usd(0) == 0.0
    assert line.due_usd(0) == pytest.approx(1.0)
    line.limit_usd = 60.0                     # the bank cuts the line
    assert line.undrawn_usd() == 0.0
    assert line.excess_usd() == pytest.approx(40.0)
    assert line.principal_due_usd(0) == pytest.approx(40.0)
    assert line.due_usd(0) == pytest.approx(1.0 + 40.0)
    line.settle(41.0, step=0)
    assert line.principal_usd == pytest.approx(60.0)
    assert line.arrears_usd == 0.0
    assert line.excess_usd() == 0.0
    # A partial payment leaves the excess drawn and the unpaid interest in arrears.
    line.limit_usd = 20.0
    line.settle(0.3, step=1)
    assert line.principal_usd == pytest.approx(60.0)
    assert line.arrears_usd == pytest.approx(0.6 - 0.3)
    assert line.due_usd(2) == pytest.approx(0.6 + 40.0 + 0.3)


def test_contract_due_only_while_active():
    c = Contract(holder="cloud", issuer="lab", kind="compute_contract",
                 payment_usd_per_month=10.0, start_step=3, end_step=6)
    assert [c.active(t) for t in range(8)] == [False] * 3 + [True] * 3 + [False] * 2
    assert [c.due_usd(t) for t in range(8)] == [0, 0, 0, 10, 10, 10, 0, 0]
    assert c.value_usd() == 0.0
    assert c.remaining_usd(0) == 30.0
    assert c.remaining_usd(4) == 20.0
    assert c.remaining_usd(6) == 0.0
    assert c.remaining_usd(9) == 0.0
    # Closed contracts are no longer active.
    c.closed = True
    assert not c.active(4)
    assert c.due_usd(4) == 0.0


def test_contract_arrears_are_its_value():
    c = Contract(holder="cloud", issuer="lab", kind="compute_contract",
                 payment_usd_per_month=10.0, start_step=0, end_step=12)
    c.settle(4.0, step=0)
    assert c.arrears_usd == pytest.approx(6.0)
    assert c.value_usd() == pytest.approx(6.0)
    assert c.due_usd(1) == pytest.approx(16.0)
    c.settle(16.0, step=1)
    assert c.arrears_usd == 0.0
    c.settle(0.0, step=2)
    c.write_down(4.0)
    assert c.value_usd() == pytest.approx(6.0)
    c.write_down(100.0)
    assert c.value_usd() == 0.0
    # Arrears still fall due after the contract has ended.
    c.arrears_usd = 7.0
    assert c.due_usd(20) == 7.0


def test_equity_claim_value_is_units_times_issuer_price():
    issuer = Issuer(12.5)
    e = EquityClaim(holder="saver", issuer=issuer, kind="equity", units=8.0, cost_usd=90.0)
    assert e.seniority == Seniority.EQUITY
    assert not e.is_liability
    assert e.value_usd() == 100.0
    issuer.price = 3.0
    assert e.value_usd() == 24.0
    e.closed = True
    assert e.value_usd() == 0.0
    assert make_debt().is_liability


def test_claim_ids_are_unique():
    ids = {Claim(holder=i, issuer="x").id for i in range(100)}
    assert len(ids) == 100


def test_claimbook_add_close_transfer():
    book = ClaimBook()
    d1 = book.add(make_debt(holder="bank", issuer="firm"))
    d2 = book.add(make_debt(holder="bank", issuer="lab", kind="bond"))
    d3 = book.add(make_debt(holder="fund", issuer="firm"))
    assert book.held("bank") == [d1, d2]
    assert book.held("bank", kind="bond") == [d2]
    assert book.issued("firm") == [d1, d3]
    assert book.held("nobody") == []

    book.transfer(d1, "insurer")
    assert d1.holder == "insurer"
    assert book.held("bank") == [d2]
    assert book.held("insurer") == [d1]
    assert d1 in book.issued("firm")

    book.close(d3)
    assert d3.closed
    assert d3 not in book.held("fund")
    assert d3 not in book.issued("firm")
    assert d3 in book.all
    book.compact()
    assert book.all == [d1, d2]


@pytest.mark.parametrize("share", [0.0, 0.25, 0.5, 1.0])
def test_claimbook_split_debt_conserves_principal(share):
    book = ClaimBook()
    d = book.add(make_debt(holder="fund", issuer="neocloud"))
    part = book.split(d, share, "saver")
    assert part is not d
    assert part.id != d.id
    assert part.principal_usd + d.principal_usd == pytest.approx(1000.0)
    assert part.arrears_usd + d.arrears_usd == pytest.approx(50.0)
    assert part.principal_usd == pytest.approx(1000.0 * share)
    assert part.value_usd() + d.value_usd() == pytest.approx(1050.0)
    # The rate and terms are the same; only the size is split.
    assert part.rate_per_month == d.rate_per_month
    assert part.kind == d.kind and part.issuer == "neocloud"
    assert part.holder == "saver" and d.holder == "fund"
    # Both parts are indexed by holder and issuer.
    assert book.held("fund") == [d]
    assert book.held("saver") == [part]
    assert set(map(id, book.issued("neocloud"))) == {id(d), id(part)}
    assert part in book.all and d in book.all


def test_claimbook_split_equity_conserves_units():
    book = ClaimBook()
    issuer = Issuer(2.0)
    e = book.add(EquityClaim(holder="fund", issuer=issuer, kind="fund_share", units=30.0,
                             cost_usd=45.0))
    part = book.split(e, 0.2, "saver_1")
    assert e.units + part.units == pytest.approx(30.0)
    assert part.units == pytest.approx(6.0)
    assert e.cost_usd + part.cost_usd == pytest.approx(45.0)
    assert e.value_usd() + part.value_usd() == pytest.approx(60.0)
    assert book.held("saver_1") == [part]
    assert len(book.issued(issuer)) == 2
    # Closing one part leaves the other indexed.
    book.close(part)
    assert book.issued(issuer) == [e]


def test_claimbook_split_credit_line_and_contract():
    book = ClaimBook()
    line = book.add(CreditLine(holder="bank0", issuer="fund", kind="credit_line",
                               principal_usd=80.0, limit_usd=100.0, rate_per_month=0.005))
    part = book.split(line, 0.25, "bank1")
    assert line.limit_usd + part.limit_usd == pytest.approx(100.0)
    assert line.principal_usd + part.principal_usd == pytest.approx(80.0)
    c = book.add(Contract(holder="cloud", issuer="lab", kind="compute_contract",
                          payment_usd_per_month=9.0, start_step=0, end_step=10))
    cpart = book.split(c, 1 / 3, "spv")
    assert c.payment_usd_per_month + cpart.payment_usd_per_month == pytest.approx(9.0)
    assert c.remaining_usd(0) + cpart.remaining_usd(0) == pytest.approx(90.0)
    assert math.isclose(cpart.payment_usd_per_month, 3.0)
