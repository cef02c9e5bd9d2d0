"""The secondary market for private loans and fund interests (C12): fire sales with common holders.

Private-credit funds and BDCs hold three classes of loans (:data:`LOAN_CLASSES`: tech loans
[F28], loans to SPVs [F20], the non-AI book) and insurers hold fund interests (LP stakes
[F32]). Each class has one price, a share of carrying value. Each month the market clears
every forced sale at once (:func:`clear_month_loan_market`):

- a fund or BDC whose bank debt is above its covenant at the month's prices sells the same
  share of every loan it holds to pay its debt down to ``pc_delever_target_share`` of the
  maximum (Cont and Schaanning 2017 [R3]);
- a fund sells what it needs to pay the month's gated redemptions (C5, C13) and a bank's cut
  limit (C6) beyond its cash;
- insurers' sales of fund interests and of their tech placements (C7) are exogenous orders;
- the loans of a fund or BDC that failed this month (its estate, :meth:`LoanMarket.sell_estate`)
  are sold in the default stage at the price their own sale sets, ``p0_c exp(-Q_c / D_c)`` with
  ``Q_c`` the estates' sales of the month so far and the depth shrunk by the estate's share,
  and count as exogenous sales in the month's clearing, so a failure marks down every other
  holder of the same loans (the contagion of defaulted banks' liquidations in Cont and
  Schaanning 2017; Greenwood, Landier and Thesmar 2015). With C12 off an estate's loans are
  sold at ``distress_discount`` like its other claims and move no price.

The price of class ``c`` after sales ``q_c`` (carrying value) is
``p_c = p0_c exp(-q_c / D_c)`` [R3], found with every holder's sales at the same prices by
the compiled kernel (:func:`abm.markets.loan_market_kernel.clear_loan_market`, contract
``docs/spec/loan-market-clearing.md``). The depth

    D_c = 0.1 O_c / -ln(1 - psi) * (s + (1 - s) (1 - F_c))

makes a sale of a tenth of the outstanding ``O_c`` lower the price by ``psi`` =
``loan_market_impact_of_tenth_sold`` when buyers are unconstrained ([R32]: 10% for 10% in
Cont and Schaanning's calibration), shrunk by the share ``F_c`` of the class held by this
month's forced sellers, since the natural buyers of a private loan are other lenders
(Shleifer and Vishny 1992); ``s`` = ``loan_market_outside_buyer_share`` comes from buyers
outside the model. The discount reverts: ``p0_c = 1 - rho (1 - p_c(last month))``,
``rho`` = ``loan_market_mark_persistence``.

Every holder of a loan class marks it at the class's price (fair value, ASC 820: the exit
price), so one fund's sale lowers the NAV of every other: the fund's true NAV is its book
equity less its *market discount* ``sum_c (1 - p_c) H_c`` (:meth:`LoanMarket.mark_holders`),
whose change is a mark in its reported NAV. With C12 off sales do not move prices (the depth
is infinite) and every class stays at par.
"""
from __future__ import annotations

import math

import numpy as np

from aicredit.abm.economy import Economy
from aicredit.abm.markets.loan_market_kernel import clear_loan_market

__all__ = ["LOAN_CLASSES", "CLASSES", "TECH_LOAN", "FUND_SHARE", "ABS", "LoanMarket",
           "clear_month_loan_market", "loan_holdings_usd"]

#: The loan classes funds and BDCs hold and may sell (claim kinds).
LOAN_CLASSES = ("tech_loan", "spv_loan", "other_loan")
#: Every class the market prices: the loans, then fund interests (LP stakes) and the
#: data-centre ABS tranches insurers hold (the mezzanine, [F22]).
CLASSES = (*LOAN_CLASSES, "fund_share", "abs")
FUND_SHARE = CLASSES.index("fund_share")
#: The class of data-centre ABS.
ABS = CLASSES.index("abs")
#: Classes only insurers sell (by order); their outstanding is counted when an order exists.
ORDERED_CLASSES = (FUND_SHARE, ABS)
#: The class of tech loans (the funds' tech book and insurers' tech placements).
TECH_LOAN = CLASSES.index("tech_loan")
#: Depth of a class with nothing outstanding (USD): a price must exist; no sale can occur.
MIN_OUTSTANDING_USD = 1.0
#: The share of a market a tenth is: the depth's reference sale.
REFERENCE_SALE_SHARE = 0.1


