"""The scenario's dated deals (``[[deals]]``, :class:`models.scenario.Deal`) executed by the
engine (:mod:`abm.deals`): where a deal is dated its issuance happens, and a deal that names
no institution is refused in one line naming its key."""
from __future__ import annotations

import pytest

from aicredit.abm.units import BN
from aicredit.models.model import AIEconomyModel
from aicredit.models.scenario import DEALS_2025, ScenarioError, load_scenario

IPO = dict(step=2, issuer="CoreWeave", investor="outside_investors", amount_bn=1.5, kind="ipo")


def ipo_claims(model):
    cw = model.institution("CoreWeave")
    return [c for c in model.claims.issued(cw, "equity") if c.holder.name == "outside_investors"
            and c.cost_usd == pytest.approx(1.5 * BN)]


def test_baseline_file_lists_the_calibrated_deals():
    """baseline.toml writes the deals out; they are the defaults every other scenario gets."""
    assert load_scenario("baseline").deals == DEALS_2025
    assert load_scenario("ai_winter").deals == DEALS_2025


@pytest.mark.parametrize("step", [2, 4])
def test_a_deal_moved_to_another_step_moves_the_issuance(step, run):
    deals = [dict(IPO, step=step)]
    before = run(steps=step - 1, deals=deals)
    assert ipo_claims(before) == []
    after = run(steps=step, deals=deals)
    assert len(ipo_claims(after)) == 1


def test_without_the_deal_there_is_no_issuance(run):
    assert ipo_claims(run(steps=3, deals=[])) == []


def test_a_deal_conditioned_on_a_channel_waits_for_the_switch(run):
    """The Anthropic round (C8): Nvidia holds Anthropic equity after step 10 only with C8 on."""
    def nvidia_stake(model):
        anthropic = model.institution("Anthropic")
        return sum(c.cost_usd for c in model.claims.issued(anthropic, "equity")
                   if c.holder.name == "Nvidia")
    round_ = [dict(step=1, issuer="Anthropic", investor="Nvidia", amount_bn=10.0,
                   kind="vendor_financing", channel="c8_circular_financing")]
    assert nvidia_stake(run(steps=1, deals=round_)) == pytest.approx(10 * BN)
    assert nvidia_stake(run(steps=1, deals=round_, c8_circular_financing=False)) == 0.0


@pytest.mark.parametrize("key, name", [("issuer", "CoreWeav"), ("investor", "Nvdia")])
def test_a_deal_naming_no_institution_is_refused_in_one_line(key, name):
    with pytest.raises(ScenarioError) as exc:
        AIEconomyModel("baseline", seed=0, collect_agents=False, deals=[dict(IPO, **{key: name})])
    msg = str(exc.value)
    assert f"deals[0].{key}" in msg and repr(name) in msg and "\n" not in msg


def test_a_malformed_deal_in_a_file_names_the_file_and_the_key(tmp_path):
    path = tmp_path / "deal.toml"
    path.write_text('[[deals]]\nstep = 2\nissuer = "CoreWeave"\ninvestor = "outside_investors"\n'
                    'amount_bn = "lots"\nkind = "ipo"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    msg = str(exc.value)
    assert str(path) in msg and "deals[0].amount_bn" in msg and "'lots'" in msg and "\n" not in msg


def _string_constants(path):
    """String literals of a module's code, docstrings left out (they may name the facts)."""
    import ast
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings}


def test_the_engine_names_no_firm(run):
    """Which firms deal, and which sells the GPUs, is scenario and calibration data: no string
    in the engine's code (abm/) is the name of a firm of the calibrated economy."""
    from pathlib import Path

    import aicredit.abm
    model = run(steps=0)
    firms = {a.name for a in model.institutions}
    assert {"CoreWeave", "Nvidia", "Anthropic", "Microsoft"} <= firms
    named = {str(path): firms & _string_constants(path)
             for path in Path(aicredit.abm.__file__).parent.rglob("*.py")}
    assert {k: v for k, v in named.items() if v} == {}


def test_aicredit_params_lists_the_deals_in_a_form_set_reads_back():
    """``aicredit params``: the table lists each deal under it; the CSV value, pasted into
    ``--set deals=...``, gives the same deals back."""
    import csv
    import io

    from aicredit.models.cli import parse_set
    from aicredit.models.params import parameter_rows, render
    rows = [r for r in parameter_rows() if r["parameter"] == "deals"]
    table = render(rows)
    assert "3 deals, listed below" in table and all(str(d) in table for d in DEALS_2025)
    value = list(csv.reader(io.StringIO(render(rows, "csv"))))[1][1]
    assert load_scenario("baseline", **parse_set([f"deals={value}"])).deals == DEALS_2025
    changed = parameter_rows("baseline", {"deals": []})
    assert [r["parameter"] for r in changed if r["changed"]] == ["deals"]
    assert not any(r["changed"] for r in parameter_rows("baseline"))
