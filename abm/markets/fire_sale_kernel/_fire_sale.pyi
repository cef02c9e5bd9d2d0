"""Type stub of the compiled fire-sale kernel (``_fire_sale.pyx``), for the type checker.

A Cython extension carries no annotations mypy can read; this declares its one Python-level
function. Arrays are C-contiguous: float64, except ``loan_vintage`` and ``loan_borrower``
(int64) and ``margin_called`` and ``defaulted`` (uint8, written in place). Keep it in step
with the ``def clear`` signature of the ``.pyx``.
"""
import numpy as np
import numpy.typing as npt

def clear(ref_price: npt.NDArray[np.float64], depth: npt.NDArray[np.float64],
          exog_sales: npt.NDArray[np.float64], loan_vintage: npt.NDArray[np.int64],
          loan_borrower: npt.NDArray[np.int64], loan_units: npt.NDArray[np.float64],
          loan_debt: npt.NDArray[np.float64], loan_margin_ltv: npt.NDArray[np.float64],
          loan_target_ltv: npt.NDArray[np.float64], borrower_cash: npt.NDArray[np.float64],
          tol: float, max_iter: int, price: npt.NDArray[np.float64],
          units_sold: npt.NDArray[np.float64], cash_posted: npt.NDArray[np.float64],
          sold: npt.NDArray[np.float64], margin_called: npt.NDArray[np.uint8],
          defaulted: npt.NDArray[np.uint8]) -> tuple[int, bool]:
    """Clear one step; fill the output arrays; return ``(iterations, converged)``."""
