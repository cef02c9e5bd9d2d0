"""Special-purpose vehicles [F20, F21]: a data centre, its debt, and one hyperscaler's lease.

The SPV owns a data centre, borrows from a private-credit fund (the fund is also its
majority owner, as Blue Owl is of Meta's Louisiana SPV [F20]), from a bank (a construction
loan, ``spv_bank_construction_loan_share`` of its debt, secured on the building pari passu
with the senior ABS tranche, [R30]) and from ABS holders in three tranches [F22], and
leases the building to one hyperscaler whose lease covers the debt
service. The hyperscaler's reported leverage excludes the SPV's debt; its consolidated
leverage includes it. Lenders and rating agencies see the SPV's debt as the hyperscaler's only
under the consolidation policy (C11), and then a new SPV needs the lessee's borrowing room.

ABS tranches (:class:`SPVTerms`): of the ABS, ``spv_abs_senior_share`` is a senior tranche
secured on the building, held by a bank [F22] (``spv_abs_senior_bank_share`` of it) and
outside ABS investors pari passu; ``spv_abs_mezzanine_share`` a mezzanine tranche held by an
insurer (life insurers hold rated private placements [F32, R17]); the rest a junior tranche
held by outside ABS investors (the hedge funds and specialist credit funds that buy the
first-loss notes, outside the model). Each tranche is its own seniority class
(``SECURED``, ``MEZZANINE``, ``JUNIOR``), ahead of the fund's ``SUBORDINATED`` loan, so in a
default (strict priority, :mod:`abm.default`) with sale proceeds ``R`` each claim in the order
senior, mezzanine, junior, fund loan recovers ``min(owed, R - what the classes above took)``:
losses hit the fund loan first, then the junior, the mezzanine and last the senior tranche.

At the end of the lease term the hyperscaler renews unless its AI revenue disappoints
(below the walk-away threshold); if it walks away the SPV cannot pay its lenders, defaults,
and the building is sold at a fraction of its cost (C9).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aicredit.abm.agents.bank import Bank
from aicredit.abm.agents.base import Institution
from aicredit.abm.claims import Contract, Debt, EquityClaim, Seniority
from aicredit.abm.economy import Economy
from aicredit.abm.parameters import Parameters
from aicredit.abm.units import MONTHS_PER_YEAR, START_YEAR

__all__ = ["SPV", "SPVTerms", "open_spv", "finance_new_spvs"]


class SPV(Institution):
    sector = "spv"

    def __init__(self, model: Economy, name: str, lessee, data_centre_usd: float):
        super().__init__(model, name)
        self.lessee = lessee
        self.real_assets_usd = data_centre_usd
        self.walked_away = False

    def lease(self):
        """The lessee's current lease (the one that ends last), or None."""
        leases = [c for c in self.claims_held("lease") if c.issuer is self.lessee]
        return max(leases, key=lambda c: c.end_step) if leases else None

    def decide(self) -> None:
        """At the lease's last month the lessee chooses to renew or to walk away (C9)."""
        m = self.model
        lease = self.lease()
        if lease is None or lease.end_step != m.steps + 1 or self.lessee.defaulted:
            return
        if self.lessee.disappointment() < m.p.spv_walkaway_threshold:
            self.walked_away = True
            m.month.walkaways += 1
            return
        m.claims.add(Contract(holder=self, issuer=self.lessee, kind="lease",
                              payment_usd_per_month=lease.payment_usd_per_month,
                              start_step=m.steps + 1, end_step=m.steps + 1 + m.p.spv_lease_term_months))

    def act(self) -> None:
        self.real_assets_usd *= (1.0 - self.model.p.data_centre_depreciation_per_year / MONTHS_PER_YEAR)


