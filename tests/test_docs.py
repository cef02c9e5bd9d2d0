"""The parameter page is generated from the code and must match it."""
from pathlib import Path

from models.docs import parameters_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_parameter_page_is_current():
    page = (ROOT / "docs" / "parameters.md").read_text()
    assert page == parameters_markdown(), "run: python -m models.docs > docs/parameters.md"


def test_every_parameter_has_a_source_and_meaning():
    from models.scenario import PARAMETER_TABLE
    for row in PARAMETER_TABLE():
        assert row["doc"], row["name"]
        assert row["source"], row["name"]
