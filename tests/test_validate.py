"""The validation report (models/validate.py): its statistics on constructed data, the
completeness of its experiment table, and a short end-to-end run."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from aicredit.models import validate as v
from aicredit.models.scenario import Scenario, load_scenario, scenario_names


def test_known_difference_lies_in_its_interval():
    rng = np.random.default_rng(1)
    a = rng.normal(10.0, 1.0, 200)
    b = a + 2.5 + rng.normal(0.0, 0.5, 200)        # true paired difference 2.5
    s = v.paired_stats(a, b)
    assert s.n == 200
    assert s.lo < 2.5 < s.hi
    assert s.diff == pytest.approx(2.5, abs=0.15)
    assert s.mean_b - s.mean_a == pytest.approx(s.diff)
    assert v.verdict(s, "+") == v.AS_EXPECTED
    assert v.verdict(s, "-") == v.WRONG
    assert v.verdict(s, "?") == v.NO_PRIOR
    assert v.verdict(s, "0") == v.UNEXPECTED


def test_interval_is_the_t_interval():
    d = np.array([1.0, 2.0, 3.0, 4.0])
    s = v.paired_stats(np.zeros(4), d)
    se = np.std(d, ddof=1) / 2
    assert s.se == pytest.approx(se)
    assert s.hi - s.diff == pytest.approx(3.182446 * se, rel=1e-5)     # t(0.975, 3)


def test_interval_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(400):
        a = rng.normal(0, 1, 8)
        s = v.paired_stats(a, a + 1.0 + rng.normal(0, 2, 8))
        hits += s.lo <= 1.0 <= s.hi
    assert 0.91 <= hits / 400 <= 0.99


def test_zero_difference_is_no_effect_and_noise_is_zero():
    a = np.array([1.0, 2.0, 3.0])
    s = v.paired_stats(a, a.copy())
    assert s.all_zero and s.diff == 0
    assert v.verdict(s, "+") == v.NO_EFFECT
    assert v.is_flagged(v.NO_EFFECT, "+") and v.is_flagged(v.NO_EFFECT, "-")
    assert not v.is_flagged(v.NO_EFFECT, "?") and not v.is_flagged(v.NO_EFFECT, "0")
    noisy = v.paired_stats(a, a * (1 + 1e-13))        # reordered float sums
    assert noisy.all_zero


def test_interval_including_zero_is_not_detected():
    s = v.paired_stats([0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 0.5, -0.4])
    assert s.lo < 0 < s.hi
    assert v.verdict(s, "+") == v.NOT_DETECTED
    assert not v.is_flagged(v.NOT_DETECTED, "+")


def test_negative_effect_and_nan_pairs():
    a = [5.0, 6.0, math.nan, 7.0, 8.0]
    b = [3.0, 4.1, 1.0, 4.9, 6.0]
    s = v.paired_stats(a, b)
    assert s.n == 4                                     # the NaN pair is dropped
    assert s.hi < 0
    assert v.verdict(s, "-") == v.AS_EXPECTED
    assert v.verdict(s, "+") == v.WRONG
    assert v.verdict(v.paired_stats([1.0], [2.0]), "+") == v.NA


def test_every_channel_switch_is_an_experiment():
    switches = [f.name for f in dataclasses.fields(Scenario) if f.name[:1] == "c"
                and f.name.split("_")[0][1:].isdigit()]
    assert len(switches) >= 11
    by_name = {e.name: e for e in v.EXPERIMENTS}
    for sw in switches:
        e = by_name.get(sw)
        assert e is not None, f"no validation experiment for the channel switch {sw}"
        assert dict(e.a.overrides) == {sw: False} and not e.b.overrides
        assert e.a.scenario == e.b.scenario == "ai_winter"


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


def test_explanations_name_known_experiments_and_outputs():
    names = {e.name for e in v.EXPERIMENTS} | {"*"}
    keys = {o.key for o in v.OUTPUTS}
    for (exp, key), text in v.EXPLANATIONS.items():
        assert exp in names and key in keys, (exp, key)
        assert "model " in text, f"{exp}/{key}: say which model version the explanation is for"


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