@dataclass(frozen=True)
class SPVTerms:
    """The financing of a ``size_usd`` SPV under scenario ``p``: who puts in what (USD) and
    the monthly lease.

    Capital structure (``spv_*`` parameters, modelled on Meta's Louisiana deal [F20]): debt
    is ``spv_debt_share`` of the cost, of which ``spv_bank_construction_loan_share`` a bank's
    construction loan and of the rest ``spv_abs_share`` ABS [F22] (senior,
    mezzanine and junior tranches: ``spv_abs_senior_share``, ``spv_abs_mezzanine_share``
    (at most what the senior tranche leaves) and the rest) and the rest a subordinated
    private-credit loan; the
    fund (majority owner) holds ``spv_fund_equity_share`` of the equity, the lessee the rest.
    The lease covers the debt service ``spv_lease_cover`` times; the lessee also funds
    ``spv_reserve_months`` of lease as the SPV's cash reserve when the SPV is new.
    """

    size_usd: float
    p: Parameters

    @property
    def rate_per_month(self) -> float:
        """Coupon of the SPV's ABS."""
        return self.p.spv_rate_per_year / MONTHS_PER_YEAR

    @property
    def fund_loan_rate_per_month(self) -> float:
        """Coupon of the fund's subordinated loan."""
        return self.rate_per_month + self.p.spv_fund_loan_spread_per_year / MONTHS_PER_YEAR

    @property
    def debt_usd(self) -> float:
        return self.p.spv_debt_share * self.size_usd

    @property
    def construction_loan_usd(self) -> float:
        """The bank's construction loan, secured pari passu with the senior ABS."""
        return self.p.spv_bank_construction_loan_share * self.debt_usd

    @property
    def abs_usd(self) -> float:
        return self.p.spv_abs_share * (self.debt_usd - self.construction_loan_usd)

    @property
    def fund_loan_usd(self) -> float:
        return (1 - self.p.spv_abs_share) * (self.debt_usd - self.construction_loan_usd)

    @property
    def equity_usd(self) -> float:
        return self.size_usd - self.debt_usd

    @property
    def lease_usd_per_month(self) -> float:
        return self.p.spv_lease_cover * self.debt_usd * self.rate_per_month

    @property
    def fund_pays_usd(self) -> float:
        return self.fund_loan_usd + self.p.spv_fund_equity_share * self.equity_usd

    @property
    def lessee_pays_usd(self) -> float:
        """Equity share plus the lease reserve."""
        return ((1 - self.p.spv_fund_equity_share) * self.equity_usd
                + self.p.spv_reserve_months * self.lease_usd_per_month)

    @property
    def senior_tranche_usd(self) -> float:
        return min(1.0, self.p.spv_abs_senior_share) * self.abs_usd

    @property
    def mezzanine_tranche_usd(self) -> float:
        return min(self.p.spv_abs_mezzanine_share, 1.0 - self.p.spv_abs_senior_share) * self.abs_usd

    @property
    def junior_tranche_usd(self) -> float:
        return self.abs_usd - self.senior_tranche_usd - self.mezzanine_tranche_usd

    def abs_parts(self, bank, insurer, investors) -> list[tuple[Any, float, Seniority]]:
        """Who holds what of the ABS: (holder, USD, seniority class), senior tranche first."""
        bank_share = self.p.spv_abs_senior_bank_share
        parts = [(bank, bank_share * self.senior_tranche_usd, Seniority.SECURED),
                 (investors, (1 - bank_share) * self.senior_tranche_usd, Seniority.SECURED),
                 (insurer, self.mezzanine_tranche_usd, Seniority.MEZZANINE),
                 (investors, self.junior_tranche_usd, Seniority.JUNIOR)]
        return [x for x in parts if x[1] > 0]


def open_spv(economy: Economy, name: str, lessee, size_usd: float, fund, abs_holders: list, start_step: int,
             lease_months: int, paid: bool) -> SPV:
    """Create an SPV that owns a ``size_usd`` data centre leased to ``lessee`` [F20].

    ``abs_holders`` are (a bank, an insurer, outside ABS investors): the bank and the
    investors hold the senior tranche, secured on the building, the insurer the mezzanine
    tranche, the investors the junior tranche (:meth:`SPVTerms.abs_parts`); ``fund`` lends
    the subordinated loan and holds most of the equity. With ``paid`` the
    holders pay for their claims and the SPV pays the builders (a new SPV); without, the
    claims are opening positions at step 0. Amounts follow :class:`SPVTerms`; the SPV keeps
    ``spv_reserve_months`` of lease as cash.
    """
    spv = SPV(economy, name, lessee, size_usd)
    terms = SPVTerms(size_usd, economy.p)
    fund_equity_share = economy.p.spv_fund_equity_share
    fund_loan, equity = terms.fund_loan_usd, terms.equity_usd
    lease = terms.lease_usd_per_month
    spv.valuation_usd = equity
    parts = terms.abs_parts(*abs_holders)
    for holder, amount, rank in parts:
        economy.claims.add(Debt(holder=holder, issuer=spv, kind="abs", seniority=rank,
                                principal_usd=amount, rate_per_month=terms.rate_per_month,
                                collateral="data_centre"))
    lender = abs_holders[0] if isinstance(abs_holders[0], Bank) else abs_holders[-1]
    construction = terms.construction_loan_usd
    if construction > 0:
        economy.claims.add(Debt(holder=lender, issuer=spv, kind="construction_loan",
                                seniority=Seniority.SECURED, principal_usd=construction,
                                rate_per_month=terms.rate_per_month, collateral="data_centre"))
    economy.claims.add(Debt(holder=fund, issuer=spv, kind="spv_loan", seniority=Seniority.SUBORDINATED,
                            principal_usd=fund_loan, rate_per_month=terms.fund_loan_rate_per_month))
    for holder, units in ((fund, fund_equity_share), (lessee, 1 - fund_equity_share)):
        economy.claims.add(EquityClaim(holder=holder, issuer=spv, kind="spv_equity", units=units,
                                       cost_usd=units * equity))
    economy.claims.add(Contract(holder=spv, issuer=lessee, kind="lease", payment_usd_per_month=lease,
                                start_step=start_step, end_step=start_step + lease_months))
    if paid:
        if construction > 0 and isinstance(lender, Bank):
            lender.fund_new_lending(construction)         # new lending grows the bank [R30]
        for holder, amount in [(h, a) for h, a, _ in parts] + [(lender, construction)] + [
                (fund, terms.fund_pays_usd), (lessee, (1 - fund_equity_share) * equity)]:
            economy.ledger.transfer(holder.name, spv.name, amount, "spv_financing")
        spv.pay("suppliers", size_usd, "data_centre_capex")
    economy.ledger.transfer("outside_investors" if not paid else lessee.name, spv.name,
                            economy.p.spv_reserve_months * lease, "spv_reserve")
    economy.spvs.append(spv)
    return spv


