"""Benchmark of the fire-sale clearing: compiled kernel vs NumPy vs pure-Python reference.

    python benchmarks/bench_fire_sale.py            # L = 1e4, 1e5, 1e6
    python benchmarks/bench_fire_sale.py --quick    # L = 1e4, 1e5, fewer repeats

Everything is measured in one run, with interleaved repeats (best of N). Instances: V = 8,
B = L / 100, stress 1 (about half the loans margin-called; see benchmarks/_instances.py).
The memory-bandwidth bound is measured in the same run: the time of ``np.sum`` over a
256 MB array gives bytes/s, and one streaming pass over the per-loan inputs (vintage,
borrower, units, debt, m, h: 48 bytes a loan) is ``48 * L / bandwidth``.

Targets (at L = 1e6 unless said): kernel >= 8x faster than NumPy; >= 100x faster than the
pure-Python reference at L = 1e5; per iteration <= 2x one streaming pass over the inputs.

The kernel evaluates the plain iteration's price map incrementally (active sets: only newly
called loans, under-water candidates and per-(borrower, vintage) sums are touched), so it runs
the same iterates and the same number of iterations as NumPy and the reference (``iters``;
a difference of one is allowed for rounding at the stopping test). Per-iteration figures:
``ns/loan/it`` = whole call / (L * iterations), setup, sort and final exact pass included;
``marg ns/l/it`` = (whole call - call with max_iter=1) / (iterations - 1) / L, the marginal cost
of one more iteration, which for an active-set method is far below a pass over the loans and
varies from one iteration to the next (the first ones call most loans).
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _instances import make_instance  # noqa: E402

from aicredit.abm.markets.fire_sale_kernel import clear_fire_sale, clear_fire_sale_reference  # noqa: E402
from aicredit.abm.markets.fire_sale_kernel._numpy_impl import clear_fire_sale_numpy  # noqa: E402

BYTES_PER_LOAN = 48


def bandwidth(repeats=5):
    a = np.ones(256 * 2**20 // 8)
    a.sum()
    best = min(_timed(a.sum)[0] for _ in range(repeats))
    return a.nbytes / best


def _timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="L = 1e4, 1e5 only; fewer repeats")
    opts = ap.parse_args()
    sizes = [10**4, 10**5] if opts.quick else [10**4, 10**5, 10**6]
    repeats = 3 if opts.quick else 5
    bw = bandwidth()
    print(f"memory bandwidth (np.sum over 256 MB): {bw / 1e9:.1f} GB/s")
    rows = []
    verdicts = []
    for L in sizes:
        inst = make_instance(L, V=8, stress=1.0, seed=L)
        k_best = n_best = marg_best = np.inf
        one_best = np.inf
        for _ in range(repeats):  # interleaved
            t, k = _timed(clear_fire_sale, **inst)
            k_best = min(k_best, t)
            t, _r1 = _timed(clear_fire_sale, **inst, max_iter=1)
            one_best = min(one_best, t)
            t, n = _timed(clear_fire_sale_numpy, **inst)
            n_best = min(n_best, t)
        it = k.iterations
        assert abs(n.iterations - it) <= 1 and np.allclose(n.price, k.price, rtol=1e-9)
        marg_best = (k_best - one_best) / max(it - 1, 1)  # marginal time of one iteration
        ref_t = None
        if L == 10**5 or (opts.quick and L == sizes[-1]):
            ref_t, r = _timed(clear_fire_sale_reference, **inst)  # one repeat: it is slow
            assert abs(r.iterations - it) <= 1 and np.allclose(r.price, k.price, rtol=1e-9)
        stream = BYTES_PER_LOAN * L / bw
        rows.append(dict(L=L, it=it, called=k.margin_called.mean(), dflt=k.defaulted.mean(),
                         k=k_best, n=n_best, ref=ref_t, marg=marg_best, stream=stream,
                         setup=one_best))
    # peak memory of one kernel call at the largest size (tracemalloc sees numpy buffers)
    import tracemalloc
    inst = make_instance(sizes[-1], V=8, stress=1.0, seed=sizes[-1])
    input_bytes = sum(v.nbytes for v in inst.values())
    tracemalloc.start()
    clear_fire_sale(**inst)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    print("ns/loan/it = whole call / (L * iterations); marg = marginal cost of one more "
          "iteration; stream = one pass over 48 B/loan of inputs at the measured bandwidth")
    hdr = (f"{'L':>8} {'iters':>5} {'called':>6} {'dflt':>5} {'kernel s':>9} {'numpy s':>8} "
           f"{'ref s':>7} {'np/k':>6} {'ref/k':>7} {'ns/loan/it':>10} {'marg ns/l/it':>12} "
           f"{'stream ns/l':>11} {'marg/stream':>11} {'setup+final ms':>14}")
    print(hdr)
    for r in rows:
        ns = r["k"] / (r["L"] * r["it"]) * 1e9
        mns = r["marg"] / r["L"] * 1e9
        sns = r["stream"] / r["L"] * 1e9
        ref = f"{r['ref']:7.2f}" if r["ref"] else "      -"
        refk = f"{r['ref'] / r['k']:7.0f}" if r["ref"] else "      -"
        print(f"{r['L']:>8} {r['it']:>5} {r['called']:6.2f} {r['dflt']:5.2f} {r['k']:9.4f} "
              f"{r['n']:8.3f} {ref} {r['n'] / r['k']:6.1f} {refk} {ns:10.2f} {mns:12.2f} "
              f"{sns:11.2f} {mns / sns:11.2f} {r['setup'] * 1e3:14.1f}")
    print(f"peak traced memory of one kernel call at L={sizes[-1]}: {peak / 2**20:.1f} MiB "
          f"(inputs {input_bytes / 2**20:.1f} MiB); process max RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    big = rows[-1]
    verdicts.append((f"kernel >= 8x faster than NumPy at L={big['L']}", big["n"] / big["k"] >= 8,
                     f"{big['n'] / big['k']:.1f}x"))
    for r in rows:
        if r["ref"]:
            verdicts.append((f"kernel >= 100x faster than pure-Python reference at L={r['L']}",
                             r["ref"] / r["k"] >= 100, f"{r['ref'] / r['k']:.0f}x"))
    per_it_total = big["k"] / big["it"]
    verdicts.append((f"per iteration (whole call / iterations) <= 2x streaming pass, L={big['L']}",
                     per_it_total <= 2 * big["stream"], f"{per_it_total / big['stream']:.2f}x"))
    verdicts.append((f"per iteration (marginal) <= 2x streaming pass, L={big['L']}",
                     big["marg"] <= 2 * big["stream"], f"{big['marg'] / big['stream']:.2f}x"))
    for name, ok, val in verdicts:
        print(f"[{'MET' if ok else 'NOT MET'}] {name}: {val}")


if __name__ == "__main__":
    main()
