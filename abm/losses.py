"""Who lost what: every loss booked once, on the holder it finally lands on.

A loss arises when a claim is written off in a default resolution, when an equity stake in
a failed institution is wiped out, or when an asset is sold at a fire-sale discount. It is
booked on an *ultimate holder* category:

- private-credit funds are looked through to their limited partners by type (insurers,
  pensions and endowments, 401(k) savers) in proportion to the fund shares they hold, up
  to the fund's remaining NAV;
- any other institution bears a loss up to its own positive equity; a larger loss is not
  booked on it, because it reappears as its creditors' losses when it fails;
- outside accounts bear what reaches them (bond and ABS investors, shareholders of failed
  firms, deposit insurance for depositors of a failed bank); the ``401k_index`` account
  holds the savers' share of the listed firms, so its wipe-outs land on ``savers_401k``.
"""
from __future__ import annotations

from collections import defaultdict

from aicredit.abm.sectors import HOLDER_CATEGORIES

__all__ = ["LossBook", "HOLDER_CATEGORIES"]


_OUTSIDE = {"outside_investors": "firm_shareholders", "bond_investors": "bond_abs_investors",
            "securities_market": "bond_abs_investors",
            "pensions_endowments": "lp_pensions_endowments", "depositors": "deposit_insurance",
            "deposit_insurance": "deposit_insurance", "policyholders": "insurers",
            "401k_index": "savers_401k"}
_SECTOR = {"bank": "banks", "insurer": "insurers", "saver_401k": "savers_401k",
           "chipmaker": "firm_shareholders", "hyperscaler": "firm_shareholders",
           "neocloud": "firm_shareholders", "ai_lab": "firm_shareholders", "spv": "firm_shareholders"}
_LP = {"insurer": "lp_insurers", "saver_401k": "lp_401k", "pensions_endowments": "lp_pensions_endowments",
       "wealth_investors": "lp_wealth"}


class LossBook:
    """Losses by ultimate holder category, with the direct events behind them."""

    def __init__(self):
        self.by_category: dict[str, float] = {c: 0.0 for c in HOLDER_CATEGORIES}
        self.events: list[dict] = []
        self.step_total_usd = 0.0

    def record(self, holder, amount_usd: float, issuer, kind: str, step: int) -> None:
        """Book a loss of ``amount_usd`` that landed on ``holder`` in month ``step``.

        The claim behind it is already written down; this records who bears it."""
        if amount_usd <= 0:
            return
        self.events.append(dict(step=step, holder=holder.name, holder_sector=holder.sector,
                                issuer=issuer.name,
                                issuer_sector=issuer.sector, kind=kind,
                                amount_usd=amount_usd))
        self.step_total_usd += amount_usd
        if holder.sector == "outside":
            self._add(_OUTSIDE.get(holder.name, "other_outside"), amount_usd)
        elif holder.sector == "private_credit":
            holder.record_loss(amount_usd)
            if holder.model.p.c5_pc_losses_to_lps:
                self._look_through(holder, amount_usd)
            else:   # C5 off: the fund's losses do not reach its limited partners
                self._add("other_outside", amount_usd)
        else:
            bearable = max(0.0, holder.equity_usd() + amount_usd)
            self._add(_SECTOR.get(holder.sector, "other_outside"), min(amount_usd, bearable))

    def _look_through(self, fund, amount_usd: float) -> None:
        bearable = min(amount_usd, max(0.0, fund.true_nav_usd() + amount_usd))
        shares = [c for c in fund.model.claims.issued(fund, "fund_share") if c.units > 0]
        total = sum(c.units for c in shares)
        if total <= 0:
            return
        split: defaultdict[str, float] = defaultdict(float)
        for c in shares:
            key = c.holder.name if c.holder.sector == "outside" else c.holder.sector
            split[_LP.get(key, _OUTSIDE.get(key, "other_outside"))] += c.units / total
        for cat, share in split.items():
            self._add(cat, bearable * share)

    def _add(self, category: str, amount_usd: float) -> None:
        self.by_category[category] += amount_usd

    def take_step_total(self) -> float:
        total, self.step_total_usd = self.step_total_usd, 0.0
        return total
