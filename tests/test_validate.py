"""The validation report (models/validation/): its verdicts on constructed data, the
completeness of its experiment table, and a short end-to-end run."""
from __future__ import annotations

import math

import numpy as np
import pytest

from aicredit.models import validate as v
from aicredit.models.scenario import CHANNELS, load_scenario, scenario_names


def test_verdicts_follow_the_stats_rule():
    """The verdicts read :attr:`Stats.effect` (tests/test_stats.py tests the rule itself)."""
    rng = np.random.default_rng(1)
    a = rng.normal(10.0, 1.0, 200)
    s = v.paired_stats(a, a + 2.5 + rng.normal(0.0, 0.5, 200))
    assert v.verdict(s, "+") == v.AS_EXPECTED
    assert v.verdict(s, "-") == v.WRONG
    assert v.verdict(s, "?") == v.NO_PRIOR
    assert v.verdict(s, "0") == v.UNEXPECTED
    neg = v.paired_stats([5.0, 6.0, math.nan, 7.0, 8.0], [3.0, 4.1, 1.0, 4.9, 6.0])
    assert v.verdict(neg, "-") == v.AS_EXPECTED and v.verdict(neg, "+") == v.WRONG
    assert v.verdict(v.paired_stats([1.0], [2.0]), "+") == v.NA


def test_zero_difference_is_no_effect():
    a = np.array([1.0, 2.0, 3.0])
    assert v.verdict(v.paired_stats(a, a.copy()), "+") == v.NO_EFFECT
    assert v.verdict(v.paired_stats(a, a * (1 + 1e-13)), "+") == v.NO_EFFECT   # float noise
    assert v.is_flagged(v.NO_EFFECT, "+") and v.is_flagged(v.NO_EFFECT, "-")
    assert not v.is_flagged(v.NO_EFFECT, "?") and not v.is_flagged(v.NO_EFFECT, "0")


def test_interval_including_zero_is_not_detected():
    s = v.paired_stats([0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 0.5, -0.4])
    assert v.verdict(s, "+") == v.NOT_DETECTED
    assert not v.is_flagged(v.NOT_DETECTED, "+")
    const = v.paired_stats([1.0, 2.0, 3.0], [1.5, 2.5, 3.5])        # zero variance: an effect
    assert v.verdict(const, "+") == v.AS_EXPECTED


def test_a_sign_that_holds_by_construction_is_labelled_and_not_counted():
    from aicredit.models.validation.experiments import Expect
    from aicredit.models.validation.render import tally
    from aicredit.models.validation.run import BY_CONSTRUCTION, judge
    s = v.paired_stats([0.0, 0.0, 0.0], [1.0, 2.0, 1.5])
    built = Expect("+", "without SPVs no SPV can default.", by_construction=True)
    assert judge(s, built) == BY_CONSTRUCTION
    assert judge(s, Expect("+", "a mechanism.")) == v.AS_EXPECTED
    assert judge(s, Expect("-", "wrong.", by_construction=True)) == v.WRONG    # a bug stays a bug
    rows = [dict(expected="+", verdict=BY_CONSTRUCTION, by_construction=True),
            dict(expected="+", verdict=v.AS_EXPECTED, by_construction=False)]
    assert tally(rows).startswith("Of 1 predicted signs (besides 1 that hold by construction): 1 as")
    marked = [(e.name, k) for e in v.EXPERIMENTS for k, x in e.expect.items() if x.by_construction]
    assert ("c9_spvs", "defaults_by_sector.spv") in marked


def test_lowest_ratios_are_taken_from_the_shock_on(run):
    """A ratio's minimum over the stress window leaves out step 0 and the months before the
    shock: in ai_winter it is the minimum of the months from ``demand_shock_step`` on."""
    from aicredit.models.sweep.outputs import extract_outputs, shock_window_start
    m = run("ai_winter", steps=24, seed=0)
    assert shock_window_start(m) == m.p.demand_shock_step == 18
    col = m.datacollector.get_model_vars_dataframe()["bank_capital_ratio_min"].to_numpy()
    out = extract_outputs(m, ["bank_capital_ratio_min:min_after_shock", "bank_capital_ratio_min:min"])
    assert out["bank_capital_ratio_min:min_after_shock"] == col[18:].min()
    assert out["bank_capital_ratio_min:min"] == col.min()
    assert shock_window_start(run("baseline", steps=24, seed=0)) == 1


