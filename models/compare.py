"""``aicredit compare DIR...``: runs and sweeps side by side, with confidence intervals.

Each ``DIR`` is either

- a **run**, the folder ``aicredit run --out`` writes (``summary.json`` and
  ``model_vars.parquet``): one entry, drawn as a line; or
- a **sweep**, the folder ``aicredit sweep --out`` writes (``_sweep.json`` and Parquet parts):
  one entry per scenario and point of its grid or sample (a Monte Carlo of one scenario is
  one entry), its runs being the replications (seeds), drawn as a fan chart: the median
  across seeds with bands holding the middle 50% and 90% of them month by month.

Only runs that succeeded count (a sweep row with an ``error`` is left out). The table gives,
for each entry and headline output (:data:`models.sweep.common.HEADLINE_OUTPUTS`, the
``summary.json`` keys a sweep records by default), the number of runs ``n``, the mean and a
95% confidence interval for the mean: Student's t interval, ``mean +- t(0.975, n - 1) *
sd / sqrt(n)`` with the sample standard deviation (``ddof = 1``), which assumes the mean of
the replications is roughly normal (a handful of seeds of a heavy-tailed output deserves
more seeds, not a narrower interval). A single run has no interval (NaN). An output that is
missing for some runs (``first_default_step`` when nothing defaulted) is averaged over the
runs that have it, and ``n`` says how many.

With ``--out DIR`` it writes ``compare.csv`` (one row per entry and output: ``entry,
output, n, mean, ci95_low, ci95_high``, in the outputs' own units: USD, fractions, counts,
months) and ``compare.png`` (or ``--format pdf|svg``): one panel per headline series
(:data:`models.sweep.common.HEADLINE_SERIES`) that some input holds. Without ``--out`` it
prints the table and writes nothing. A missing folder, a folder that is neither a run nor a
sweep, or a sweep without finished runs is one line and exit code 2.

From Python: :func:`load_entries`, :func:`headline_table`, :func:`plot_entries`.
"""
from __future__ import annotations

import json
import math
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aicredit.abm.units import BN, MONTHS_PER_YEAR, month_label
from aicredit.models.options import FIGURE_FORMATS, UsageError
from aicredit.models.stats import mean_ci  # re-exported: the one implementation
from aicredit.models.sweep.common import HEADLINE_OUTPUTS, HEADLINE_SERIES, MANIFEST

__all__ = ["Entry", "load_entries", "mean_ci", "headline_table", "format_table", "plot_entries",
           "add_arguments", "run", "MAX_PLOTTED", "FORMATS"]

#: Entries drawn in the figure at most (the table holds every one): more lines and bands
#: than this cannot be told apart.
MAX_PLOTTED = 10
FORMATS = FIGURE_FORMATS                 # the one list (models/options.py)
#: The files compare writes into ``--out`` (``compare.<format>`` and the table).
TABLE_FILE = "compare.csv"
#: How the panels and the printed table name and scale each series and output:
#: {name: (label with unit, scale)}.
SERIES_LABELS = {
    "ai_index": ("AI equity index (Jan 2025 = 1)", 1.0),
    "gpu_price_index": ("GPU price index (vs. scheduled depreciation)", 1.0),
    "defaults_total": ("Institutions defaulted (cumulative count)", 1.0),
    "losses_total_usd": ("Losses to ultimate holders (bn USD, cumulative)", 1 / BN),
    "savers_401k_return_index": ("401(k) return index (Jan 2025 = 1)", 1.0),
}
OUTPUT_LABELS = {
    "defaults_total": ("institutions defaulted", "{:.1f}", 1.0),
    "first_default_step": ("first default (month, 0 = Jan 2025)", "{:.1f}", 1.0),
    "losses_total_usd": ("losses to ultimate holders (bn USD)", "{:.1f}", 1 / BN),
    "gpu_price_max_drawdown": ("GPU price index max drawdown", "{:.1%}", 1.0),
    "ai_index_max_drawdown": ("AI index max drawdown", "{:.1%}", 1.0),
    "savers_401k_loss_fraction": ("401(k) loss fraction", "{:.1%}", 1.0),
    "peak_margin_calls": ("peak margin calls in a month", "{:.1f}", 1.0),
    "insurer_solvency_min": ("lowest insurer RBC ratio", "{:.2f}", 1.0),
}


