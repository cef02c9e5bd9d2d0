"""Shared fixtures: runs of the model cached for the whole session, with the accounting
invariants checked in every month of every run, and a few small builders.

Tests obtain everything here as fixtures (never ``from tests.conftest import ...``):

- ``run(scenario="baseline", steps=12, seed=0, before_step=None, **overrides)`` builds and
  steps a model. Without ``before_step`` the run is **cached** for the session, keyed by its
  arguments, so a run the tests need in several places (the winter, baseline and boom arms)
  is simulated once per session (once per worker under pytest-xdist); a longer run of the
  same scenario, seed and overrides continues a copy of the shorter one. A cached model is
  shared: a test must only read it. Each handed-out model is checked after the test, and a
  test that changed one (stepped it, wrote a claim down, paid from an account) errors at
  teardown; such a test asks for ``run(..., fresh=True)`` instead.
- every run, cached or fresh, checks the invariants of ``tests/test_invariants.py`` (money
  conserved, claims the same on both sides, balance sheets balance, ...) at step 0 and after
  every month, so they hold in every simulation the suite makes.
- ``frame(m)``: the model's DataCollector frame; ``make_gpu_market(**kw)``: a small GPU
  market for unit tests; ``write_off_loan_book``: a shock several tests inject.
- ``run_main(argv, capsys)`` runs the command line in-process; ``assert_usage_error`` checks
  its one-line usage errors; ``custom_models`` registers the sweep tests' models
  (``tests/sweep_models.py``) for a test and the processes it starts.

Markers (registered in pyproject.toml): ``slow`` (more than ~2 s), ``browser``, ``notebooks``
and ``cluster``. A test carrying one of the last three is slow too (added here), so the quick
loop ``python -m pytest -m "not slow"`` skips them all; ``scripts/test.sh`` runs everything.
Tests that start processes or bind ports carry an ``xdist_group`` (see ``GROUP_OF_MARKER``) so
that, under ``pytest -n 2 --dist loadgroup`` (``scripts/test.sh``), each group runs on one
worker, one test at a time.
"""
from __future__ import annotations

import copy
import math
import os
from pathlib import Path

import numpy as np
import pytest

from aicredit.abm.gpu_loans import MARKET_LENDER
from aicredit.abm.markets.gpu import GPUMarket
from aicredit.models import AIEconomyModel, load_scenario
from aicredit.models.cli import main
from tests.sweep_models import TEST_MODELS, register_models

#: The checkout's root (the folder holding ``tests/``).
ROOT = Path(__file__).resolve().parents[1]

#: Markers that make a test slow whatever its own duration.
IMPLY_SLOW = ("browser", "notebooks", "cluster")

#: The xdist group of the tests carrying a marker (unless they name one). Under
#: ``pytest -n 2 --dist loadgroup`` a group runs on one worker, one test at a time:
#: ``ports`` holds the tests that start a server, a browser or a Dask scheduler (each picks a
#: free port, and waits on it with a deadline that a second such test on two cores could
#: break); ``notebooks`` the notebooks, whose Jupyter kernels take free ports from the OS too
#: (a group of their own, so the two long chains run side by side); ``pools`` (set in the test
#: files) the tests that start pools of worker processes or kill and resume sweeps; ``arms``
#: (in the test files) the paired-seed tests that share the full-horizon ``ai_winter`` and
#: ``ai_boom`` runs of seeds 0-7 and baseline runs of seeds 0-3, so that each is made once, on one worker,
#: and the tests that read the first months of the same runs (the first year, 24, 30, 36 and 48
#: months; among them the banks' and funds' depth tests, which share the 36-month
#: ``ai_winter`` runs at the winter's depth and at 0.6): each carries a ``horizon`` marker,
#: the group runs the shortest horizons first, and the run cache extends each run to the
#: next horizon instead of simulating it again from month 0 (:class:`RunCache`).
#: Every other test is in its module's group, so a module's fixtures are built once, and its
#: runs cached once, on one worker.
GROUP_OF_MARKER = {"browser": "ports", "notebooks": "notebooks", "cluster": "ports"}

#: The long groups, started first so that neither worker is left alone with one at the end.
START_FIRST = ("notebooks-even", "ports", "notebooks-odd", "pools", "arms", "notebooks")


@pytest.hookimpl(tryfirst=True)           # before `-m` deselects by marker, and before xdist groups
def pytest_collection_modifyitems(config, items):
    """Mark every browser, notebooks or cluster test slow as well, put each test in its xdist
    group, and start with the long groups."""
    for item in items:
        if any(item.get_closest_marker(name) for name in IMPLY_SLOW) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
        if not item.get_closest_marker("xdist_group"):
            group = next((g for m, g in GROUP_OF_MARKER.items() if item.get_closest_marker(m)),
                         item.nodeid.split("::")[0])
            if group == "notebooks":
                group = _notebook_group(item)
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=_longest_group_first(items))           # stable within a group


