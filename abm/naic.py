"""NAIC designations and the life risk-based-capital formula [R18, R33, R43].

An insurer's rated holdings carry one of the NAIC's 20 designation categories, 1.A to 6,
which follow the credit rating: AAA is 1.A, AA+ 1.B, ... A- 1.G, BBB+ 2.A ... BBB- 2.C,
BB+ 3.A ... B- 4.C, CCC+ 5.A, CCC 5.B, CCC- 5.C, and below (or in default) 6. In the model's
notch scale (1 = AAA, 6 = A, 9 = BBB, 17 = CCC: :data:`abm.constraints.LEVERAGE_NOTCHES`)
category ``k`` (1..20) is the notch rounded to the nearest whole, so the designation of a
holding migrates with its issuer's rating (for insurers' tech placements, S&P's grid notch
at the borrowers' current leverage, :mod:`abm.placements`).

The life RBC charge of a bond is a factor per category (:data:`BOND_FACTORS`, the factors the
NAIC adopted in 2021 for the 20 categories [R33]): 0.158% at 1.A, about 1.5% at BBB, 4.5%
at BB, 9.5% at B, 30% at 5.C and 6. A downgrade from BBB- to BB+ doubles it; the slope is
what makes a rated book's capital need rise in a credit downturn before any default
(rating migration; Ellul, Jotikasthira and Lundblad 2011 for the sales it triggers).

Total RBC aggregates the risks with the NAIC's covariance ("square root") formula [R43]:

    RBC = C0 + C4a + sqrt((C1o + C3a)^2 + (C1cs + C3c)^2 + C2^2 + C3b^2 + C4b^2)

with C1o the fixed-income asset risk (bonds, private placements, ABS), C1cs the equity-like
asset risk (common stock and Schedule BA interests such as LP stakes in private-credit
funds), C2 insurance risk, C3a interest-rate risk, C4a business risk; the model keeps those
five (C0 affiliates, C3b health credit, C3c market risk of variable annuities and C4b health
administration are zero for its insurers). The authorised control level is half of it
[R18]. Because the formula takes a square root, a dollar of charge adds less than a dollar
of RBC: asset risks diversify against the insurance risks.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["BOND_FACTORS", "NAIC6_CATEGORY", "designation_category", "bond_factor", "rbc_total_usd",
           "rbc_marginal_factors"]

#: Life RBC factors of the 20 NAIC designation categories 1.A, 1.B, ... 5.C, 6 [R33].
_FACTORS = (0.00158, 0.00271, 0.00419, 0.00523, 0.00657, 0.00816, 0.01016,
            0.01261, 0.01523, 0.02168,
            0.03151, 0.04537, 0.06017,
            0.07386, 0.09535, 0.12428,
            0.16942, 0.23798, 0.30000,
            0.30000)
BOND_FACTORS = np.array(_FACTORS)
#: A notch rounds to the nearest category, half up.
_HALF_NOTCH = 0.5
#: The category of NAIC 6 (in or near default), the last of the 20.
NAIC6_CATEGORY = len(BOND_FACTORS)


def designation_category(notch):
    """The NAIC designation category (1 = 1.A ... 19 = 5.C, 20 = 6) of a rating notch: the
    notch rounded half up, between 1 and 20. Broadcasts."""
    return np.clip(np.floor(np.asarray(notch, dtype=float) + _HALF_NOTCH), 1, NAIC6_CATEGORY).astype(int)


def bond_factor(category):
    """The life RBC factor of a designation category (1..20) [R33]. Broadcasts."""
    return BOND_FACTORS[np.asarray(category) - 1]


def rbc_total_usd(c1o: float, c1cs: float, c2: float, c3a: float, c4a: float) -> float:
    """Total life RBC from its components (module docstring), ``C4a + sqrt((C1o + C3a)^2 +
    C1cs^2 + C2^2)`` [R43]."""
    return c4a + math.sqrt((c1o + c3a) ** 2 + c1cs ** 2 + c2 ** 2)


def rbc_marginal_factors(c1o: float, c1cs: float, c2: float, c3a: float) -> tuple[float, float]:
    """How much total RBC rises per USD of C1o and of C1cs charge (the formula's gradient):
    ``(C1o + C3a) / S`` and ``C1cs / S`` with ``S`` the square root. Each is below 1: a charge
    diversifies against the others."""
    s = math.sqrt((c1o + c3a) ** 2 + c1cs ** 2 + c2 ** 2)
    if s <= 0:
        return 1.0, 1.0
    return (c1o + c3a) / s, c1cs / s