def test_every_channel_switch_is_an_experiment():
    switches = list(CHANNELS)
    assert len(switches) >= 11
    by_name = {e.name: e for e in v.EXPERIMENTS}
    for sw in switches:
        e = by_name.get(sw)
        assert e is not None, f"no validation experiment for the channel switch {sw}"
        assert dict(e.a.overrides) == {sw: False} and not e.b.overrides
        assert e.a.scenario == e.b.scenario == "ai_winter"
        assert e.title.startswith(CHANNELS[sw].code + " ")


def test_every_policy_scenario_is_an_experiment():
    policies = [n for n in scenario_names() if load_scenario_base(n) == "ai_winter"]
    assert len(policies) >= 5
    bs = {e.b.scenario for e in v.EXPERIMENTS if e.group == "policy"}
    for name in policies:
        assert name in bs, f"no validation experiment for the policy scenario {name}"


def load_scenario_base(name: str) -> str | None:
    from aicredit.models.scenario import read_toml, scenario_dir
    return read_toml(scenario_dir() / f"{name}.toml").get("base")


def test_every_expected_sign_has_a_mechanism():
    names = [e.name for e in v.EXPERIMENTS]
    assert len(names) == len(set(names))
    keys = {o.key for o in v.OUTPUTS}
    for e in v.EXPERIMENTS:
        assert e.mechanism.strip() and e.source.strip(), e.name
        for k in v.KEY_OUTPUTS:
            assert k in e.expect, f"{e.name}: no expected sign for {k}"
        for k, ex in e.expect.items():
            assert k in keys, f"{e.name}: {k} is not an output"
            assert ex.sign in ("+", "-", "0", "?")
            assert len(ex.why.split()) >= 4, f"{e.name}/{k}: no mechanism text"
            if ex.sign in ("+", "-"):
                assert ex.source or "[" in ex.why, f"{e.name}/{k}: no source"
        # both arms are valid scenarios
        for arm in (e.a, e.b):
            load_scenario(arm.scenario, **dict(arm.overrides))
    groups = {e.group for e in v.EXPERIMENTS}
    assert groups == {"headline", "channel", "policy", "mechanism"}


def test_outputs_are_valid_sweep_outputs():
    from aicredit.models.sweep import SweepSpec, validate_outputs
    spec = SweepSpec(scenarios=["ai_winter"], steps=2, seeds=[0], outputs=[o.key for o in v.OUTPUTS],
                     points=[{}])
    validate_outputs(spec, "sweep")


@pytest.mark.slow
def test_end_to_end_writes_the_report(tmp_path):
    out = tmp_path / "validation.md"
    rc = v.main(["--seeds", "2", "--steps", "12", "--workers", "1", "--quiet", "--out", str(out),
                 "--only", "winter_vs_baseline,c3_collateral_spiral,spv_consolidation"])
    assert rc == 0
    text = out.read_text()
    for heading in ("## Headline: ai_winter against baseline", "## Summary of verdicts",
                    "## Wrong signs and missing effects", "### winter_vs_baseline",
                    "### c3_collateral_spiral", "### spv_consolidation"):
        assert heading in text
    assert "### gpu_haircuts" not in text
    assert "Seeds: 2 (0..1)" in text and "Months per run: 12" in text
    assert "| defaults, all sectors (count) |" in text
    assert v.main(["--seeds", "2", "--only", "nope", "--out", str(out)]) == 2


def test_explanations_name_known_experiments_and_outputs_and_their_version():
    from aicredit.models.version import __version__
    names = {e.name for e in v.EXPERIMENTS} | {"*"}
    keys = {o.key for o in v.OUTPUTS}
    explanations = v.load_explanations()
    assert len(explanations) >= 10
    major_minor = tuple(int(x) for x in __version__.split(".")[:2])
    for (exp, key), ex in explanations.items():
        assert exp in names and key in keys, (exp, key)
        assert len(ex.text.split()) >= 20, f"{exp}/{key}: no explanation text"
        stamp = tuple(int(x) for x in ex.checked_on.split("."))
        assert stamp[:2] <= major_minor, f"{exp}/{key}: checked on {ex.checked_on}, a future version"


