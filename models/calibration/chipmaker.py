"""The chipmaker (Nvidia) at step 0 [F10, F13]."""
from __future__ import annotations

from aicredit.abm.agents import Chipmaker
from aicredit.abm.units import BN
from aicredit.models.calibration._common import endow

__all__ = ["build_chipmaker"]


def build_chipmaker(model) -> None:
    """Create Nvidia with its market cap, gross margin, cash and non-cash assets.

    Sets ``model.chipmakers`` and ``model.gpu_supplier`` (Nvidia sells every new GPU [F10]).
    Its investments in customers are added by the labs' and
    neoclouds' builders (C8, [F10, F13]).
    """
    p = model.p
    nvidia = Chipmaker(model, "Nvidia", p.nvidia_market_cap_bn * BN, p.nvidia_gross_margin)
    endow(model, nvidia, p.nvidia_cash_bn * BN)
    nvidia.real_assets_usd = p.chipmaker_real_assets_bn * BN
    model.chipmakers = [nvidia]
    model.gpu_supplier = nvidia
