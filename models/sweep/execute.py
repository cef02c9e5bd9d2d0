"""Executors (this process, local processes, a given executor, a Dask cluster) and the sweep
loop that feeds them, records every finished run and survives interruptions."""
from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from aicredit.models.sweep.common import MAX_ATTEMPTS, SweepAborted, SweepError, SweepSpec
from aicredit.models.sweep.dataset import Dataset, load_sweep
from aicredit.models.sweep.runs import build_runs, failed_row, run_one
from aicredit.models.sweep.spec import load_spec, spec_from_dict

__all__ = ["run_sweep", "worker_init"]


def _watch_parent(ppid: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != ppid:            # the sweep process died (e.g. SIGKILL): stop too
            os._exit(0)


def worker_init(ppid: int) -> None:
    """Local worker processes ignore Ctrl-C (the sweep handles it) and die with the sweep."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(ppid,), daemon=True).start()


class _signals_deferred:
    """Hold SIGINT and SIGTERM for the duration, then act on one that came (main thread only).

    Blocking the signals in this thread (``pthread_sigmask``) is not enough: the OS may deliver
    a process signal to any thread (the progress bar's, the pool's), and Python then runs the
    handler in the main thread at once, in the middle of the section. So the handlers are
    swapped for one that notes the signal; on exit the old handlers are restored and a noted
    signal is raised again, to be handled as it would have been (``KeyboardInterrupt``).
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self):
        self.old: dict = {}
        self.caught: int | None = None
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self.old[sig] = signal.signal(sig, self._note)
        return self

    def _note(self, signum, frame):
        self.caught = signum

    def __exit__(self, *exc):
        for sig, handler in self.old.items():
            signal.signal(sig, handler)
        if self.caught is not None:
            signal.raise_signal(self.caught)


class _InProcess:
    """``workers=1``: runs in the calling process, one after the other."""

    slots = 1

    def submit(self, fn, arg):
        fut = cf.Future()
        try:
            fut.set_result(fn(arg))
        except BaseException as exc:       # noqa: BLE001 - KeyboardInterrupt re-raised below
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut

    def shutdown(self):
        pass


class _Processes:
    """Local processes (spawn context): restarted when a worker dies."""

    def __init__(self, workers: int):
        self.workers = workers
        self.slots = workers * 2
        self._new()

    def _new(self):
        import multiprocessing
        self.pool = cf.ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=worker_init, initargs=(os.getpid(),))

    def submit(self, fn, arg):
        return self.pool.submit(fn, arg)

    def restart(self):
        self.shutdown()
        self._new()

    def shutdown(self):
        procs = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:                      # do not wait for runs nobody will record
            try:
                p.terminate()
            except Exception:  # noqa: BLE001
                pass
        for p in procs:
            try:
                p.join(5)
            except Exception:  # noqa: BLE001
                pass


class _Given:
    """An executor the caller made and owns (any ``concurrent.futures.Executor``)."""

    def __init__(self, executor, workers):
        self.executor = executor
        n = workers or getattr(executor, "_max_workers", None) or _default_workers()
        self.slots = 2 * n

    def submit(self, fn, arg):
        return self.executor.submit(fn, arg)

    def restart(self):
        raise SweepAborted("a worker process of the given executor died and it cannot be "
                           "restarted")

    def shutdown(self):
        pass


#: Seconds a sweep tries to connect to a Dask scheduler given by its address.
CONNECT_S = 10
#: Seconds the sweep's client tries to reconnect to a scheduler it lost (killed, or the
#: network) before the sweep stops with exit code 1, its finished runs kept. Dask cancels
#: every run in flight when the connection drops, so waiting longer saves no finished work
#: (the sweep resumes from its directory).
RECONNECT_S = 3


def _connect(address: str):
    """A ``distributed.Client`` of the scheduler at ``address``, tried for :data:`CONNECT_S`
    seconds; the client's own timeout, which is also how long it tries to reconnect after
    losing the scheduler, is :data:`RECONNECT_S`."""
    from distributed import Client
    deadline = time.monotonic() + CONNECT_S
    while True:
        try:
            return Client(address, timeout=f"{RECONNECT_S}s")
        except (OSError, TimeoutError):
            if time.monotonic() + RECONNECT_S > deadline:
                raise


