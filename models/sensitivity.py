"""Global sensitivity analysis of the model's outputs with SALib (Sobol' and Morris).

``aicredit sensitivity SPEC.toml --out DIR --method sobol|morris`` reads a sweep file with a
``[sample]`` table (``n`` and ``[sample.ranges]``), draws SALib's sample (Saltelli's scheme for
Sobol': ``n * (D + 2)`` points, ``n`` a power of 2; Morris: ``n`` trajectories of ``D + 1``
points), runs every point for every seed through the sweep machinery (:mod:`models.sweep`: same
executors, resumable, results in ``DIR/runs``), averages each point's outputs over the seeds,
and writes ``DIR/indices.csv`` and ``DIR/indices.png``.

``indices.csv`` columns: ``output, parameter`` and, for Sobol', ``S1, S1_conf, ST, ST_conf``;
for Morris, ``mu, mu_star, mu_star_conf, sigma``. An output that does not vary over the sample
gets NaN indices (there is no variance to apportion).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from aicredit.models.sweep import (
    SweepError,
    SweepSpec,
    base_params,
    check_run_count,
    jsonable,
    key_label,
    load_spec,
    param_kind,
    run_identity,
    run_sweep,
    validate_all,
    where,
)

__all__ = ["problem_of", "sample_points", "analyze", "run_sensitivity", "plot_indices",
           "add_arguments", "run", "METHODS"]

METHODS = ("sobol", "morris")


def problem_of(spec: SweepSpec) -> dict:
    """SALib's problem dict for the spec's ``[sample.ranges]``."""
    ranges = spec.sample["ranges"]
    return {"num_vars": len(ranges), "names": list(ranges),
            "bounds": [list(map(float, ranges[n])) for n in ranges]}


def sample_points(problem: dict, method: str, n: int, seed: int = 0,
                  num_levels: int = 4) -> np.ndarray:
    """SALib's sample matrix (rows are points)."""
    if method == "sobol":
        from SALib.sample import sobol
        return sobol.sample(problem, n, calc_second_order=False, seed=seed)
    if method == "morris":
        from SALib.sample import morris
        return morris.sample(problem, n, num_levels=num_levels, seed=seed)
    raise SweepError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")


