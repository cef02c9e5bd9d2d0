"""The validation report: does every channel, policy lever and core mechanism move the outputs
the way economics says it should?

``python -m aicredit.models.validate --seeds 32 [--workers N] [--out docs/validation.md]`` runs
every experiment (two arms, A and B, the same seeds in both), computes for each output the
paired-seed mean difference B - A with its 95% confidence interval and compares its sign with
the expected one, and writes ``docs/validation.md``. Nothing here holds today's numbers: every
figure of the page is computed by the run.

Modules, each importing only those above it:

- :mod:`.experiments`: the experiment table (data): arms, outputs, expected signs with their
  mechanism and source, and the sign tests the test suite runs from it.
- :mod:`aicredit.models.stats` (outside this package, shared with ``compare``, the notebooks
  and the tests): the paired statistics and the rule for "no effect".
- :mod:`.run`: running the arms through the sweep machinery and the verdicts.
- :mod:`.explanations`: the explanations of findings, read from ``explanations.md`` (each
  stamped with the model version it was checked on).
- :mod:`.render`: the Markdown page.
- :mod:`.cli`: the command (``python -m aicredit.models.validate``, kept in
  ``models/validate.py``).
"""
from aicredit.models.stats import Stats, paired_stats
from aicredit.models.validation.experiments import (
    EXPERIMENTS,
    KEY_OUTPUTS,
    OUTPUTS,
    Arm,
    Expect,
    Experiment,
    Output,
    SignTest,
    arms_of,
    expectation,
)
from aicredit.models.validation.explanations import Explanation, load_explanations
from aicredit.models.validation.run import analyse, is_flagged, run_experiments, verdict

__all__ = ["EXPERIMENTS", "KEY_OUTPUTS", "OUTPUTS", "Arm", "Expect", "Experiment", "Output", "SignTest",
           "arms_of", "expectation", "Explanation", "load_explanations", "analyse",
           "is_flagged", "run_experiments", "verdict", "Stats", "paired_stats"]
