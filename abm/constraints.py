"""Regulatory ratios, one small class each: the ratio, whether it is breached, how to mend it.

- :class:`BankCapitalRatio`: CET1-style equity over risk-weighted assets, minimum 4.5% plus
  a 2.5% conservation buffer [R10].
- :class:`InsurerSolvency`: NAIC-style risk-based capital [R18], total adjusted capital over
  authorised-control-level RBC, with charges per asset class (scenario parameters).
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BankCapitalRatio", "InsurerSolvency", "payout_usd"]


def payout_usd(equity_usd: float, target_ratio: float, base_usd: float, share: float) -> float:
    """A regulated institution's dividend plan: ``share * max(0, E - target * base)``.

    ``base`` is what the ratio divides by (risk-weighted assets for a bank, required
    capital for an insurer): only capital above the ratio the institution targets is paid
    out, and only ``share`` of it in one month.
    """
    return share * max(0.0, equity_usd - target_ratio * base_usd)


@dataclass
class BankCapitalRatio:
    """Equity / RWA with Basel-style risk weights per claim kind (assumptions, [R10])."""

    minimum: float
    RISK_WEIGHTS = {"credit_line": 1.0, "bank_loan": 1.0, "abs": 0.2, "other_loan": 0.75,
                    "gpu_loan": 1.0}

    def rwa_usd(self, bank) -> float:
        return sum(self.RISK_WEIGHTS.get(c.kind, 1.0) * c.value_usd() for c in bank.claims_held())

    def ratio(self, bank) -> float:
        rwa = self.rwa_usd(bank)
        return bank.equity_usd() / rwa if rwa > 0 else float("inf")

    def is_below_minimum(self, bank) -> bool:
        return self.ratio(bank) < self.minimum


@dataclass
class InsurerSolvency:
    """NAIC-style risk-based-capital ratio [R18]: total adjusted capital / ACL RBC.

    ``RBC ratio = TAC / ACL``, ``ACL = acl_share * sum_k c_k * V_k``: the charge ``c_k`` of
    each asset class (equity-like 30% for private-credit fund interests and mezzanine ABS,
    about 1% for investment-grade bonds [R18]) times its statutory value ``V_k``, scaled to
    the authorised control level (half the total, [R18]); non-asset risks and the covariance
    adjustment are left out. ``TAC`` is book equity restated at statutory values
    (``insurer.statutory_value_usd``: fund interests at true NAV when NAV is disclosed,
    ABS at the ABS market's mark). Thresholds [R18]: company action level 2.0, regulatory
    action 1.5, authorised control 1.0, mandatory control 0.7.
    """

    minimum: float
    charges: dict
    acl_share: float = 0.5
    target_margin: float = 0.5
    RISKY = ("fund_share", "abs")

    def charge(self, kind: str) -> float:
        """Charge of a claim kind; an unlisted kind is treated as equity-like (the fund charge)."""
        return self.charges.get(kind, self.charges["fund_share"])

    def required_usd(self, insurer) -> float:
        """Authorised-control-level RBC."""
        return self.acl_share * sum(self.charge(c.kind) * insurer.statutory_value_usd(c)
                                    for c in insurer.claims_held())

    def tac_usd(self, insurer) -> float:
        """Total adjusted capital: equity with claims restated from book to statutory value."""
        return insurer.equity_usd() + sum(insurer.statutory_value_usd(c) - c.value_usd()
                                          for c in insurer.claims_held())

    @staticmethod
    def ratio_of(tac_usd: float, required_usd: float) -> float:
        """The RBC ratio from TAC and ACL RBC already computed (each is a sum over holdings)."""
        return tac_usd / required_usd if required_usd > 0 else float("inf")

    def ratio(self, insurer) -> float:
        return self.ratio_of(self.tac_usd(insurer), self.required_usd(insurer))

    def is_below_minimum(self, insurer) -> bool:
        return self.ratio(insurer) < self.minimum

    def share_to_sell(self, insurer, proceeds_of) -> float:
        """Share f of every risky holding whose sale restores ``minimum + target_margin``.

        ``proceeds_of(claim)`` is the cash the whole claim would raise. Selling f of risky
        holdings with statutory value ``S``, proceeds ``P`` and charges ``W`` (at ACL) moves
        the ratio to ``(TAC - f (S - P)) / (ACL - f W)``; solving for the target t gives
        ``f = (t ACL - TAC) / (t W - (S - P))``, clipped to [0, 1] (1 if no f reaches it).
        """
        target = self.minimum + self.target_margin
        risky = [c for c in insurer.claims_held() if c.kind in self.RISKY]
        if not risky:
            return 0.0
        s = sum(insurer.statutory_value_usd(c) for c in risky)
        loss = s - sum(proceeds_of(c) for c in risky)
        w = self.acl_share * sum(self.charge(c.kind) * insurer.statutory_value_usd(c) for c in risky)
        tac, req = self.tac_usd(insurer), self.required_usd(insurer)
        denom = target * w - loss
        if denom <= 0:
            return 1.0
        return min(1.0, max(0.0, (target * req - tac) / denom))
