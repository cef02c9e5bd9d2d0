"""What every institution of the economy has: a cash account, claims, a balance sheet.

An :class:`Institution` is a Mesa agent. Each month it first *decides* (reads the state at
the start of the month and writes its plans) and then the model *acts* on all plans
together, so the order in which agents are visited does not change results (the
decide/act split of the INET Oxford resilience model). :class:`OutsideParty` stands for a
named outside-world account (end customers, bond investors...) that can hold or issue
claims but never defaults.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Any

import mesa
import numpy as np

from aicredit.abm.claims import Contract, Debt, EquityClaim, Seniority
from aicredit.abm.economy import Economy
from aicredit.abm.units import MONTHS_PER_YEAR

#: The seniority of equity claims, which are not liabilities (:attr:`Claim.is_liability`).
_EQUITY = Seniority.EQUITY

__all__ = ["Institution", "OutsideParty"]


class OutsideParty:
    """A counterparty outside the modelled economy, with its ledger account of that name."""

    sector = "outside"
    defaulted = False
    listed = False

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"OutsideParty({self.name!r})"

    def renewal_factor(self, contract) -> float:
        """The outside world renews what it rents at the same size (e.g. spot buyers that
        took over a lapsed contract with C2 off)."""
        return 1.0


def _price_input(name: str, doc: str) -> property:
    """An attribute that sets the price per unit of the institution's equity.

    Setting it on a listed firm bumps ``model.listed_prices_version``: the 401(k) index pool
    (:class:`abm.markets.index_pool.IndexPool`) caches its unit price, a sum over every listed firm,
    and reuses it while that counter and its own holdings are unchanged.
    """
    private = "_" + name

    def set_value(self, value) -> None:
        self.__dict__[private] = value
        if self.listed:
            self.model.listed_prices_version += 1

    return property(attrgetter(private), set_value, doc=doc)


class Institution(mesa.Agent):
    """A firm or financial institution with cash, GPUs, real assets and claims.

    Balance sheet (USD): assets = cash + GPUs at market price + real assets + value of
    claims held; liabilities = value of debt-like claims issued (GPU loans included);
    equity = assets - liabilities, owned by the holders of its equity claims.
    """

    sector = "institution"
    listed = False
    # The economy it belongs to (mesa.Agent.__init__ sets it). Mesa types it as a mesa.Model;
    # the engine reads only what the Economy protocol declares (the model is both).
    model: Economy                # type: ignore[assignment]
    # what price_per_unit_usd reads; setting one of them on a listed firm is seen by the index pool
    defaulted = _price_input("defaulted", "True once the institution has failed.")
    shares_outstanding = _price_input("shares_outstanding", "Units of its equity outstanding.")
    valuation_usd = _price_input(
        "valuation_usd", "Market cap (listed) or last round's valuation (private), USD.")

    def __init__(self, model: Economy, name: str):
        super().__init__(model)   # type: ignore[arg-type]  # a mesa.Model in the app (see `model`)
        self.name = name
        if not model.ledger.has(name):     # saver cohorts' accounts are opened in bulk
            model.ledger.open(name)
        self.gpu_units = np.zeros(model.gpu_market.n_vintages)
        self.real_assets_usd = 0.0
        self.defaulted = False
        self.default_step: int | None = None
        self.shares_outstanding = 1.0
        self.valuation_usd = 0.0      # market cap (listed) or last round's valuation (private)
        self.income_usd = 0.0         # this month's operating income (for reports)

    # --- cash ---------------------------------------------------------------------------
    @property
    def cash_usd(self) -> float:
        return self.model.ledger.balance(self.name)

    def pay(self, payee, amount_usd: float, memo: str) -> float:
        """Pay another institution or an outside account through the ledger."""
        name = payee if isinstance(payee, str) else payee.name
        return self.model.ledger.transfer(self.name, name, amount_usd, memo)

    def receive(self, payer: str, amount_usd: float, memo: str) -> float:
        return self.model.ledger.transfer(payer, self.name, amount_usd, memo)

    # --- balance sheet ------------------------------------------------------------------
    def gpu_value_usd(self) -> float:
        return float(self.gpu_units @ self.model.gpu_market.price)

    def claims_held(self, kind: str | None = None):
        return self.model.claims.held(self, kind)

    def claims_issued(self, kind: str | None = None):
        return self.model.claims.issued(self, kind)

    def gpu_loans_held_usd(self) -> float:
        return 0.0

    def gpu_loans_owed_usd(self) -> float:
        return 0.0

    def total_assets_usd(self) -> float:
        return (self.cash_usd + self.gpu_value_usd() + self.real_assets_usd
                + sum(c.value_usd() for c in self.claims_held()) + self.gpu_loans_held_usd())

    def total_liabilities_usd(self) -> float:
        # Claim.is_liability, inlined: this sum is taken tens of thousands of times a run
        return (sum(c.value_usd() for c in self.claims_issued() if c.seniority != _EQUITY)
                + self.gpu_loans_owed_usd())

    def equity_usd(self) -> float:
        """Book equity: assets minus liabilities (negative means insolvent)."""
        return self.total_assets_usd() - self.total_liabilities_usd()

    def debt_usd(self) -> float:
        """Interest-bearing debt (contracts excluded)."""
        return (sum(c.value_usd() for c in self.claims_issued()
                    if c.seniority != _EQUITY and not isinstance(c, Contract)) + self.gpu_loans_owed_usd())

    def balance_sheet(self) -> dict[str, Any]:
        """Assets and liabilities by line (dicts) and their totals and equity, in USD."""
        held: dict[str, float] = {}
        for c in self.claims_held():
            held[c.kind] = held.get(c.kind, 0.0) + c.value_usd()
        owed: dict[str, float] = {}
        for c in self.claims_issued():
            if c.is_liability:
                owed[c.kind] = owed.get(c.kind, 0.0) + c.value_usd()
        if self.gpu_loans_held_usd():
            held["gpu_loan"] = self.gpu_loans_held_usd()
        if self.gpu_loans_owed_usd():
            owed["gpu_loan"] = self.gpu_loans_owed_usd()
        assets = {"cash": self.cash_usd, "gpus": self.gpu_value_usd(),
                  "real_assets": self.real_assets_usd, **held}
        total_a, total_l = sum(assets.values()), sum(owed.values())
        return {"assets": assets, "liabilities": owed, "total_assets": total_a,
                "total_liabilities": total_l, "equity": total_a - total_l}

    # --- equity claims on this institution ------------------------------------------------
    def price_per_unit_usd(self) -> float:
        """Value of one unit of this institution's equity (0 once it has defaulted)."""
        if self.defaulted:
            return 0.0
        return self.valuation_usd / self.shares_outstanding

    def issue_equity(self, investor, amount_usd: float, memo: str = "equity_round",
                     discount: float = 0.0) -> EquityClaim | None:
        """Sell new equity to ``investor`` at the current price per unit less ``discount`` (the
        issuance cost borne by existing shareholders: :func:`abm.funding.sell_new_shares`)."""
        price = self.price_per_unit_usd() * (1.0 - discount)
        if amount_usd <= 0 or price <= 0:
            return None
        investor_name = investor if isinstance(investor, str) else investor.name
        self.model.ledger.transfer(investor_name, self.name, amount_usd, memo)
        units = amount_usd / price
        self.shares_outstanding += units
        self.valuation_usd += amount_usd
        holder = self.model.outside(investor) if isinstance(investor, str) else investor
        return self.model.claims.add(EquityClaim(holder=holder, issuer=self, kind="equity",
                                                 units=units, cost_usd=amount_usd))

    # --- markets ---------------------------------------------------------------------------
    def buy_gpus(self, spend_usd: float) -> float:
        """Buy newest-vintage GPUs for up to ``spend_usd`` from the chipmaker; returns units bought.

        A neocloud's purchase is financed by the GPU-backed loans just disbursed to it
        (:func:`abm.gpu_lending.lend_to_neoclouds`), which pledge units out of these.
        """
        supplier = self.model.gpu_supplier
        if spend_usd <= 0 or supplier is None or supplier.defaulted:
            return 0.0
        market = self.model.gpu_market
        v = market.newest(self.model.steps)
        price = market.ref_price[v]
        spend_usd = min(spend_usd, self.cash_usd)
        units = spend_usd / price
        self.pay(supplier, spend_usd, "gpu_purchase")
        supplier.sell_gpus(self, units, price)
        self.gpu_units[v] += units
        return units

    def buy_bonds(self, amount_usd: float) -> None:
        """Invest cash in outside bonds (a claim on other borrowers at the outside bond rate)."""
        if amount_usd <= 0:
            return
        m = self.model
        existing = m.claims.held(self, "bond_holding")
        self.pay("other_borrowers", amount_usd, "bond_purchase")
        if existing:
            existing[0].principal_usd += amount_usd
        else:
            m.claims.add(Debt(holder=self, issuer=m.outside("other_borrowers"), kind="bond_holding",
                              principal_usd=amount_usd,
                              rate_per_month=m.p.outside_bond_rate_per_year / MONTHS_PER_YEAR))

    # --- monthly behaviour ----------------------------------------------------------------
    def decide(self) -> None:
        """Plan this month from the state at its start (no payments here)."""

    def act(self) -> None:
        """Carry out the plans that concern only this institution and outside accounts."""

    def renewal_factor(self, contract) -> float | None:
        """Size of a renewable contract's next 12 months relative to now; None lets it lapse."""
        return 1.0

    def obligations_to_outside(self) -> dict[str, float]:
        """Costs owed this month to outside accounts (opex, ...), settled in the clearing."""
        return {}

    def month_income(self) -> None:
        """Receive this month's income from outside accounts."""
