"""Build the economy of a scenario at step 0: institutions, balance sheets and claims.

Calibrated on the article's figures (``[F#]``); where the article is silent, the value is a
documented assumption: every number is a field of :class:`models.scenario.Scenario`
(``docs/parameters.md``). Money here is USD; scenario values in ``_bn`` are multiplied by
``BN``, yearly rates divided by ``MONTHS_PER_YEAR``.

One builder per sector, in its own module; :func:`build_economy` composes them. The order
matters and is fixed: agents are created (and draw from ``model.rng``) in this order, and a
later builder uses the claims of earlier ones (a bank's opening deposits balance what it
already holds).
"""
from __future__ import annotations

from aicredit.models.calibration.banks import build_bank_balance_sheets, build_banks
from aicredit.models.calibration.chipmaker import build_chipmaker
from aicredit.models.calibration.hyperscalers import HYPERSCALERS, build_hyperscalers
from aicredit.models.calibration.insurers import build_insurer_balance_sheets, build_insurers
from aicredit.models.calibration.labs import LABS, build_labs
from aicredit.models.calibration.neoclouds import build_neoclouds, set_neocloud_opex
from aicredit.models.calibration.private_credit import (
    build_fund_balance_sheets,
    build_funds,
    build_opening_gpu_loans,
)
from aicredit.models.calibration.savers import build_savers
from aicredit.models.calibration.spvs import build_opening_spvs
from aicredit.models.options import did_you_mean
from aicredit.models.scenario import ScenarioError

__all__ = ["build_economy", "HYPERSCALERS", "LABS"]


def build_economy(model) -> None:
    """Create every institution of ``model.p``'s scenario with its step-0 balance sheet.

    Sets ``model.chipmakers``, ``hyperscalers``, ``labs``, ``neoclouds``, ``funds``,
    ``banks``, ``insurers``, ``spvs`` and ``savers``.
    """
    price0 = model.gpu_market.price.copy()       # step-0 reference prices value opening GPUs
    build_chipmaker(model)                       # [F10, F13]
    build_hyperscalers(model, price0)            # [F11, F12]
    build_labs(model)                            # [F13-F16]
    build_neoclouds(model, price0)               # [F1-F10]
    build_funds(model)                           # [F28-F31]
    build_opening_gpu_loans(model, price0)       # [F6, F23]: the first random draws
    set_neocloud_opex(model)
    build_banks(model)                           # [F31]
    build_insurers(model)                        # [F32]
    build_opening_spvs(model)                    # [F20-F22]
    fund_lp_split = build_fund_balance_sheets(model)       # [F28, F31, F32]
    build_insurer_balance_sheets(model, fund_lp_split)     # [F32]
    build_bank_balance_sheets(model)                       # [F31, R10]
    build_savers(model)                          # [F18, F34]: the second random draws
    check_deal_parties(model)


def check_deal_parties(model) -> None:
    """Refuse a scenario deal whose issuer is no institution of the economy, or whose investor
    is neither an institution nor an outside account, in one line naming ``deals[i].key``."""
    names = [a.name for a in model.agents if a.sector != "saver_401k"]
    for i, deal in enumerate(model.p.deals):
        if deal.issuer not in names:
            raise ScenarioError(f"scenario key 'deals[{i}].issuer' = {deal.issuer!r} names no institution"
                                f"{did_you_mean(deal.issuer, names)}")
        if deal.investor not in names and not (model.ledger.has(deal.investor)
                                               and model.ledger.is_outside(deal.investor)):
            raise ScenarioError(f"scenario key 'deals[{i}].investor' = {deal.investor!r} names no "
                                f"institution or outside account{did_you_mean(deal.investor, names)}")