@dataclass
class Entry:
    """One line (a run) or fan (a sweep's point) of the comparison.

    ``values``: {output: the runs' values, NaN where a run lacks it}; ``series``: {reporter:
    an array of runs x months}; ``kind``: ``"run"`` or ``"sweep"``.
    """

    label: str
    kind: str
    source: Path
    values: dict[str, np.ndarray] = field(default_factory=dict)
    series: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return max((len(v) for v in self.values.values()), default=0)


def _error(msg: str) -> UsageError:
    return UsageError(f"compare: {msg}")


def _read_run(path: Path, prefix: str) -> list[Entry]:
    import pandas as pd
    try:
        summ = json.loads((path / "summary.json").read_text())
        if not isinstance(summ, dict):
            raise ValueError("not a JSON object")
        mv = pd.read_parquet(path / "model_vars.parquet")
    except (OSError, ValueError) as exc:            # pyarrow's errors are ValueErrors too
        raise _error(f"{path}: a run folder whose summary.json or model_vars.parquet cannot "
                     f"be read ({type(exc).__name__})") from None
    values = {}
    for name in HEADLINE_OUTPUTS:
        v = summ.get(name)
        values[name] = np.array([float(v) if isinstance(v, (int, float)) else math.nan])
    if "step" in mv.columns:                     # its `date` column, when there, is not needed
        mv = mv.sort_values("step")
    series = {name: mv[name].to_numpy(dtype=float)[None, :] for name in HEADLINE_SERIES
              if name in mv.columns}
    label = f"{prefix}{summ.get('scenario', '?')}, seed {summ.get('seed', '?')}"
    return [Entry(label, "run", path, values, series)]


def _swept_names(manifest: dict) -> list[str]:
    spec = manifest.get("spec") or {}
    if spec.get("grid"):
        return list(spec["grid"])
    if spec.get("sample"):
        return list(spec["sample"].get("ranges", {}))
    points = spec.get("points") or [{}]
    return list(points[0])


def _read_sweep(path: Path, prefix: str) -> list[Entry]:
    from aicredit.models.sweep.dataset import load_sweep
    try:
        manifest = json.loads((path / MANIFEST).read_text())
        df = load_sweep(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable sweep is one line
        raise _error(f"{path}: a sweep folder that cannot be read ({type(exc).__name__}: "
                     f"{exc})") from None
    if "error" in df.columns:
        df = df[df["error"] == ""]
    if df.empty:
        raise _error(f"{path}: a sweep without finished runs")
    keys = [k for k in ["scenario", *_swept_names(manifest)] if k in df.columns]
    entries = []
    groups = df.groupby(keys, sort=False, dropna=False) if keys else [((), df)]
    for key, rows in groups:
        key = key if isinstance(key, tuple) else (key,)
        parts = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                 for k, v in zip(keys, key, strict=True) if k != "scenario"]
        scenario = str(rows["scenario"].iloc[0]) if "scenario" in rows.columns else manifest.get("name")
        label = f"{prefix}{scenario}" + (f" ({', '.join(parts)})" if parts else "")
        values = {name: rows[name].to_numpy(dtype=float) for name in HEADLINE_OUTPUTS
                  if name in rows.columns}
        series = {}
        for name in HEADLINE_SERIES:
            col = f"series:{name}"
            if col in rows.columns:
                runs = [np.asarray(v, dtype=float) for v in rows[col] if v is not None]
                if runs and len({len(r) for r in runs}) == 1:
                    series[name] = np.vstack(runs)
        entries.append(Entry(label, "sweep", path, values, series))
    return entries


