"""Benchmark of the loan-market clearing: compiled kernel vs pure-Python reference.

    python benchmarks/bench_loan_market.py            # N = 1e2, 1e3, 1e4, 1e5 holders
    python benchmarks/bench_loan_market.py --quick    # N = 1e2, 1e3, 1e4, fewer repeats

Instances: C = 4 classes (the model's three loan classes and fund interests), holders near
their leverage limit, a third with a cash need, exogenous sales of a tenth of what is held and
a depth twice what is held, so most holders sell and the clearing takes some 15-25
iterations. The kernel follows the reference operation for operation: the benchmark checks
that their results are equal bit for bit wherever the reference runs (N <= 1e3; one repeat,
it is slow).

Targets: kernel >= 100x faster than the reference at N = 1e3; per iteration at the largest N,
at most 10 ns per (holder, class) cell. With C = 4 the cost is mostly per holder (a division
and a few branches, about 15 ns); the sums cannot be vectorised since their order is the
reference's. The model has tens of holders, so this is headroom, not a constraint.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from aicredit.abm.markets.loan_market_kernel import (  # noqa: E402
    clear_loan_market,
    clear_loan_market_reference,
)

FIELDS = ("price", "sold_by_class", "share_sold", "sold", "proceeds", "in_breach")


def make_instance(N: int, C: int = 4, seed: int = 0) -> dict:
    """Keyword arguments for ``clear_loan_market`` (numpy arrays, contract dtypes)."""
    rng = np.random.default_rng(seed)
    H = rng.lognormal(np.log(1e8), 1.0, (N, C)) * (rng.random((N, C)) < 0.8)
    value = H.sum(axis=1)
    max_lev = rng.uniform(1.0, 3.0, N)
    equity = value * rng.uniform(0.2, 0.5, N)
    debt = equity * max_lev * rng.uniform(0.6, 1.0, N)
    cash = value * rng.uniform(0.0, 0.05, N)
    need = value * rng.uniform(0.0, 0.1, N) * (rng.random(N) < 0.33)
    held = H.sum(axis=0)
    return dict(start_price=np.ones(C), depth=2.0 * held + 1.0, exog_sales=0.1 * held,
                holdings=H, cash=cash, debt=debt, equity=equity,
                mark_weight=np.where(rng.random(N) < 0.5, 0.3, 1.0), max_leverage=max_lev,
                target_leverage=0.95 * max_lev, cash_need=need)


def _timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N up to 1e4; fewer repeats")
    opts = ap.parse_args()
    sizes = [10**2, 10**3, 10**4] if opts.quick else [10**2, 10**3, 10**4, 10**5]
    repeats = 3 if opts.quick else 7
    print(f"{'N':>7} {'C':>2} {'iters':>5} {'breach':>6} {'selling':>7} {'kernel ms':>9} "
          f"{'ref s':>7} {'ref/k':>7} {'ns/cell/it':>10} {'bitwise':>7}")
    verdicts = []
    last = None
    for N in sizes:
        inst = make_instance(N, seed=N)
        k_best = min(_timed(clear_loan_market, **inst)[0] for _ in range(repeats))
        k = clear_loan_market(**inst)
        C = inst["start_price"].shape[0]
        ns = k_best / (N * C * k.iterations) * 1e9
        ref_t = same = None
        if N <= 10**3:
            ref_t, r = _timed(clear_loan_market_reference, **inst)
            same = (all(getattr(k, f).tobytes() == getattr(r, f).tobytes() for f in FIELDS)
                    and (k.iterations, k.converged) == (r.iterations, r.converged))
            verdicts.append((f"kernel bit for bit equal to the reference at N={N}", same, str(same)))
        ref = f"{ref_t:7.2f}" if ref_t else "      -"
        refk = f"{ref_t / k_best:7.0f}" if ref_t else "      -"
        print(f"{N:>7} {C:>2} {k.iterations:>5} {k.in_breach.mean():6.2f} "
              f"{(k.share_sold > 0).mean():7.2f} {k_best * 1e3:9.3f} {ref} {refk} {ns:10.2f} "
              f"{'-' if same is None else same!s:>7}")
        if N == 10**3:
            verdicts.append(("kernel >= 100x faster than the reference at N=1000",
                             ref_t / k_best >= 100, f"{ref_t / k_best:.0f}x"))
        last = (N, ns)
    verdicts.append((f"per iteration <= 10 ns per (holder, class) cell at N={last[0]}",
                     last[1] <= 10.0, f"{last[1]:.2f} ns"))
    for name, ok, val in verdicts:
        print(f"[{'MET' if ok else 'NOT MET'}] {name}: {val}")


if __name__ == "__main__":
    main()