def loan_holdings_usd(fund) -> np.ndarray:
    """Carrying value of each loan class a fund holds (:data:`LOAN_CLASSES` order, USD)."""
    out = np.zeros(len(LOAN_CLASSES))
    for c in fund.claims_held():
        if c.kind in LOAN_CLASSES:
            out[LOAN_CLASSES.index(c.kind)] += c.value_usd()
    return out


class LoanMarket:
    """The classes' prices, their reversion and depth, and insurers' orders of the month."""

    def __init__(self, impact_of_tenth_sold: float, outside_buyer_share: float, persistence: float,
                 moves_prices: bool = True):
        self.impact_of_tenth_sold = impact_of_tenth_sold
        self.outside_buyer_share = outside_buyer_share
        self.persistence = persistence
        self.moves_prices = moves_prices
        self.price = np.ones(len(CLASSES))      # last month's clearing prices
        self.sold_usd = np.zeros(len(CLASSES))  # last month's sales by class (carrying value)
        self.orders: list = []                  # (insurer, claim, share, class) to sell this month
        self.estate_sold_usd = np.zeros(len(CLASSES))   # failed holders' loans sold this month

    def start_price(self) -> np.ndarray:
        """This month's prices before any sale: ``1 - rho (1 - p(last month))``."""
        return 1.0 - self.persistence * (1.0 - self.price)

    def depth_usd(self, outstanding_usd: np.ndarray, forced_share: np.ndarray) -> np.ndarray:
        """``D_c`` of the module docstring; infinite-like (no price impact) with C12 off."""
        if not self.moves_prices:
            return np.full(len(CLASSES), np.finfo(float).max)
        base = (REFERENCE_SALE_SHARE * np.maximum(outstanding_usd, MIN_OUTSTANDING_USD)
                / -math.log1p(-self.impact_of_tenth_sold))
        s = self.outside_buyer_share
        return base * (s + (1.0 - s) * (1.0 - np.clip(forced_share, 0.0, 1.0)))

    def sell_estate(self, holdings_usd: np.ndarray, others_usd: np.ndarray) -> np.ndarray:
        """Prices at which a failed fund's loans ``holdings_usd`` (by :data:`LOAN_CLASSES`) sell
        in the default stage: ``p0_c exp(-Q_c / D_c)``, ``Q_c`` this month's estate sales with
        this one, ``D_c`` the depth of a market of ``others_usd + holdings_usd + Q_c``
        outstanding whose forced sellers hold the estates' share of it. Records the sale."""
        n = len(LOAN_CLASSES)
        sold = self.estate_sold_usd.copy()
        sold[:n] += holdings_usd
        outstanding = np.zeros(len(CLASSES))
        outstanding[:n] = others_usd + sold[:n]
        forced = np.divide(sold, outstanding, out=np.zeros(len(CLASSES)), where=outstanding > 0)
        depth = self.depth_usd(outstanding, forced)
        self.estate_sold_usd = sold
        return (self.start_price() * np.exp(-sold / depth))[:n]

    def order(self, seller, claim, share: float, cls: int = FUND_SHARE) -> None:
        """An insurer's order to sell ``share`` of a claim this month in class ``cls`` (C7): a
        fund interest, or its tech placements in the tech-loan class."""
        self.orders.append((seller, claim, share, cls))

    def ordered_usd(self) -> np.ndarray:
        """This month's insurers' orders by class (carrying value)."""
        out = np.zeros(len(CLASSES))
        for _, claim, share, cls in self.orders:
            out[cls] += claim.value_usd() * share
        return out

    def execute_orders(self, economy: Economy, price: np.ndarray) -> None:
        """Sell insurers' ordered fund interests at the fund-interest price (times the
        LP-secondary discount), their placements at the tech-loan price and their ABS at the
        ABS price."""
        buyer = economy.outside("securities_market")
        for insurer, claim, share, cls in self.orders:
            if cls == FUND_SHARE:
                insurer.sell_fund_interest(claim, share, float(price[FUND_SHARE]), buyer)
            else:
                insurer.sell_at_price(claim, share, float(price[cls]), buyer)
        self.orders = []

    def mark_holders(self, funds) -> None:
        """Each live fund's market discount at this month's prices; its change is a NAV mark."""
        loan_price = self.price[:len(LOAN_CLASSES)]
        for f in funds:
            if f.defaulted:
                continue
            new = float((1.0 - loan_price) @ loan_holdings_usd(f))
            f.record_mark(new - f.market_discount_usd)
            f.market_discount_usd = new


