"""The command ``python -m aicredit.models.validate``: the validation report.

The report lives in the package :mod:`aicredit.models.validation` (the experiment table, the
runs and verdicts, the explanations of findings and the Markdown page; the statistics are
:mod:`aicredit.models.stats`). This module keeps the command's name and re-exports the names
scripts and tests use.
"""
from __future__ import annotations

import sys

from aicredit.models.stats import NOISE, Stats, paired_stats
from aicredit.models.validation.cli import main
from aicredit.models.validation.experiments import (
    EXPERIMENTS,
    KEY_OUTPUTS,
    OUTPUT_BY_KEY,
    OUTPUTS,
    Arm,
    Expect,
    Experiment,
    SignTest,
    arms_of,
    expectation,
)
from aicredit.models.validation.explanations import load_explanations
from aicredit.models.validation.render import headline_table, render
from aicredit.models.validation.run import (
    AS_EXPECTED,
    NA,
    NO_EFFECT,
    NO_PRIOR,
    NOT_DETECTED,
    UNEXPECTED,
    WRONG,
    analyse,
    is_flagged,
    run_experiments,
    verdict,
)

__all__ = ["Arm", "Expect", "Experiment", "SignTest", "EXPERIMENTS", "OUTPUTS", "OUTPUT_BY_KEY",
           "KEY_OUTPUTS", "NOISE", "Stats", "paired_stats", "verdict", "is_flagged", "expectation",
           "arms_of", "run_experiments", "analyse", "render", "headline_table", "load_explanations",
           "main", "AS_EXPECTED", "WRONG", "NOT_DETECTED", "NO_EFFECT", "UNEXPECTED", "NO_PRIOR", "NA"]

if __name__ == "__main__":
    sys.exit(main())
