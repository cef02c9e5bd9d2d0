"""The documentation matches the code: the generated parameter page, and the
``mesa.batch_run`` example of docs/sweeps.md run as written."""
import re
from pathlib import Path

import pandas as pd
import pytest

from aicredit.models.docs import parameters_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_parameter_page_is_current():
    page = (ROOT / "docs" / "parameters.md").read_text()
    assert page == parameters_markdown(), "run: python -m aicredit.models.docs > docs/parameters.md"


def test_every_parameter_has_a_source_and_meaning():
    from aicredit.models.scenario import PARAMETER_TABLE
    for row in PARAMETER_TABLE():
        assert row["doc"], row["name"]
        assert row["source"], row["name"]


def python_block(page: str, containing: str) -> str:
    """The one ```python block of ``page`` (a path from the root) whose code contains ``containing``."""
    blocks = re.findall(r"^```python\n(.*?)^```", (ROOT / page).read_text(), re.M | re.S)
    found = [b for b in blocks if containing in b]
    assert len(found) == 1, f"{len(found)} python blocks of {page} contain {containing!r}"
    return found[0]


@pytest.mark.slow
def test_batch_run_example_returns_one_row_per_run_and_month():
    """Run as written, the example gives one row per (run, step), Step 0..72 for every run,
    no per-agent rows, and its last row is the state at the end of the 72 months (what the
    page says it is: the same as a plain 72-month run's last collected row)."""
    from aicredit.models import AIEconomyModel

    namespace = {}
    exec(compile(python_block("docs/sweeps.md", "mesa.batch_run"), "docs/sweeps.md", "exec"), namespace)
    df = pd.DataFrame(namespace["rows"])
    assert "AgentID" not in df.columns                       # model-level rows only
    assert not df.duplicated(["RunId", "Step"]).any()        # one row per run and step
    assert df["RunId"].nunique() == 4                        # 2 seeds x 2 LTVs, as the text says
    for _, run in df.groupby("RunId"):
        assert list(run["Step"]) == list(range(73))          # Step 0 to 72: 73 rows per run
        assert list(run["step"]) == list(run["Step"])        # the model's own month counter
    last = df[(df["seed"] == 0) & (df["gpu_loan_max_ltv"] == 0.5)].iloc[-1]
    model = AIEconomyModel("ai_winter", seed=0, gpu_loan_max_ltv=0.5, collect_agents=False)
    while model.running:                                      # the scenario's 72 months
        model.step()
    final = model.datacollector.get_model_vars_dataframe().iloc[-1]
    assert model.steps == 72 and last["Step"] == 72
    for col in ("ai_index", "gpu_price_index", "defaults_total", "losses_total_usd"):
        assert last[col] == final[col], col


def _contributing_section(start: str, end: str) -> str:
    text = (ROOT / "CONTRIBUTING.md").read_text()
    return text[text.index(start):text.index(end)]


def test_contributing_layout_names_every_engine_module():
    """CONTRIBUTING's layout names every module of the engine (abm/, its markets and agents),
    so that a reader finds each from the folder names alone (issue 17)."""
    layout = _contributing_section("## Where things live", "### Where is the rule for X")
    missing = [path.relative_to(ROOT).as_posix() for path in sorted((ROOT / "abm").rglob("*.py"))
               if not path.name.startswith("_")
               and not re.search(rf"(?<![\w.]){re.escape(path.stem)}\b", layout)]
    assert not missing, f"not in CONTRIBUTING.md's layout: {missing}"


def test_contributing_maps_every_section_of_the_model_description():
    """Every numbered section of docs/model.md with rules (3, 5, 7.x) has a row in
    CONTRIBUTING's "where is the rule for X" table, and every module the table names exists."""
    table = _contributing_section("### Where is the rule for X", "## Extending the model")
    rows = [ln.split("|")[1:4] for ln in table.splitlines() if ln.startswith("| ") and "---" not in ln]
    sections = {part.strip() for cell, _, _ in rows for part in cell.split(",")}
    model = (ROOT / "docs" / "model.md").read_text()
    wanted = set(re.findall(r"^### (7\.\d+a?) ", model, re.M)) | {"3", "5"}
    assert wanted <= sections, f"sections without a row: {sorted(wanted - sections)}"
    named = {m for _, _, cell in rows for m in re.findall(r"`((?:abm|models)/[\w/<>.]+?)`", cell)}
    assert named, "the table names no module"
    absent = sorted(m for m in named if "<" not in m and not (ROOT / m).exists())
    assert not absent, f"CONTRIBUTING's map names modules that do not exist: {absent}"


def test_readme_is_the_first_page_not_the_manual():
    """The README stays short (about 150 lines): what the model is, the two commands (install
    and run the baseline; the test suite), what a run tells you and where to go next; the
    manual's parts live under docs/ and the README links them."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 170, "the README grew past a first page: move detail to docs/"
    first_block = re.search(r"^```sh\n(.*?)^```", readme, re.M | re.S).group(1).splitlines()
    assert first_block == ["pip install -e . && aicredit run --scenario baseline --out results/baseline",
                           "sh scripts/test.sh"]
    for page in ("docs/outputs.md", "docs/overview.md", "docs/model.md", "docs/troubleshooting.md",
                 "docs/benchmarks.md", "docs/api.md", "CONTRIBUTING.md"):
        assert f"]({page}" in readme, f"the README does not link {page}"
    assert "import aicredit\n" in python_block("README.md", "aicredit.run(")