def _fund_inputs(funds: list, target_share: float):
    """The kernel's holder arrays for the live funds and BDCs (module docstring).

    A fund's debt is its drawn facilities less a cut limit's excess, which it repays with its
    need; its equity is the NAV its bank sees less the redemptions it pays, with its loans at
    carrying value (the kernel marks them with the weight of :meth:`mark_weight`)."""
    n = len(funds)
    H = np.zeros((n, len(CLASSES)))
    cash, debt, equity, weight = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    max_lev, need = np.zeros(n), np.zeros(n)
    for i, f in enumerate(funds):
        H[i, :len(LOAN_CLASSES)] = loan_holdings_usd(f)
        excess = sum(c.excess_usd() for c in f.credit_lines())
        redemptions = f.redemptions_payable_usd()
        weight[i] = f.mark_weight()
        cash[i] = max(0.0, f.cash_usd)
        debt[i] = max(0.0, f.drawn_usd() - excess)
        equity[i] = f.nav_seen_usd() + weight[i] * f.market_discount_usd - redemptions
        max_lev[i] = f.max_loan_to_nav
        need[i] = redemptions + excess
    return H, cash, debt, equity, weight, max_lev, target_share * max_lev, need


def _forced_share(H, cash, debt, equity, weight, max_lev, need, start, outstanding, exog):
    """Share of each class held by this month's forced sellers at the start prices, failed
    holders' estates included (and, for fund interests, the insurers' orders' share of the
    outstanding)."""
    marked = equity - weight * (H @ (1.0 - start))
    forced = (need > cash) | (debt > max_lev * np.maximum(marked, 0.0))
    share = np.divide(H[forced].sum(axis=0) + exog, outstanding, out=np.zeros(len(CLASSES)),
                      where=outstanding > 0)
    for c in ORDERED_CLASSES:
        share[c] = min(1.0, exog[c] / max(outstanding[c], MIN_OUTSTANDING_USD))
    return share


def _insurer_class_outstanding_usd(economy: Economy, kind: str) -> float:
    """What trades in an ordered class: every fund interest, or every ABS tranche insurers hold."""
    if kind == "fund_share":
        return sum(c.value_usd() for c in economy.claims.all if c.kind == kind and not c.closed)
    return sum(c.value_usd() for ins in economy.insurers for c in ins.claims_held(kind))


def clear_month_loan_market(economy: Economy) -> None:
    """Clear this month's forced sales of private loans and fund interests, execute them and
    mark every holder to the new prices (module docstring)."""
    market = economy.loan_market
    funds = [f for f in economy.funds if not f.defaulted]
    start = market.start_price()
    H, cash, debt, equity, weight, max_lev, target, need = _fund_inputs(
        funds, economy.p.pc_delever_target_share)
    ordered = market.ordered_usd()
    exog = market.estate_sold_usd + ordered
    outstanding = H.sum(axis=0) + market.estate_sold_usd
    outstanding[:len(LOAN_CLASSES)] += ordered[:len(LOAN_CLASSES)]    # insurers' placements sold
    for c in ORDERED_CLASSES:       # without orders the class does not trade: its depth cannot matter
        if ordered[c] > 0:
            outstanding[c] = _insurer_class_outstanding_usd(economy, CLASSES[c])
    forced = _forced_share(H, cash, debt, equity, weight, max_lev, need, start, outstanding, exog)
    res = clear_loan_market(start, market.depth_usd(outstanding, forced), exog, H, cash, debt,
                            equity, weight, max_lev, target, need)
    market.price = res.price
    market.sold_usd = res.sold_by_class
    marked = equity - weight * (H @ (1.0 - res.price))
    for i, f in enumerate(funds):
        if res.share_sold[i] > 0:
            f.sell_loans_share(float(res.share_sold[i]), res.price)
        f.cure_breach(float(marked[i]), bool(res.in_breach[i]))
    market.execute_orders(economy, res.price)
    market.estate_sold_usd = np.zeros(len(CLASSES))
    market.mark_holders(funds)