def load_entries(paths, prefix: bool = True) -> list[Entry]:
    """The entries of run and sweep folders, in the order given (:class:`Entry`), labelled
    ``folder: scenario ...`` (``prefix=False``: without the folder's name).

    Raises :class:`models.options.UsageError` (one line) for a missing path, a path that is
    not a folder, a folder that is neither a run nor a sweep, or one that cannot be read.
    """
    entries: list[Entry] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise _error(f"{path} does not exist")
        if not path.is_dir():
            raise _error(f"{path} is not a folder (give the folders aicredit run --out and "
                         "aicredit sweep --out wrote)")
        head = f"{path.name}: " if prefix else ""
        if (path / MANIFEST).exists():
            entries += _read_sweep(path, head)
        elif (path / "summary.json").exists() and (path / "model_vars.parquet").exists():
            entries += _read_run(path, head)
        else:
            raise _error(f"{path} is neither a run (summary.json and model_vars.parquet, from "
                         f"aicredit run --out) nor a sweep ({MANIFEST}, from aicredit sweep --out)")
    return entries


def headline_table(entries: list[Entry]):
    """One row per entry and headline output: ``entry, output, n, runs, mean, ci95_low,
    ci95_high`` (``runs``: the entry's runs; ``n``: those with a value)."""
    import pandas as pd
    rows = []
    for e in entries:
        for name in HEADLINE_OUTPUTS:
            if name not in e.values:
                continue
            n, m, lo, hi = mean_ci(e.values[name])
            rows.append({"entry": e.label, "output": name, "n": n, "runs": e.n_runs, "mean": m,
                         "ci95_low": lo, "ci95_high": hi})
    return pd.DataFrame(rows, columns=["entry", "output", "n", "runs", "mean", "ci95_low",
                                       "ci95_high"])


def format_table(table) -> str:
    """The table for the terminal: an output per line, ``mean [95% CI]`` per entry, in the
    units the labels give (bn USD, percent)."""
    if table.empty:
        return "(no headline outputs)"
    lines = []
    for entry, rows in table.groupby("entry", sort=False):
        runs = int(rows["runs"].iloc[0])
        lines.append(f"{entry}  ({runs} run{'s' if runs != 1 else ''}; mean [95% CI])")
        for r in rows.itertuples():
            label, fmt, scale = OUTPUT_LABELS.get(r.output, (r.output, "{:.3g}", 1.0))
            if r.n == 0:
                cell = "none"
            elif math.isnan(r.ci95_low):
                cell = fmt.format(r.mean * scale)
            else:
                cell = (f"{fmt.format(r.mean * scale)} [{fmt.format(r.ci95_low * scale)}, "
                        f"{fmt.format(r.ci95_high * scale)}]")
            if 0 < r.n < runs:
                cell += f"  ({r.n} of {runs} runs)"
            lines.append(f"  {label:<40}{cell}")
        lines.append("")
    return "\n".join(lines).rstrip()