def _notebook_group(item) -> str:
    """The runs of the numbered notebooks in two groups, odd and even numbers (about 50 and 60 s
    each), so that they run on both workers side by side with the other long groups; each
    kernel takes its own free ports from the OS. Other notebook tests: ``notebooks``."""
    name = getattr(getattr(item, "callspec", None), "params", {}).get("path")
    stem = getattr(name, "stem", str(name or ""))
    if stem[:2].isdigit():
        return f"notebooks-{'odd' if int(stem[:2]) % 2 else 'even'}"
    return "notebooks"


def _group(item) -> str:
    return next(m.args[0] for m in item.iter_markers("xdist_group") if m.args)


def _longest_group_first(items):
    """A sort key that puts the groups in the order xdist should hand them out (it keeps this
    order with ``--no-loadscope-reorder``, pyproject.toml; by default it would order them by
    their number of tests, leaving the few long tests of the notebooks or the servers to the
    end): :data:`START_FIRST` in its order, then the other groups by an estimate of their
    length (a slow test counts as 20 quick ones), longest first, so that the last groups to
    run are short and neither worker is left alone with a long one. Within a group, tests
    with a ``horizon`` marker come first, shortest horizon first (their runs are then
    extended by the run cache), the others after them in file order."""
    weight: dict[str, int] = {}
    for item in items:
        g = _group(item)
        weight[g] = weight.get(g, 0) + (20 if item.get_closest_marker("slow") else 1)
    rank = {g: i for i, g in enumerate(START_FIRST)}
    return lambda item: (rank.get(_group(item), len(rank)), -weight[_group(item)], _horizon(item))


def _horizon(item) -> float:
    mark = item.get_closest_marker("horizon")
    return mark.args[0] if mark else math.inf


# --------------------------------------------------------------------------------------
# accounting invariants, checked in every run
# --------------------------------------------------------------------------------------
def _close(actual: float, expected: float, rel: float = 1e-6, abs_: float = 1e-12) -> bool:
    """``actual == pytest.approx(expected, rel=rel, abs=abs_)`` for two floats (the same rule:
    equal, or within the larger of ``rel * |expected|`` and ``abs_``; never near an infinite or
    NaN ``expected``), without building an ``approx`` object: :func:`check_invariants` makes
    about a hundred comparisons in every month of every run of the suite."""
    if actual == expected:
        return True
    if math.isnan(expected) or math.isinf(expected):
        return False
    return abs(expected - actual) <= max(rel * abs(expected), abs_)


def check_invariants(m, money0: float) -> None:
    """Assert the accounting invariants of ``m`` (``money0``: the ledger total at step 0).

    - Money is conserved: the sum of all ledger balances, outside accounts included, stays
      constant to 1e-9 relative to the sum of absolute balances.
    - Every claim is one number on both sides: summing claim values over holders equals
      summing them over issuers; GPU loans held by lenders equal those owed by borrowers.
    - Every balance sheet balances: assets = liabilities + equity, line by line.
    - No live claim points at a failed institution; inside accounts never go negative; a
      neocloud never pledges more GPUs than it owns.
    """
    ledger = m.ledger
    assert abs(ledger.total() - money0) <= 1e-9 * ledger.scale(), f"money not conserved in month {m.steps}"
    by_holder = sum([c.value_usd() for cs in m.claims.by_holder.values() for c in cs if c.is_liability])
    by_issuer = sum([c.value_usd() for cs in m.claims.by_issuer.values() for c in cs if c.is_liability])
    assert _close(by_holder, by_issuer, rel=1e-12, abs_=1e-3), (m.steps, by_holder, by_issuer)
    book = m.gpu_loans
    held = sum(a.gpu_loans_held_usd() for a in [*m.funds, *m.banks]) + float(
        book.debt[book.active & (book.lender == MARKET_LENDER)].sum())    # sold to the market
    owed = sum(n.gpu_loans_owed_usd() for n in m.neoclouds)
    assert _close(held, owed, rel=1e-12, abs_=1e-3), (m.steps, held, owed)
    for a in m.institutions:
        bs = a.balance_sheet()
        assert _close(bs["total_assets"], sum(bs["assets"].values())), (m.steps, a.name, bs)
        equity = bs["total_assets"] - bs["total_liabilities"]
        assert _close(equity, a.equity_usd(), rel=1e-9, abs_=1e-3), (m.steps, a.name, equity, a.equity_usd())
        # never negative, up to float rounding of simultaneous settlement at this scale
        assert a.cash_usd >= -1e-6 - 1e-12 * max(bs["total_assets"], 1e9)
        if a.defaulted:
            assert not m.claims.by_holder.get(a) and not m.claims.by_issuer.get(a)
    pledged = None                      # units pledged per (neocloud, vintage): one count a month
    for n in m.neoclouds:
        if n.defaulted:
            assert not book.rows(borrower=n.index).size
            continue
        if pledged is None:
            pledged = book.units_pledged(len(m.neoclouds), m.gpu_market.n_vintages)
        assert np.all(pledged[n.index] <= n.gpu_units * (1 + 1e-9) + 1e-6)
    for c in m.claims.all:
        if not c.closed:
            assert not getattr(c.holder, "defaulted", False)
            assert not getattr(c.issuer, "defaulted", False)