class _Dask:
    """An existing Dask cluster (a scheduler address or a ``distributed.Client``)."""

    def __init__(self, scheduler):
        try:
            from distributed import Client
        except ImportError:
            raise SweepError("--scheduler needs dask.distributed: pip install 'aicredit[sweep]'") \
                from None
        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        else:
            try:
                self.client = _connect(scheduler)
            except (OSError, TimeoutError, ValueError) as exc:
                raise SweepError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
            self._own = True
        self.executor = self.client.get_executor(pure=False)
        threads = sum(self.client.nthreads().values()) or 1
        self.slots = max(2, 2 * threads)

    def submit(self, fn, arg):
        return self.executor.submit(fn, arg)

    def alive(self) -> bool:
        return self.client.status in ("running", "connecting")

    def shutdown(self):
        try:
            self.executor.shutdown(wait=False)
        except Exception:  # noqa: BLE001
            pass
        if self._own:
            try:
                self.client.close(timeout=5)
            except Exception:  # noqa: BLE001
                pass


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run_sweep(spec_or_path, out: str | Path | None = None, workers: int | None = None,
              scheduler=None, progress: bool = True, flush_every: float = 2.0,
              retry_failed: bool = False, report: dict | None = None, allow_large: bool = False):
    """Run a sweep (a grid, a sample or a Monte Carlo over seeds) and return its results.

    Parameters
    ----------
    spec_or_path : str, path, dict or SweepSpec
        A sweep TOML file, a dict of the same keys (:func:`spec_from_dict`) or a
        :class:`SweepSpec` (``docs/sweeps.md``).
    out : str or path, optional
        The results directory (Parquet parts; resumable: runs already there are skipped).
        Without it the results go to a temporary directory that is removed afterwards.
    workers : int, optional
        Local processes (default all cores; 1 runs in this process).
    scheduler : str, distributed.Client or concurrent.futures.Executor, optional
        A Dask scheduler address ``tcp://HOST:PORT``, a ``distributed.Client`` or an executor
        the caller owns (e.g. a warm process pool); overrides ``workers``.
    progress : bool, default True
        Show a progress bar.
    flush_every : float, default 2.0
        Seconds between part files.
    retry_failed : bool, default False
        Run again the runs of ``out`` recorded with an error (e.g. ``WorkerLost`` after
        running out of memory), replacing their rows.
    report : dict, optional
        Filled with the counts of runs (``total``, ``skipped``, ``new``, ``failed``,
        ``retried``, ``failed_total``) as the sweep goes.
    allow_large : bool, default False
        Run more than :data:`models.sweep.runs.MAX_RUNS` runs or economies larger than the
        memory available (refused otherwise, before anything runs).

    Returns
    -------
    pandas.DataFrame
        One row per run (:func:`load_sweep` of ``out``); a failed run has its ``error``.

    Raises
    ------
    SweepError
        A bad sweep file or argument, in one line naming it. Ctrl-C writes the finished runs
        and raises ``KeyboardInterrupt``.
    """
    spec = _as_spec(spec_or_path)
    if out is None:
        import tempfile
        with tempfile.TemporaryDirectory(prefix="aicredit-sweep-") as tmp:
            return run_sweep(spec, tmp, workers, scheduler, progress, flush_every,
                             retry_failed, report, allow_large)
    if workers is not None and workers < 1:
        raise SweepError(f"workers must be >= 1, got {workers}")
    runs = build_runs(spec, allow_large)
    ds = Dataset(Path(out), spec)
    done_ids = ds.open()
    try:
        retried = ds.drop_failed() if retry_failed else 0
        if retried:
            done_ids = ds.finished_ids()
        todo = [r for r in runs if r["run_id"] not in done_ids]
        report = report if report is not None else {}
        report.update(total=len(runs), skipped=len(runs) - len(todo), new=0, failed=0,
                      retried=retried)
        ds.write_manifest(runs_total=len(runs), state="running")
        if todo:
            _execute(spec, ds, todo, len(runs) - len(todo), len(runs), workers, scheduler,
                     progress, flush_every, report)
        ds.write_manifest(runs_total=len(runs), state="complete")
    finally:
        ds.close()
    df = load_sweep(out)
    report["failed_total"] = int((df["error"] != "").sum())
    return df