def plot_entries(entries: list[Entry], path: Path, title: str = "",
                 fmt: str | None = None) -> Path | None:
    """The comparison figure: one panel per headline series some entry holds; a run is a
    line, a sweep's entry its median across seeds with 50% and 90% bands. Draws at most
    :data:`MAX_PLOTTED` entries. ``fmt``: png, pdf or svg (default: from the path's suffix).
    Returns the path, or None (nothing written) when no entry holds a series."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    names = [n for n in HEADLINE_SERIES if any(n in e.series for e in entries)]
    if not names:
        return None
    drawn = entries[:MAX_PLOTTED]
    ncols = min(3, len(names))
    nrows = -(-len(names) // ncols)
    fig = Figure(figsize=(5.2 * ncols, 3.9 * nrows + 0.6))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    colours = [f"C{i}" for i in range(len(drawn))]
    for ax, name in zip(axes, names, strict=False):
        label, scale = SERIES_LABELS[name]
        for e, colour in zip(drawn, colours, strict=True):
            if name not in e.series:
                continue
            y = e.series[name] * scale
            x = np.arange(y.shape[1])
            if y.shape[0] == 1:
                ax.plot(x, y[0], color=colour, lw=1.4, label=e.label)
                continue
            q = np.nanquantile(y, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
            ax.fill_between(x, q[0], q[4], color=colour, alpha=0.12, lw=0)
            ax.fill_between(x, q[1], q[3], color=colour, alpha=0.28, lw=0)
            ax.plot(x, q[2], color=colour, lw=1.4, label=f"{e.label} (median of {y.shape[0]})")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("month")
        ax.xaxis.set_major_locator(MultipleLocator(MONTHS_PER_YEAR))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: month_label(int(v))
                                                   if v >= 0 and float(v).is_integer() else ""))
        ax.tick_params(axis="x", labelsize=7, labelrotation=30)
        ax.grid(alpha=0.3)
    for ax in axes[len(names):]:
        ax.set_axis_off()
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:len(names)]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    bands = any(e.kind == "sweep" and any(s.shape[0] > 1 for s in e.series.values())
                for e in drawn)
    note = " Shaded: the middle 50% and 90% of the seeds, month by month." if bands else ""
    more = f" (first {MAX_PLOTTED} of {len(entries)} entries)" if len(entries) > MAX_PLOTTED else ""
    fig.suptitle((title or "aicredit compare") + more, fontsize=11)
    fig.legend(handles, labels, loc="lower center", ncol=min(3, len(labels)), fontsize=8,
               frameon=False, title=note.strip() or None, title_fontsize=8)
    fig.tight_layout(rect=(0, 0.04 + 0.03 * math.ceil(len(labels) / 3), 1, 0.96))
    path = Path(path)
    fig.savefig(path, dpi=110, format=fmt)
    return path


def add_arguments(parser) -> None:
    parser.add_argument("dirs", nargs="+", type=Path, metavar="DIR",
                        help="folders written by aicredit run --out (runs) or aicredit sweep "
                             "--out (sweeps)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for compare.csv and the figure (default: print only)")
    parser.add_argument("--format", choices=FORMATS, default="png",
                        help="the figure's format (default png)")
    parser.add_argument("--force", action="store_true",
                        help="replace an earlier comparison in --out")


def _check_out(out: Path, dirs: list[Path], force: bool) -> None:
    """``--out`` must be new, empty, or an earlier comparison (then ``--force``); never one
    of the inputs or a folder of other files. Checked before anything is computed."""
    if out.exists() and not out.is_dir():
        raise _error(f"--out {out} is a file, not a folder")
    if any(out.resolve() == Path(d).resolve() for d in dirs):
        raise _error(f"--out {out} is one of the folders compared; give another")
    if out.is_dir():
        files = [p.name for p in out.iterdir()]
        ours = {TABLE_FILE} | {f"compare.{f}" for f in FORMATS}
        others = [f for f in files if f not in ours]
        if others:
            raise _error(f"--out {out} holds other files ({', '.join(sorted(others)[:3])}); "
                         "give a new or empty folder")
        if files and not force:
            raise _error(f"--out {out} holds an earlier comparison; pass --force to replace it")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{secrets.token_hex(3)}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise _error(f"--out {out} cannot be written ({exc.strerror})") from None


def _replace(path: Path, write) -> None:
    """Write through a hidden temporary file renamed into place (never a half-written file)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def run(args) -> int:
    if args.out is not None:
        _check_out(args.out, args.dirs, args.force)
    entries = load_entries(args.dirs)
    table = headline_table(entries)
    print(format_table(table))
    if args.out is None:
        print("\nNo files written (give --out DIR for compare.csv and the figure).")
        return 0
    written = [TABLE_FILE]
    _replace(args.out / TABLE_FILE, lambda p: table.to_csv(p, index=False))
    if any(e.series for e in entries):
        figure = args.out / f"compare.{args.format}"
        title = "aicredit compare: " + ", ".join(Path(d).name for d in args.dirs)
        _replace(figure, lambda p: plot_entries(entries, p, title, args.format))
        written.append(figure.name)
    else:
        print("\nNo figure: no input holds a monthly series (sweeps record them as "
              "series:NAME outputs).")
    if len(entries) > MAX_PLOTTED:
        print(f"\nThe figure draws the first {MAX_PLOTTED} of {len(entries)} entries; the "
              "table has them all.")
    print(f"\nWrote {' and '.join(written)} to {args.out}")
    return 0
