"""Regulatory ratios, one small class each: the ratio, whether it is breached, how to mend it.

- :class:`BankCapitalRatio`: CET1-style equity over risk-weighted assets, minimum 4.5% plus
  a 2.5% conservation buffer [R10].
- :class:`InsurerSolvency`: surplus over required capital, a risk-based-capital-style ratio
  with charges per asset class (assumptions stated in ``RISK_CHARGES``).
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
    """Surplus (equity) / required capital; charges per asset class are assumptions."""

    minimum: float
    target_margin: float = 0.25
    RISK_CHARGES = {"fund_share": 0.10, "abs": 0.05, "bond_holding": 0.02}
    RISKY = ("fund_share", "abs")

    def required_usd(self, insurer) -> float:
        return sum(self.RISK_CHARGES.get(c.kind, 0.05) * c.value_usd()
                   for c in insurer.claims_held())

    def ratio(self, insurer) -> float:
        req = self.required_usd(insurer)
        return insurer.equity_usd() / req if req > 0 else float("inf")

    def is_below_minimum(self, insurer) -> bool:
        return self.ratio(insurer) < self.minimum

    def share_to_sell(self, insurer, discount: float) -> float:
        """Share f of risky holdings whose sale at ``discount`` restores minimum + margin.

        Selling f of risky assets R (charges W) changes the ratio to
        ``(E - d f R) / (Req - f W)``; solving for the target gives
        ``f = (t Req - E) / (t W - d R)``, clipped to [0, 1].
        """
        target = self.minimum + self.target_margin
        risky = [c for c in insurer.claims_held() if c.kind in self.RISKY]
        r = sum(c.value_usd() for c in risky)
        w = sum(self.RISK_CHARGES[c.kind] * c.value_usd() for c in risky)
        e, req = insurer.equity_usd(), self.required_usd(insurer)
        denom = target * w - discount * r
        if r <= 0 or denom <= 0:
            return 1.0 if r > 0 else 0.0
        return min(1.0, max(0.0, (target * req - e) / denom))