def simulate(scenario="baseline", steps=12, seed=0, before_step=None, **overrides):
    """Build a model and step it ``steps`` months (``None``: the scenario's own ``steps``),
    checking the invariants at step 0 and after every month; ``before_step(model, t)`` may
    inject a shock before month t."""
    m, money0 = start(scenario, seed, **overrides)
    advance(m, money0, m.p.steps if steps is None else steps, before_step)
    return m


def start(scenario="baseline", seed=0, **overrides):
    """A model at step 0, its invariants checked, and its ledger total (``money0``)."""
    m = AIEconomyModel(scenario, seed=seed, collect_agents=False, **overrides)
    money0 = m.ledger.total()
    check_invariants(m, money0)
    return m, money0


def advance(m, money0: float, steps: int, before_step=None) -> None:
    """Step ``m`` on to month ``steps``, checking the invariants after every month
    (``money0``: its ledger total at step 0); ``before_step(model, t)`` as in :func:`simulate`."""
    for t in range(m.steps + 1, steps + 1):
        if before_step is not None:
            before_step(m, t)
        m.step()
        check_invariants(m, money0)


# --------------------------------------------------------------------------------------
# the session's run cache
# --------------------------------------------------------------------------------------
def state_digest(m) -> tuple:
    """Numbers that change whenever a test changes a model: months stepped, money moved
    (the sum of absolute balances), defaults, loss events and the claims' values."""
    claims = [c for c in m.claims.all if not c.closed]
    collected = len(next(iter(m.datacollector.model_vars.values()), ()))
    return (m.steps, m.ledger.scale(), len(m.default_events), len(m.losses.events), len(claims),
            math.fsum(c.value_usd() for c in claims), collected)


class RunCache:
    """The model runs of the session, keyed by (scenario, steps, seed, overrides), each with
    the :func:`state_digest` it had when it was made and its ledger total at step 0.

    A run of ``steps`` months is the longest cached run of the same scenario, seed and
    overrides with fewer months, copied and stepped on (its first months are the same: a run
    does not know how long it will be stepped, and a copy steps on exactly as the original
    would: tests/test_determinism.py checks both); without one it is simulated from month 0.
    Tests that read runs of one scenario at several horizons share a group that runs the
    shortest first (the ``horizon`` marker, :func:`_longest_group_first`)."""

    def __init__(self):
        self.runs: dict = {}
        self.made = 0
        self.extended = 0

    @staticmethod
    def key(scenario, steps, seed, overrides) -> tuple:
        return (str(scenario), steps, seed, tuple(sorted((k, repr(v)) for k, v in overrides.items())))

    def get(self, scenario, steps, seed, overrides):
        if steps is None:            # the scenario's own horizon: the same run as asking for it
            steps = load_scenario(scenario, **overrides).steps
        key = self.key(scenario, steps, seed, overrides)
        if key not in self.runs:
            shorter = self._shorter(key)
            if shorter is None:
                m, money0 = start(scenario, seed, **overrides)
                self.made += 1
            else:
                m, money0 = copy.deepcopy(self.runs[shorter][0]), self.runs[shorter][2]
                self.extended += 1
            advance(m, money0, steps)
            self.runs[key] = (m, state_digest(m), money0)
        return key, self.runs[key][0]

    def _shorter(self, key):
        """The key of the longest cached, unchanged run that ``key``'s run continues, or None."""
        same = [k for k, (m, digest, _) in self.runs.items()
                if k[0] == key[0] and k[2:] == key[2:] and k[1] < key[1] and state_digest(m) == digest]
        return max(same, key=lambda k: k[1], default=None)

    def changed(self, key) -> bool:
        """Whether the run of ``key`` differs from what it was made (it is then dropped, so
        that the next test gets it anew)."""
        m, digest, _ = self.runs.get(key, (None, None, None))
        if m is None or state_digest(m) == digest:
            return False
        del self.runs[key]
        return True


@pytest.fixture(scope="session")
def run_cache():
    """The session's :class:`RunCache` (one per xdist worker)."""
    return RunCache()


