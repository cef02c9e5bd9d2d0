"""Type stub of the compiled loan-market kernel (``_loan_market.pyx``), for the type checker.

A Cython extension carries no annotations mypy can read; this declares its one Python-level
function. Arrays are C-contiguous float64, ``holdings`` and ``sold`` two-dimensional [N, C],
except ``in_breach`` (uint8, written in place). Keep it in step with the ``def clear``
signature of the ``.pyx``.
"""
import numpy as np
import numpy.typing as npt

def clear(start_price: npt.NDArray[np.float64], depth: npt.NDArray[np.float64],
          exog_sales: npt.NDArray[np.float64], holdings: npt.NDArray[np.float64],
          cash: npt.NDArray[np.float64], debt: npt.NDArray[np.float64],
          equity: npt.NDArray[np.float64], mark_weight: npt.NDArray[np.float64],
          max_leverage: npt.NDArray[np.float64],
          target_leverage: npt.NDArray[np.float64], cash_need: npt.NDArray[np.float64],
          tol: float, max_iter: int, price: npt.NDArray[np.float64],
          sold_by_class: npt.NDArray[np.float64], share_sold: npt.NDArray[np.float64],
          sold: npt.NDArray[np.float64], proceeds: npt.NDArray[np.float64],
          in_breach: npt.NDArray[np.uint8]) -> tuple[int, bool]:
    """Clear one month; fill the output arrays; return ``(iterations, converged)``."""
