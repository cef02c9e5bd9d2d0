"""Size guard: the memory an economy needs, estimated from its size parameters before anything
is built, and one refusal when the machine cannot hold it.

Every count of the scenario may be large (``n_saver_cohorts`` up to 10 million,
``gpu_loans_per_neocloud`` x ``n_small_neoclouds`` up to 10^10 loans), and an economy that
does not fit used to fail with a ``MemoryError`` (or the kernel's OOM killer) minutes into
building it. :class:`models.AIEconomyModel` calls :func:`check_economy_size` first, so
``aicredit run``, every run of a sweep and the browser share one guard; ``allow_large=True``
(``--allow-large`` on the command line) builds it anyway.

The estimate is the sum of the parts that grow with the size parameters, at per-object costs
measured as the peak resident memory (``ru_maxrss``) of building and running economies of
several sizes (Python 3.11, numpy 1.26, Linux x86-64), rounded up:

=====================================  ========  =============================================
part                                   bytes     measured
=====================================  ========  =============================================
a 401(k) saver cohort                  2,000     1.6 kB built, ~0.4 kB of monthly temporaries
an institution (fund, bank, insurer,   8,000     3-7 kB each
SPV, neocloud)
a claim between two institutions       500       250 B (an insurer's fund interest) to
(insurer x fund, bank credit lines)              400 B (a credit line)
a GPU-backed loan                      200       11 numbers (90 B) in the book's columns,
                                                 twice that while the book grows
a row of per-agent data, per month     200       ~190 B (``collect_agents=True``)
=====================================  ========  =============================================

Checked against the shipped ``synthetic`` economy (100,000 cohorts, ~2,000 institutions,
1,000,000 GPU loans, 24 months): estimated 0.47 GB without per-agent data (measured 0.48 GB)
and 0.98 GB with it (measured 0.97 GB). The fixed part (interpreter, libraries, the
baseline economy: ~150 MB) is already in use when the check runs, so it is not counted.

The memory available is the least of the system's available memory (``MemAvailable`` in
``/proc/meminfo``, else ``os.sysconf``), the room left under a cgroup v2 memory limit and
the room left under an address-space limit (``ulimit -v``). Where none can be read the
guard lets every economy through.
"""
from __future__ import annotations

import os
from pathlib import Path

from aicredit.models.scenario import Scenario, ScenarioError

__all__ = ["EconomyTooLarge", "estimate_economy_bytes", "available_memory_bytes",
           "check_economy_size", "SIZE_PARAMETERS", "BYTES"]

#: Per-object costs in bytes (module docstring).
BYTES = {"saver_cohort": 2_000, "institution": 8_000, "pair_claim": 500, "gpu_loan": 200,
         "agent_row": 200}
#: The scenario parameters that set the economy's size (what a refusal may point at).
SIZE_PARAMETERS = ("n_saver_cohorts", "gpu_loans_per_neocloud", "n_small_neoclouds",
                   "n_pc_funds", "n_banks", "n_insurers", "n_other_spvs",
                   "pc_line_banks_per_fund", "gpu_loan_lenders_per_loan", "steps")
#: Institutions every economy has besides the counted ones (chipmaker, 5 hyperscalers,
#: 4 labs, CoreWeave, Meta's SPV) plus a margin for the SPVs opened during a run.
_FIXED_INSTITUTIONS = 20


class EconomyTooLarge(ScenarioError):
    """The economy's estimated memory exceeds what the machine has (exit code 2)."""