def analyze(problem: dict, X: np.ndarray, Y: np.ndarray, method: str, seed: int = 0,
            num_levels: int = 4):
    """Indices of one output ``Y`` (one value per row of ``X``) as a DataFrame by parameter."""
    import pandas as pd
    names = problem["names"]
    Y = np.asarray(Y, dtype=float)
    if not np.all(np.isfinite(Y)):
        raise SweepError("an output is NaN or infinite at some sample point; indices need "
                         "every point")
    cols = (["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol"
            else ["mu", "mu_star", "mu_star_conf", "sigma"])
    if np.ptp(Y) == 0:                         # constant output: nothing to apportion
        return pd.DataFrame({"parameter": names, **{c: [math.nan] * len(names) for c in cols}})
    if method == "sobol":
        from SALib.analyze import sobol
        # a Generator, since SALib's Sobol' analysis ignores seed=0 (``if seed:``)
        res = sobol.analyze(problem, Y, calc_second_order=False,
                            seed=np.random.default_rng(seed))
    else:
        from SALib.analyze import morris
        res = morris.analyze(problem, np.asarray(X, dtype=float), Y, num_levels=num_levels,
                             seed=np.random.default_rng(seed))
    return pd.DataFrame({"parameter": names, **{c: np.asarray(res[c], dtype=float) for c in cols}})


def _int_params(spec: SweepSpec) -> set[str]:
    return {n for n in spec.sample["ranges"] if param_kind(n) == "int"}


def design(spec: SweepSpec, method: str, allow_large: bool = False
           ) -> tuple[dict, np.ndarray, SweepSpec]:
    """The SALib problem, its sample matrix and the sweep that runs it (explicit points).

    The runs are counted before sampling (``n * (D + 2)`` points for Sobol', ``n * (D + 1)``
    for Morris, times the seeds) and refused beyond :data:`models.sweep.runs.MAX_RUNS` unless
    ``allow_large``.
    """
    import dataclasses
    if method not in METHODS:
        raise SweepError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    n_points = spec.sample["n"] * (len(spec.sample["ranges"]) + (2 if method == "sobol" else 1))
    check_run_count(spec, allow_large, runs=n_points * len(spec.seeds), points=n_points)
    if method == "sobol" and spec.sample["n"] & (spec.sample["n"] - 1):
        raise SweepError(f"{where(spec.source)}: {key_label(spec.source, 'sample.n')} = "
                         f"{spec.sample['n']}: "
                         "Sobol' analysis needs a power of 2")
    problem = problem_of(spec)
    X = sample_points(problem, method, spec.sample["n"], spec.sample.get("seed", 0),
                      spec.sample.get("num_levels", 4))
    ints = _int_params(spec)
    points = [{n: (int(round(x)) if n in ints else float(x))
               for n, x in zip(problem["names"], row, strict=True)}
              for row in X]
    sweep = dataclasses.replace(spec, sample=None, points=points,
                                name=f"{spec.name}-{method}")
    return problem, X, sweep


def results_per_point(sweep: SweepSpec, df) -> np.ndarray:
    """Outputs averaged over seeds, one row per sample point (in sample order).

    Points are matched to runs by run id (two points may share runs, e.g. Morris trajectories
    crossing, or integer parameters rounding two points onto one).
    """
    import dataclasses

    from aicredit.models.scenario import Scenario
    failed = df[df["error"] != ""]
    if len(failed):
        raise SweepError(f"{len(failed)} of {len(df)} runs failed (first: "
                         f"{failed.iloc[0]['error']}); indices need every run: see the error "
                         "column of the results, fix the cause and run again with "
                         "--retry-failed")
    by_id = df.set_index("run_id")
    base = base_params(sweep)
    Y = np.full((len(sweep.points), len(sweep.outputs)), np.nan)
    for i, point in enumerate(sweep.points):
        full = jsonable(dataclasses.asdict(Scenario(**validate_all({**base, **point}))))
        ids = [run_identity(sweep.model, full, s) for s in sweep.seeds]
        Y[i] = by_id.loc[ids, sweep.outputs].to_numpy(dtype=float).mean(axis=0)
    return Y


def run_sensitivity(spec_or_path, out: str | Path, method: str = "sobol",
                    workers: int | None = None, scheduler=None, progress: bool = True,
                    flush_every: float = 2.0, plot: bool = True, retry_failed: bool = False,
                    report: dict | None = None, allow_large: bool = False):
    """Sample, run (resumable, in ``out/runs``) and analyse; returns the indices DataFrame.

    Writes ``out/indices.csv`` and (``plot=True``) ``out/indices.png``. ``retry_failed``
    runs again the runs recorded with an error, ``report`` collects the counts of runs and
    ``allow_large`` lifts the size guards (see :func:`models.sweep.run_sweep`).
    """
    import pandas as pd
    spec = spec_or_path if isinstance(spec_or_path, SweepSpec) else (
        _from_dict(spec_or_path) if isinstance(spec_or_path, dict)
        else load_spec(spec_or_path, kind="sensitivity"))
    problem, X, sweep = design(spec, method, allow_large)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    df = run_sweep(sweep, out / "runs", workers=workers, scheduler=scheduler, progress=progress,
                   flush_every=flush_every, retry_failed=retry_failed, report=report,
                   allow_large=allow_large)
    Y = results_per_point(sweep, df)
    tables = []
    for j, name in enumerate(sweep.outputs):
        t = analyze(problem, X, Y[:, j], method, seed=spec.sample.get("seed", 0),
                    num_levels=spec.sample.get("num_levels", 4))
        t.insert(0, "output", name)
        tables.append(t)
    indices = pd.concat(tables, ignore_index=True)
    indices.to_csv(out / "indices.csv", index=False)
    if plot:
        plot_indices(indices, method, out / "indices.png")
    return indices


def _from_dict(raw: dict) -> SweepSpec:
    from aicredit.models.sweep import spec_from_dict
    return spec_from_dict(raw, kind="sensitivity")


def plot_indices(indices, method: str, path: Path) -> Path:
    """Bar charts of first- and total-order Sobol' indices (or Morris mu* and sigma)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    outputs = list(dict.fromkeys(indices["output"]))
    fig, axes = plt.subplots(1, len(outputs), figsize=(4.2 * len(outputs), 3.8), squeeze=False)
    for ax, name in zip(axes[0], outputs, strict=True):
        t = indices[indices["output"] == name]
        y = np.arange(len(t))
        if method == "sobol":
            ax.barh(y - 0.2, t["S1"], 0.4, xerr=t["S1_conf"], label="first order S1")
            ax.barh(y + 0.2, t["ST"], 0.4, xerr=t["ST_conf"], label="total order ST")
            ax.set_xlim(left=min(0.0, float(np.nanmin(t[["S1", "ST"]].to_numpy(), initial=0))))
        else:
            ax.barh(y - 0.2, t["mu_star"], 0.4, xerr=t["mu_star_conf"], label="mu*")
            ax.barh(y + 0.2, t["sigma"], 0.4, label="sigma")
        ax.set_yticks(y, t["parameter"], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(name, fontsize=9)
        if t.iloc[:, 2:].isna().all().all():
            ax.text(0.5, 0.5, "constant over the sample", transform=ax.transAxes, ha="center")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{'Sobol' if method == 'sobol' else 'Morris'} sensitivity indices")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def add_arguments(parser) -> None:
    from aicredit.models.sweep import add_common_arguments, add_description_arguments
    parser.add_argument("spec", type=Path, nargs="?", metavar="SPEC.toml",
                        help="a sweep file with [sample] n and [sample.ranges] (optional when "
                             "the options describe it)")
    add_common_arguments(parser)
    add_description_arguments(parser, kind="sensitivity")
    parser.add_argument("--method", choices=METHODS, default=None,
                        help="sobol (first- and total-order indices) or morris (elementary "
                             "effects); default: the file's sample.method, else sobol")


def run(args) -> int:
    from aicredit.models.sweep import execute_cli, spec_from_cli
    spec = spec_from_cli(args, kind="sensitivity")
    method = args.method or spec.sample["method"]
    problem, X, sweep = design(spec, method, args.allow_large)
    args.out.mkdir(parents=True, exist_ok=True)
    out_runs = args.out
    args.out = out_runs / "runs"
    code, report = execute_cli(sweep, args, what="sensitivity")
    args.out = out_runs
    if code:
        return code
    indices = run_sensitivity(spec, out_runs, method, workers=1, progress=False,  # all runs done
                              allow_large=args.allow_large)
    import pandas as pd
    with pd.option_context("display.width", 120, "display.max_rows", 200,
                           "display.float_format", "{:.3f}".format):
        print(indices.to_string(index=False))
    print(f"\n{len(X)} points x {len(spec.seeds)} seeds ({report['new']} new runs); wrote "
          f"indices.csv and indices.png to {out_runs}", file=sys.stdout)
    return 0
