"""The amplification table (models/validation/amplification.py and amplification_page.py):
the impact multiplier's mapping onto the markets' parameters, the arms, the second-round
arithmetic, the page's words following its numbers, and the command's one-line errors. No
simulation here but one four-run check of the runner; the paired-seed sign tests of the
reactions are the validation table's (tests/test_experiments.py)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aicredit.models import validate as v
from aicredit.models.scenario import load_scenario
from aicredit.models.validation import amplification as A
from aicredit.models.validation import amplification_page as P
from aicredit.models.validation.experiments import Arm


# --- the impact multiplier ----------------------------------------------------------------
def test_impact_one_is_the_shipped_scenario_and_m_scales_every_markets_depth():
    from aicredit.abm.markets.loan_market import LoanMarket
    assert A.impact_overrides(1.0) == {}
    w = load_scenario("ai_winter")
    for m in (0.5, 2.0, 4.0):
        ov = A.impact_overrides(m)
        assert set(ov) == set(A.IMPACT_PARAMETERS)
        assert ov["fire_sale_depth_share"] == pytest.approx(w.fire_sale_depth_share / m)
        # the loan market's depth (its own formula) is divided by m
        out, forced = np.array([1e9, 2e9, 3e9, 4e9]), np.array([0.0, 0.2, 0.5, 1.0])
        d0 = LoanMarket(w.loan_market_impact_of_tenth_sold, 0.5, 0.85).depth_usd(out, forced)
        dm = LoanMarket(ov["loan_market_impact_of_tenth_sold"], 0.5, 0.85).depth_usd(out, forced)
        np.testing.assert_allclose(dm, d0 / m, rtol=1e-12)
    assert A.impact_overrides(2.0)["loan_market_impact_of_tenth_sold"] == pytest.approx(0.19)


@pytest.mark.parametrize("m, match", [(0.0, "positive"), (-1.0, "positive"), (math.nan, "positive"),
                                      (30.0, "loan_market_impact_of_tenth_sold"),
                                      (0.01, "fire_sale_depth_share")])
def test_impact_out_of_range_names_the_parameter(m, match):
    with pytest.raises(ValueError, match=match):
        A.impact_overrides(m)


def test_parse_impacts():
    assert A.parse_impacts("2, 0.5,1,2,") == [0.5, 1.0, 2.0]
    for bad, match in (("abc", "not a number"), ("", "no impact"), ("1,-2", "positive"),
                       ("50", "loan_market_impact_of_tenth_sold")):
        with pytest.raises(ValueError, match=match):
            A.parse_impacts(bad)


# --- the arms -------------------------------------------------------------------------------
def test_arms_switch_the_reactions_as_their_names_say():
    assert A.config_arm(A.ALL_ON) == Arm.of("ai_winter")          # the validation's own arm
    off = dict(A.config_arm(A.ALL_OFF).overrides)
    assert off == {r: False for r in A.REACTIONS}
    assert dict(A.config_arm(A.ALL_ON, 2.0).overrides) == A.impact_overrides(2.0)
    for r in A.REACTIONS:
        alone = dict(A.config_arm(r, 2.0).overrides)
        assert r not in alone and {k for k, x in alone.items() if x is False} == set(A.REACTIONS) - {r}
        # only the market this reaction moves carries the impact (off, a market's depth is unread)
        market = {k: x for k, x in A.impact_overrides(2.0).items() if A.MARKET_SWITCH[k] == r}
        assert {k: x for k, x in alone.items() if k in A.IMPACT_PARAMETERS} == market
        load_scenario("ai_winter", **alone)                        # a valid scenario
    with pytest.raises(ValueError, match="unknown reaction setting"):
        A.config_arm("c1_demand_to_compute")
    arms = A.amplification_arms([0.5, 1.0, 2.0, 4.0, 8.0])
    assert len(arms) == 5 * (2 + len(A.REACTIONS)) + 2
    # all off and C4, C6, C7, C13 alone move no market (C7's ABS sales go to the loan market,
    # whose depth C12 switches): one arm each whatever the impact
    assert len(set(arms.values())) == 5 * 3 + 5 + 2
    assert arms[("ai_winter", 0.5, A.ALL_OFF)] == arms[("ai_winter", 8.0, A.ALL_OFF)]
    assert arms[("baseline", 1.0, A.ALL_OFF)] == Arm.of("baseline", **{r: False for r in A.REACTIONS})
    assert len(A.amplification_arms([1.0], alone=False, reference=False)) == 2
    assert set(A.REACTIONS) == set(A.REACTION_TEXT) == set(A.ACTIVITY)


# --- the arithmetic -------------------------------------------------------------------------
def test_second_round_share_and_contributions():
    on, off, alone = np.array([100.0, 200.0, 0.0]), np.array([50.0, 150.0, 0.0]), np.array([75.0, 175.0, 0.0])
    s = A.second_round(on, off)                   # shares 0.5 and 0.25; the seed without losses left out
    assert s.n == 2 and s.diff == pytest.approx(0.375)
    half = 12.706204736 * np.std([0.5, 0.25], ddof=1) / math.sqrt(2)      # t(0.975, 1)
    assert (s.lo, s.hi) == pytest.approx((0.375 - half, 0.375 + half), rel=1e-6)
    c = A.contribution(alone, off, on)            # 25/100 and 25/200
    assert c.n == 2 and c.diff == pytest.approx(0.1875)
    same = A.second_round(on[:2], on[:2])
    assert same.all_zero and same.diff == 0 and same.effect == 0


def _fake(impacts, share: float, seeds=(0, 1, 2, 3), alone: bool = True, slope: float = 0.0) -> dict:
    """Made-up results: losses all on = 100 bn (+ seed), all off = (1 - share - slope (m - 1))
    of that, each reaction alone adds a sixth of the second round but C13 nothing; the other
    outputs noise."""
    rng = np.random.default_rng(3)
    out = {}
    for key in A.amplification_arms(impacts, alone=alone):
        df = pd.DataFrame({k: rng.normal(1.0, 0.1, len(seeds)) for k in A.AMP_OUTPUTS},
                          index=pd.Index(list(seeds), name="seed"))
        on = (100.0 + np.arange(len(seeds))) * 1e9
        off = on * (1 - share - slope * (key[1] - 1)) * (1 + 1e-3 * np.arange(len(seeds)) * slope)
        loss = {A.ALL_ON: on, A.ALL_OFF: off}.get(key[2], off + (on - off) / 6)
        df["losses_total_usd"] = off if key[2] == "c13_runs" else loss
        df["error"] = ""
        out[key] = df
    return out


def test_curve_point_interaction_is_what_the_reactions_alone_do_not_explain():
    res = _fake([1.0], share=0.3)
    c = A.curve_point(res, 1.0)
    assert c.share.diff == pytest.approx(0.3)
    assert c.alone["c3_collateral_spiral"][1].diff == pytest.approx(0.05)
    assert c.alone["c13_runs"][0].all_zero
    assert c.interaction == pytest.approx(0.3 - 5 * 0.05)


# --- the page -------------------------------------------------------------------------------
def _page(share: float, impacts=(1.0, 2.0), slope: float = 0.0) -> str:
    return P.render(_fake(list(impacts), share, slope=slope), impacts,
                    command="python -m aicredit.models.validate --amplification", seeds=[0, 1, 2, 3],
                    steps=12, run_time_s=60, workers=2)


def test_page_words_follow_the_numbers():
    small, large = _page(0.1), _page(0.7)
    for page in (small, large):
        for heading in ("## Findings", "## Compared with the literature [R32]", "## The reactions",
                        "## The price-impact multiplier", "## `ai_winter` at impact m = 1",
                        "## Reference: `baseline` at m = 1", "## The curve: losses against price impact"):
            assert heading in page
        assert "C13 changes no loss in any seed" in page
        assert "| 2 | 1.5 | 0.19 |" in page          # the multiplier's table at m = 2
    assert "first-round losses set the winter's size" in small and "10.0%" in small
    assert "as in the Bank of England's exercise" in large and "70.0%" in large
    assert "does not change detectably with price impact" in small
    rising = _fake([1.0, 2.0], 0.1, slope=0.05)
    words = P.findings([A.curve_point(rising, m) for m in (1.0, 2.0)], rising)
    assert any("it rises with price impact" in w for w in words)


def test_command_writes_the_page_from_its_runs(tmp_path, monkeypatch, capsys):
    from aicredit.models.validation import amplification
    seen = {}

    def fake_run(impacts, seeds, steps, workers, cache, progress, report):
        seen.update(impacts=impacts, seeds=seeds, steps=steps)
        return _fake(impacts, 0.2, seeds=tuple(seeds))
    monkeypatch.setattr(amplification, "run_amplification", fake_run)
    out = tmp_path / "amp.md"
    assert v.main(["--amplification", "--impacts", "2,1", "--seeds", "3", "--steps", "5", "--quiet",
                   "--workers", "1", "--out", str(out)]) == 0
    assert seen == {"impacts": [1.0, 2.0], "seeds": [0, 1, 2], "steps": 5}
    text = out.read_text()
    assert "- Impact multipliers: 1, 2" in text and "second-round share of 20.0%" in text


@pytest.mark.parametrize("argv, starts", [
    (["--amplification", "--impacts", "abc"], "--impacts 'abc': 'abc' is not a number"),
    (["--amplification", "--impacts", "50"],
     "--impacts '50': impact 50 sets loan_market_impact_of_tenth_sold"),
    (["--amplification", "--impacts", "0"], "--impacts '0': an impact multiplier must be a positive"),
    (["--impacts", "1"], "--impacts '1': only with --amplification"),
    (["--amplification", "--only", "c3_collateral_spiral"], "--only 'c3_collateral_spiral': the "
     "amplification table"),
    (["--amplification", "--seeds", "1"], "--seeds 1: must be at least 2"),
    (["--workers", "0"], "--workers 0: must be at least 1"),
    (["--only", "nope"], "--only 'nope': unknown experiment"),
])
def test_command_errors_are_one_line_naming_the_argument(argv, starts, capsys, tmp_path):
    out = tmp_path / "never.md"
    assert v.main(argv + ["--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(starts) and "\n" not in err, err
    assert not out.exists()


def test_runner_runs_the_arms_through_the_validation_runner():
    """Two arms, two seeds, two months: one row per seed per arm with every output."""
    res = A.run_amplification([1.0], [0, 1], steps=2, workers=1, progress=False, alone=False,
                              reference=False)
    assert set(res) == {("ai_winter", 1.0, A.ALL_ON), ("ai_winter", 1.0, A.ALL_OFF)}
    for df in res.values():
        assert list(df.index) == [0, 1] and (df["error"] == "").all()
        assert set(A.AMP_OUTPUTS) <= set(df.columns)


def test_the_r32_sentence_prints_an_interval_oriented_like_its_number():
    """Reactions that raise the lowest bank ratio by d (on - off = d > 0) 'add' d pp [lo, hi] with
    0 < lo <= d <= hi; reactions that lower it 'take' -d pp with the interval of -d."""
    from aicredit.models.stats import Stats
    from aicredit.models.validation.amplification_page import _magnitude_pp
    up = Stats(16, 0.13, 0.13 + 6e-7, 6e-7, 1e-7, 1.4e-7, 1.06e-6, False)
    m = _magnitude_pp(up, take=False)
    assert 0 < m.lo <= m.diff <= m.hi and m.diff == pytest.approx(6e-5)
    down = Stats(16, 0.13, 0.12, -0.01, 0.001, -0.012, -0.008, False)
    m = _magnitude_pp(down, take=True)
    assert (m.lo, m.diff, m.hi) == pytest.approx((0.8, 1.0, 1.2))