def test_explanations_file_is_one_line_errors(tmp_path):
    from aicredit.models.validation.explanations import load_explanations
    bad = tmp_path / "e.md"
    bad.write_text("# x\n\n## c9_spvs / losses_total_usd\n\nSome text without a stamp.\n")
    with pytest.raises(ValueError, match="checked on X.Y.Z"):
        load_explanations(bad)
    bad.write_text("## c9_spvs / losses_total_usd\n\nchecked on 0.4.0\n\nalso explains: c9_spvs\n\nText.\n")
    with pytest.raises(ValueError, match="experiment / output"):
        load_explanations(bad)
    good = tmp_path / "g.md"
    good.write_text("## * / defaults_total\n\nchecked on 0.4.0\n\nalso explains: a / b; c / d\n\n"
                    "One\nparagraph.\n")
    got = load_explanations(good)
    assert set(got) == {("*", "defaults_total"), ("a", "b"), ("c", "d")}
    assert got[("a", "b")].text == "One paragraph." and got[("c", "d")].checked_on == "0.4.0"


def test_committed_page_quotes_the_explanations_file():
    """docs/validation.md is rendered from the table and explanations.md: its notes are the
    file's texts, and its generated-by comment is the renderer's (rendering again from the same
    runs gives the same page except for the provenance lines, render.PROVENANCE_PREFIXES)."""
    from pathlib import Path

    from aicredit.models.validation import render
    page = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text().splitlines()
    texts = {ex.text for ex in v.load_explanations().values()}
    start = page.index("Notes (from `models/validation/explanations.md`):")
    notes = [ln.split(". ", 1)[1] for ln in page[start:] if ln[:1].isdigit() and ". " in ln]
    assert notes and all(n in texts for n in notes)
    comment = render.render(*_fake_rows(), command="x", seeds=[0, 1, 2], steps=2, run_time_s=0,
                            workers=1).splitlines()[2]
    assert page[2] == comment
    assert sum(ln.startswith(p) for p in render.PROVENANCE_PREFIXES for ln in page) == 4


def _fake_rows():
    """Every experiment analysed on made-up runs (3 seeds, no simulation)."""
    import pandas as pd
    rng = np.random.default_rng(5)
    results = {}
    for arm in v.arms_of(v.EXPERIMENTS):
        df = pd.DataFrame({o.key: rng.normal(1.0, 0.1, 3) * o.scale for o in v.OUTPUTS},
                          index=pd.Index([0, 1, 2], name="seed"))
        df["error"] = ""
        results[arm] = df
    return v.EXPERIMENTS, v.analyse(v.EXPERIMENTS, results)


def test_page_rendered_again_differs_only_in_provenance():
    from aicredit.models.validation import render
    experiments, rows = _fake_rows()
    one = render.render(experiments, rows, command="python -m aicredit.models.validate --seeds 3",
                        seeds=[0, 1, 2], steps=None, run_time_s=60, workers=2, model_time_s=50)
    two = render.render(experiments, rows, command="python -m aicredit.models.validate --cache c",
                        seeds=[0, 1, 2], steps=None, run_time_s=1, workers=1, cached=84)
    one, two = one.splitlines(), two.splitlines()
    assert len(one) == len(two) > 200
    differ = [a for a, b in zip(one, two, strict=True) if a != b]
    assert differ and all(a.startswith(render.PROVENANCE_PREFIXES) for a in differ)
    assert "## Wrong signs and missing effects" in one and "### c9_spvs" in one


def test_a_cache_of_other_settings_is_one_line_and_exit_2(tmp_path, capsys):
    """A --cache written with other settings (here other months) is refused in one line with
    exit 2, not a traceback, and the report is not written."""
    cache, out = tmp_path / "cache", tmp_path / "validation.md"
    common = ["--seeds", "2", "--workers", "1", "--quiet", "--cache", str(cache), "--out", str(out),
              "--only", "winter_vs_baseline"]
    assert v.main(common + ["--steps", "2"]) == 0
    out.unlink()
    capsys.readouterr()
    assert v.main(common + ["--steps", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("validate: error:") and "\n" not in err and "--cache" in err
    assert not out.exists()