def finance_new_spvs(economy: Economy) -> None:
    """Once a year each hyperscaler's off-balance-sheet data-centre capex becomes an SPV [F20].

    The private-credit fund with the most cash lends the subordinated loan and takes the
    majority of the equity; a bank (senior tranche), an insurer (mezzanine) and outside
    investors (senior and junior) buy the ABS [F22], rotating across banks and insurers from
    year to year. A bank that tightens (C6) co-finances ``1 - tau`` of the project (the rest is
    dropped). If a party cannot pay its part, or the bank is below its capital buffer and
    lends no more (C6), the project is dropped (the pipeline is cleared either way).

    Under the consolidation policy (C11 ``spv_consolidation`` [F21]) lenders count the SPV's
    debt as the lessee's, so a new SPV needs the lessee's borrowing room like a bond
    (:meth:`Hyperscaler.borrowing_room_usd`): the project is cut to the size whose debt fits
    the room left after the month's bonds, and the rest is dropped. Without it the SPV's debt
    is off balance sheet and needs no room [F20].
    """
    funds = [f for f in economy.funds if not f.defaulted and f.lends_to_spvs]   # Blue Owl's kind [F20]
    banks = [b for b in economy.banks if not b.defaulted]
    insurers = [i for i in economy.insurers if not i.defaulted]
    year = economy.steps // MONTHS_PER_YEAR
    for position, h in enumerate(economy.hyperscalers):
        size = h.spv_pipeline_usd
        if h.defaulted or size <= 0:
            continue
        h.spv_pipeline_usd = 0.0
        debt_share = economy.p.spv_debt_share
        if h.spvs_consolidated() and debt_share > 0:        # the SPV's debt needs room [F21]
            fits = min(size, h.borrowing_room_usd() / debt_share)
            economy.month.spv_dropped_usd += size - fits
            size = fits
            if size <= 0:
                continue        # no room: the project is dropped
        fund = max(funds, key=lambda f: f.cash_usd, default=None)
        k = year + position                                     # spread ABS across holders
        investors = economy.outside("bond_investors")   # take a tranche no live sector can
        holders = ((banks[k % len(banks):][:1] if banks else [investors])
                   + (insurers[k % len(insurers):][:1] if insurers else [investors])
                   + [investors])                          # bank, insurer, investors
        bank = holders[0]
        if isinstance(bank, Bank) and 0.0 < bank.tightening < 1.0:   # a tightening bank (C6)
            economy.month.spv_dropped_usd += bank.tightening * size  # co-finances a smaller project
            size *= bank.lending_share()
        terms = SPVTerms(size, economy.p)
        if (fund is None or fund.cash_usd < terms.fund_pays_usd
                or h.cash_usd - economy.p.hyperscaler_dues_cover * h.dues_usd() < terms.lessee_pays_usd
                or any(x.cash_usd < amount for x, amount, _ in terms.abs_parts(*holders)
                       if x.sector != "outside")
                or any(isinstance(x, Bank) and x.cutting for x in holders)):   # a bank in a crunch (C6)
            economy.month.spv_dropped_usd += size
            continue            # not financed: the project is dropped
        spv = open_spv(economy, f"SPV {h.name} {START_YEAR + year}", h, size, fund, holders,
                       economy.steps + 1, economy.p.spv_lease_term_months, paid=True)
        economy.institutions.append(spv)