def estimate_economy_bytes(p: Scenario, collect_agents: bool = True) -> dict[str, tuple[int, str]]:
    """The memory the economy of ``p`` needs, by part: ``{part: (bytes, what sets it)}``.

    GPU loans count the opening book, ``(1 + n_small_neoclouds) * gpu_loans_per_neocloud``,
    plus at most one new loan per lender (``min(gpu_loan_lenders_per_loan, n_pc_funds)``)
    per neocloud and month. Per-agent data is one row per agent and month (``steps + 1``
    collections) when ``collect_agents``.
    """
    neoclouds = 1 + p.n_small_neoclouds
    institutions = (_FIXED_INSTITUTIONS + p.n_small_neoclouds + p.n_pc_funds + p.n_banks
                    + p.n_insurers + p.n_other_spvs)
    pairs = p.n_insurers * p.n_pc_funds + p.n_pc_funds * min(p.pc_line_banks_per_fund, p.n_banks)
    loans = neoclouds * (p.gpu_loans_per_neocloud
                         + min(p.gpu_loan_lenders_per_loan, p.n_pc_funds) * p.steps)
    parts = {
        "saver cohorts": (p.n_saver_cohorts * BYTES["saver_cohort"],
                          f"n_saver_cohorts = {p.n_saver_cohorts:,}"),
        "GPU loans": (loans * BYTES["gpu_loan"],
                      f"{loans:,} loans: gpu_loans_per_neocloud = {p.gpu_loans_per_neocloud:,} x "
                      f"{neoclouds:,} neoclouds (n_small_neoclouds + 1), and new loans"),
        "institutions": (institutions * BYTES["institution"], f"{institutions:,} institutions"),
        "claims between institutions": (
            pairs * BYTES["pair_claim"],
            f"n_insurers x n_pc_funds and n_pc_funds x pc_line_banks_per_fund: {pairs:,}"),
    }
    if collect_agents:
        rows = (p.n_saver_cohorts + institutions) * (p.steps + 1)
        parts["per-agent data"] = (rows * BYTES["agent_row"],
                                   f"{rows:,} rows: agents x (steps + 1)")
    return parts


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_room() -> int | None:
    """Room left under this process's cgroup memory limit, v2 or v1 (None: no limit known)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    root = Path("/sys/fs/cgroup")
    candidates = []
    for line in lines:
        _, controllers, rel = (line.split(":", 2) + ["", ""])[:3]
        rel = rel.strip().lstrip("/")
        if controllers == "":                                       # v2: 0::/path
            candidates.append((root / rel / "memory.max", root / rel / "memory.current"))
        elif "memory" in controllers.split(","):                    # v1: N:memory:/path
            for base in (root / "memory" / rel, root / "memory"):
                candidates.append((base / "memory.limit_in_bytes", base / "memory.usage_in_bytes"))
    for limit_file, usage_file in candidates:
        try:
            limit = limit_file.read_text().strip()
            usage = int(usage_file.read_text())
        except (OSError, ValueError):
            continue
        if limit == "max" or int(limit) >= 1 << 60:                 # no limit
            return None
        return int(limit) - usage
    return None


def _address_space_room() -> int | None:
    """Room left under an address-space limit (``ulimit -v``); None when unlimited."""
    try:
        import resource
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:
            return None
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return soft - int(line.split()[1]) * 1024
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return None


def available_memory_bytes() -> int | None:
    """The memory this process can still use (module docstring), or None when unknown."""
    known = [v for v in (_meminfo_available(), _cgroup_room(), _address_space_room())
             if v is not None]
    return max(0, min(known)) if known else None


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def check_economy_size(p: Scenario, collect_agents: bool = True, allow_large: bool = False,
                       available: int | None = None) -> int:
    """Refuse (:class:`EconomyTooLarge`, one line) an economy whose estimated memory exceeds
    the memory available, naming the estimate, its largest parts and the override; returns the
    estimate in bytes. ``available`` replaces the machine's reading (tests)."""
    parts = estimate_economy_bytes(p, collect_agents)
    total = sum(b for b, _ in parts.values())
    if allow_large:
        return total
    room = available_memory_bytes() if available is None else available
    if room is None or total <= room:
        return total
    largest = [kv for kv in sorted(parts.items(), key=lambda kv: -kv[1][0])[:2]
               if kv[1][0] >= total / 10]                   # the parts that matter
    detail = "; ".join(f"{name} {_gb(b)} ({why})" for name, (b, why) in largest)
    agents = (", or leave out per-agent data (--no-agent-data, Python: collect_agents=False)"
              if collect_agents and "per-agent data" in dict(largest) else "")
    raise EconomyTooLarge(
        f"the economy would need about {_gb(total)} of memory ({detail}), more than the "
        f"{_gb(room)} available; lower its sizes{agents}, or pass --allow-large (Python: "
        f"allow_large=True) to build it anyway")