def _as_spec(spec_or_path) -> SweepSpec:
    if isinstance(spec_or_path, SweepSpec):
        return spec_or_path
    if isinstance(spec_or_path, dict):
        return spec_from_dict(spec_or_path)
    return load_spec(spec_or_path)


def _execute(spec, ds, todo, already, total, workers, scheduler, progress, flush_every, report):
    from tqdm import tqdm

    if isinstance(scheduler, cf.Executor):
        ex = _Given(scheduler, workers)
    elif scheduler is not None:
        ex = _Dask(scheduler)
    elif (workers or _default_workers()) == 1:
        ex = _InProcess()
    else:
        ex = _Processes(min(workers or _default_workers(), len(todo)))
    bar = tqdm(total=total, initial=already, unit="run", disable=not progress, file=sys.stderr,
               desc=f"sweep {spec.name}", dynamic_ncols=True, smoothing=0.1)
    bar.set_postfix(failed=0)
    pending = deque(todo)
    suspects: deque = deque()            # runs in flight when a worker process died
    attempts: dict[str, int] = {}
    inflight: dict = {}
    rows: list[dict] = []
    last_flush = time.monotonic()
    lost_since = None

    def flush():
        # Ctrl-C/SIGTERM wait until the part file is in place and the buffer is cleared, so a
        # run is never written twice (nor lost)
        nonlocal rows, last_flush
        with _signals_deferred():
            batch = [r for r in rows if r["run_id"] not in ds.written]
            if batch:
                ds.write_part(batch)
            rows = []
        last_flush = time.monotonic()

    def record(row):
        rows.append(row)
        report["new"] += 1
        if row["error"]:
            report["failed"] += 1
            bar.set_postfix(failed=report["failed"], refresh=False)
        bar.update(1)

    try:
        while pending or suspects or inflight:
            # suspects run one at a time, so a run that kills its worker is found out
            while suspects and not inflight:
                run = suspects.popleft()
                inflight[ex.submit(run_one, run)] = run
            while pending and not suspects and len(inflight) < ex.slots:
                run = pending.popleft()
                inflight[ex.submit(run_one, run)] = run
            done, _ = cf.wait(list(inflight), timeout=0.5, return_when=cf.FIRST_COMPLETED)
            broken = False
            for fut in done:
                run = inflight.pop(fut)
                try:
                    record(fut.result())
                except BrokenProcessPool:
                    broken = True
                    attempts[run["run_id"]] = attempts.get(run["run_id"], 0) + 1
                    alone = len(done) == 1 and not inflight
                    if alone and attempts[run["run_id"]] >= MAX_ATTEMPTS:
                        record(failed_row(run, "WorkerLost: the worker process running this "
                                                "run died (killed or crashed)"))
                    else:
                        suspects.append(run)
                except cf.CancelledError:
                    if isinstance(ex, _Dask) and not ex.alive():
                        raise SweepAborted("lost the Dask scheduler") from None
                    pending.appendleft(run)
                except Exception as exc:  # noqa: BLE001 - e.g. dask KilledWorker
                    if isinstance(ex, _Dask) and not ex.alive():
                        raise SweepAborted(f"lost the Dask scheduler ({exc})") from None
                    name = type(exc).__name__
                    record(failed_row(run, f"{'WorkerLost' if 'Killed' in name else name}: "
                                            f"{exc}"))
            if broken:
                suspects.extend(inflight.values())
                inflight.clear()
                ex.restart()
            if isinstance(ex, _Dask):
                if ex.alive():
                    lost_since = None
                elif lost_since is None:
                    lost_since = time.monotonic()
                elif time.monotonic() - lost_since > 30:
                    raise SweepAborted("lost the Dask scheduler")
            if time.monotonic() - last_flush >= flush_every:
                flush()
        flush()
    except BaseException:
        try:
            flush()                          # finished runs are never lost
        finally:
            bar.close()
            ex.shutdown()
        raise
    bar.close()
    ex.shutdown()