@pytest.fixture
def run(run_cache):
    """``run(scenario="baseline", steps=12, seed=0, before_step=None, fresh=False, **overrides)``:
    a model stepped ``steps`` months (``None``: the scenario's own), invariants checked every
    month. Cached for the session unless ``before_step`` or ``fresh`` is given; a cached model
    is shared, so the test must only read it (checked at teardown)."""
    handed = []

    def run_(scenario="baseline", steps=12, seed=0, before_step=None, fresh=False, **overrides):
        if before_step is not None or fresh:
            return simulate(scenario, steps, seed, before_step, **overrides)
        key, m = run_cache.get(scenario, steps, seed, overrides)
        handed.append(key)
        return m

    yield run_
    changed = sorted({key for key in handed if run_cache.changed(key)})
    if changed:
        pytest.fail(f"the test changed the cached run(s) {changed}: use run(..., fresh=True) for a "
                    "model the test steps or shocks", pytrace=False)


@pytest.fixture(scope="session")
def run_cache_dir(tmp_path_factory) -> Path:
    """The session's directory for the sweeps' run cache (``$AICREDIT_RUN_CACHE``,
    ``models/sweep/run_cache.py``), one for every xdist worker and every process they start
    (under xdist the workers' temporary folders share the session's parent folder): a test
    that sets the variable to it reads back a sweep run any earlier test of the session made,
    on either worker. The notebooks' quick runs and the validation table's sign tests use it:
    they repeat the same 36-month runs of ai_winter, baseline and the policies."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "run-cache"


@pytest.fixture(scope="session")
def frame():
    """``frame(m)``: the model's DataCollector frame (one row per month, step 0 included)."""
    return lambda m: m.datacollector.get_model_vars_dataframe()


@pytest.fixture(scope="module")
def baseline0():
    """The calibrated baseline at step 0 (read-only: tests must not step it)."""
    return AIEconomyModel("baseline", seed=0)


@pytest.fixture(scope="session")
def make_gpu_market():
    """``make_gpu_market(**kw)``: a small GPU market for unit tests (24 months, yearly
    generations from month 9); keyword arguments override its parameters."""
    def make(**kw) -> GPUMarket:
        args = dict(steps=24, generation_months=12, first_release_step=9, unit_price_usd=40e3,
                    release_value_drop=0.25, useful_life_months=72, rental_usd_per_hour=2.0,
                    reference_utilisation=0.8, utilisation_elasticity=0.5,
                    operating_cost_usd_per_hour=0.35, discount_rate_per_year=0.12,
                    compute_per_usd=1.0, depth_share=0.5, impact_persistence=0.5)
        args.update(kw)
        return GPUMarket(**args)
    return make


def _write_off_loan_book(m, funds, share: float, step: int) -> None:
    """``funds`` lose ``share`` of their non-AI loans (other and tech loans), each loss booked
    on the fund in ``step``."""
    for f in funds:
        for c in f.claims_held():
            if c.kind in ("other_loan", "tech_loan"):
                loss = share * c.value_usd()
                c.write_down(loss)
                m.losses.record(f, loss, c.issuer, c.kind, step)


@pytest.fixture(scope="session")
def write_off_loan_book():
    """``write_off_loan_book(m, funds, share, step)``: a shock several tests inject, ``funds``
    losing ``share`` of their non-AI loans in ``step``."""
    return _write_off_loan_book


# --------------------------------------------------------------------------------------
# the command line and the sweep tests' models
# --------------------------------------------------------------------------------------
def _run_main(argv, capsys):
    """Run ``main`` in-process; return (exit code, stdout, stderr). argparse reports its own
    errors with ``SystemExit(2)``; that is an exit code too."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="session")
def run_main():
    """``run_main(argv, capsys)``: the ``aicredit`` command run in-process, as
    (exit code, stdout, stderr)."""
    return _run_main


def _assert_usage_error(code, out, err, *names, one_line=True):
    """Exit code 2, no traceback, a single error line naming each of ``names``."""
    assert code == 2, (code, out, err)
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(lines) == 1, err
    for name in names:
        assert str(name) in lines[0], f"{name!r} not in {lines[0]!r}"
    if one_line:
        assert err.strip() == lines[0].strip(), f"stderr is not one line: {err!r}"


@pytest.fixture(scope="session")
def assert_usage_error():
    """``assert_usage_error(code, out, err, *names, one_line=True)``: exit code 2, no
    traceback, a single error line naming each of ``names``."""
    return _assert_usage_error


@pytest.fixture
def custom_models(tmp_path, monkeypatch):
    """The test models of ``tests/sweep_models.py`` registered for sweeps, in this process, its
    spawned workers and any subprocess (sweep command, Dask scheduler and workers) the test
    starts."""
    site = register_models(tmp_path / "site", TEST_MODELS)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(site), str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    return TEST_MODELS
