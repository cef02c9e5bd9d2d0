"""Tests of scenario loading and validation (models/scenario.py, models/scenarios/*.toml)."""
from __future__ import annotations

import dataclasses
import math
import tomllib

import pytest

from aicredit.models.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_deals,
    read_scenario_file,
    scenario_dir,
    scenario_names,
    validate_params,
)

SHIPPED = sorted(p.stem for p in scenario_dir().glob("*.toml"))
META_KEYS = {"name", "description", "base"}
DEFAULTS = dataclasses.asdict(Scenario())          # deals as tables, as asdict gives them


def raw_file(name: str) -> dict:
    with open(scenario_dir() / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)


def as_python(value):
    """A TOML value as the Scenario holds it: lists as tuples, a [[deals]] list as Deals."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return parse_deals(value)
    return tuple(value) if isinstance(value, list) else value


def assert_names(exc_info, *parts):
    msg = str(exc_info.value)
    for part in parts:
        assert str(part) in msg, f"{part!r} not in error message {msg!r}"


# --------------------------------------------------------------------------------------
# shipped scenarios
# --------------------------------------------------------------------------------------
def test_shipped_scenarios_are_listed():
    assert scenario_names() == SHIPPED
    for required in ("baseline", "ai_winter", "ai_boom", "synthetic"):
        assert required in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads_and_validates(name):
    s = load_scenario(name)
    assert isinstance(s, Scenario)
    params = dataclasses.asdict(s)
    # Re-validating the loaded values is idempotent.
    assert Scenario(**validate_params(params)) == s
    raw = raw_file(name)
    assert raw.get("name", name) == name
    assert isinstance(raw.get("description", ""), str) and raw.get("description")
    # Every key the file sets has the file's value.
    for key, value in raw.items():
        if key not in META_KEYS:
            assert getattr(s, key) == as_python(value), key
    # Derived properties are in range.
    assert 0 < s.effective_gpu_ltv <= s.gpu_loan_max_ltv <= s.gpu_loan_margin_ltv
    assert 0 <= s.effective_bank_pc_share <= s.bank_pc_lending_share
    assert abs(sum(s.lab_demand_shares) - 1) < 1e-9
    assert abs(sum(s.coreweave_customer_shares) - 1) < 1e-9


@pytest.mark.parametrize("name", SHIPPED)
def test_read_scenario_file_returns_name_and_description(name):
    params, sname, desc = read_scenario_file(name)
    assert sname == name
    assert desc == raw_file(name)["description"]
    assert not (META_KEYS & set(params))


def test_scenario_without_base_differs_from_defaults_only_in_its_keys():
    for name in SHIPPED:
        raw = raw_file(name)
        if "base" in raw:
            continue
        s = dataclasses.asdict(load_scenario(name))
        changed = {k for k in s if s[k] != DEFAULTS[k]}
        assert changed <= set(raw) - META_KEYS, name


VARIANTS = [n for n in SHIPPED if "base" in raw_file(n)]


def test_there_are_variants():
    assert len(VARIANTS) >= 3


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_differs_from_base_only_in_its_keys(name):
    raw = raw_file(name)
    own = {k: as_python(v) for k, v in raw.items() if k not in META_KEYS}
    assert own, f"{name} sets no keys of its own"
    variant = dataclasses.asdict(load_scenario(name))
    base = dataclasses.asdict(load_scenario(raw["base"]))
    differing = {k for k in variant if variant[k] != base[k]}
    assert differing <= set(own)
    for key, value in own.items():
        assert variant[key] == value
    # The variant inherits the base's own changes from the defaults.
    base_raw = raw_file(raw["base"])
    for key, value in base_raw.items():
        if key not in META_KEYS and key not in own:
            assert variant[key] == as_python(value)


def test_base_inheritance_from_user_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\ndescription = "test"\nbase = "bank_pc_limit"\n'
                    "gpu_loan_haircut = 0.2\ndemand_shock_size = 0.5\n")
    s = dataclasses.asdict(load_scenario(path))
    base = dataclasses.asdict(load_scenario("bank_pc_limit"))
    assert {k for k in s if s[k] != base[k]} == {"gpu_loan_haircut", "demand_shock_size"}
    assert s["gpu_loan_haircut"] == 0.2 and s["demand_shock_size"] == 0.5
    # Two levels down: ai_winter's keys and bank_pc_limit's key are inherited.
    assert s["bank_pc_lending_limit"] == 0.01
    assert s["demand_shock_step"] == raw_file("ai_winter")["demand_shock_step"]
    params, name, desc = read_scenario_file(path)
    assert name == "mine" and desc == "test"


def test_base_from_absolute_path(tmp_path):
    parent = tmp_path / "parent.toml"
    parent.write_text("n_banks = 7\nsteps = 10\n")
    child = tmp_path / "child.toml"
    child.write_text(f'base = "{parent.as_posix()}"\nsteps = 12\n')
    s = load_scenario(child)
    assert s.n_banks == 7 and s.steps == 12


def test_base_referring_to_itself_is_an_error(tmp_path):
    path = tmp_path / "loop.toml"
    path.write_text('base = "loop"\nsteps = 3\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert_names(exc, "base", "loop")


def test_overrides_replace_file_values():
    s = load_scenario("ai_winter", demand_shock_size=0.1, steps=5)
    assert s.demand_shock_size == 0.1 and s.steps == 5
    assert s.demand_shock_step == raw_file("ai_winter")["demand_shock_step"]


def test_int_field_accepts_integral_float_and_normalises():
    out = validate_params({"n_banks": 3.0, "gpu_loan_rate_per_year": 1})
    assert out == {"n_banks": 3, "gpu_loan_rate_per_year": 1.0}
    assert type(out["n_banks"]) is int and type(out["gpu_loan_rate_per_year"]) is float


def test_range_bounds_are_inclusive():
    validate_params({"steps": 1})
    validate_params({"steps": 600})
    validate_params({"gpu_loan_rate_per_year": 0.0, "demand_shock_size": 0.99})


# --------------------------------------------------------------------------------------
# validation errors: each names the key and the value
# --------------------------------------------------------------------------------------
DEAL = dict(step=2, issuer="CoreWeave", investor="outside_investors", amount_bn=1.5, kind="ipo")
BAD = [
    # (params, key named, value named)
    ({"not_a_key": 1.5}, "not_a_key", "1.5"),
    ({"gpu_loan_rate_per_year": "abc"}, "gpu_loan_rate_per_year", "'abc'"),
    ({"n_banks": "4"}, "n_banks", "'4'"),
    ({"c3_collateral_spiral": 1}, "c3_collateral_spiral", "1"),
    ({"pc_disclosure": "true"}, "pc_disclosure", "'true'"),
    ({"steps": True}, "steps", "True"),
    ({"n_banks": 2.5}, "n_banks", "2.5"),
    ({"gpu_generation_months": 12.25}, "gpu_generation_months", "12.25"),
    ({"gpu_loan_rate_per_year": -0.01}, "gpu_loan_rate_per_year", "-0.01"),
    ({"gpu_loan_rate_per_year": 1.5}, "gpu_loan_rate_per_year", "1.5"),
    ({"steps": 0}, "steps", "0"),
    ({"steps": 601}, "steps", "601"),
    ({"demand_shock_step": -2}, "demand_shock_step", "-2"),
    ({"gpu_unit_price_k": 0.05}, "gpu_unit_price_k", "0.05"),
    ({"demand_volatility_per_month": float("nan")}, "demand_volatility_per_month", "nan"),
    ({"ai_demand_bn_per_year": float("inf")}, "ai_demand_bn_per_year", "inf"),
    ({"ai_demand_bn_per_year": float("-inf")}, "ai_demand_bn_per_year", "-inf"),
    ({"n_banks": float("nan")}, "n_banks", "nan"),
    ({"n_banks": float("inf")}, "n_banks", "inf"),
    ({"lab_demand_shares": [0.5, 0.5]}, "lab_demand_shares", "[0.5, 0.5]"),
    ({"hyperscaler_cash_bn": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, "hyperscaler_cash_bn",
     "[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]"),
    ({"hyperscaler_cash_bn": 5.0}, "hyperscaler_cash_bn", "5.0"),
    ({"hyperscaler_cash_bn": [1.0, 2.0, "x", 4.0, 5.0]}, "hyperscaler_cash_bn", "'x'"),
    ({"hyperscaler_cash_bn": [1.0, 2.0, -3.0, 4.0, 5.0]}, "hyperscaler_cash_bn", "-3.0"),
    ({"hyperscaler_cash_bn": [1.0, 2.0, float("nan"), 4.0, 5.0]}, "hyperscaler_cash_bn", "nan"),
    ({"lab_demand_shares": [0.5, 0.2, 0.2, 0.2]}, "lab_demand_shares", "[0.5, 0.2, 0.2, 0.2]"),
    ({"coreweave_customer_shares": [0.7, 0.1, 0.1, 0.0]}, "coreweave_customer_shares",
     "[0.7, 0.1, 0.1, 0.0]"),
    ({"gpu_loan_max_ltv": 0.9, "gpu_loan_margin_ltv": 0.8}, "gpu_loan_max_ltv", "0.9"),
    ({"gpu_loan_max_ltv": 0.9}, "gpu_loan_max_ltv", "0.9"),            # default margin 0.85
    ({"gpu_loan_margin_ltv": 0.6}, "gpu_loan_margin_ltv", "0.6"),      # default max 0.70
    ({"gpu_loan_cure_ltv": 0.9}, "gpu_loan_cure_ltv", "0.9"),          # default margin 0.85
    # dated deals: each key of a [[deals]] table is named as deals[i].key
    ({"deals": 5}, "deals", "5"),
    ({"deals": [3]}, "deals[0]", "3"),
    ({"deals": [dict(DEAL, amount_bn=-1.0)]}, "deals[0].amount_bn", "-1.0"),
    ({"deals": [DEAL, dict(DEAL, step=2.5)]}, "deals[1].step", "2.5"),
    ({"deals": [dict(DEAL, step=-1)]}, "deals[0].step", "-1"),
    ({"deals": [dict(DEAL, issuer="")]}, "deals[0].issuer", "''"),
    ({"deals": [dict(DEAL, investor=7)]}, "deals[0].investor", "7"),
    ({"deals": [{k: v for k, v in DEAL.items() if k != "kind"}]}, "deals[0]", "'kind'"),
    ({"deals": [dict(DEAL, stpe=3)]}, "deals[0].stpe", "'step'"),
    ({"deals": [dict(DEAL, channel="c8_circular")]}, "deals[0].channel", "'c8_circular_financing'"),
    ({"coreweave_ipo_step": 3}, "coreweave_ipo_step", "deals"),
]


@pytest.mark.parametrize("params, key, value", BAD, ids=[f"{k}={v}" for _, k, v in BAD])
def test_validate_params_errors_name_key_and_value(params, key, value):
    with pytest.raises(ScenarioError) as exc:
        validate_params(params)
    assert_names(exc, key, value)
    assert "\n" not in str(exc.value)                  # one line
    assert isinstance(exc.value, ValueError)


@pytest.mark.parametrize("params, key, value", BAD, ids=[f"{k}={v}" for _, k, v in BAD])
def test_load_scenario_override_errors_name_key_and_value(params, key, value):
    with pytest.raises(ScenarioError) as exc:
        load_scenario("baseline", **params)
    assert_names(exc, key, value)


FIELD_BAD = [b for b in BAD if set(b[0]) <= set(DEFAULTS)]


@pytest.mark.parametrize("params, key, value", FIELD_BAD, ids=[k for _, k, _ in FIELD_BAD])
def test_scenario_constructor_validates(params, key, value):
    with pytest.raises(ScenarioError) as exc:
        Scenario(**params)
    assert_names(exc, key, value)


def test_ltv_error_names_both_keys():
    with pytest.raises(ScenarioError) as exc:
        validate_params({"gpu_loan_max_ltv": 0.9, "gpu_loan_margin_ltv": 0.8})
    assert_names(exc, "gpu_loan_max_ltv", "gpu_loan_margin_ltv", "0.9", "0.8")
    # Equal is allowed.
    validate_params({"gpu_loan_max_ltv": 0.8, "gpu_loan_margin_ltv": 0.8})


def test_cure_ltv_error_names_both_keys():
    """A margin call cannot restore an LTV above the one that triggers it."""
    with pytest.raises(ScenarioError) as exc:
        validate_params({"gpu_loan_cure_ltv": 0.9, "gpu_loan_margin_ltv": 0.8})
    assert_names(exc, "gpu_loan_cure_ltv", "gpu_loan_margin_ltv", "0.9", "0.8")
    assert "\n" not in str(exc.value)
    validate_params({"gpu_loan_cure_ltv": 0.8, "gpu_loan_margin_ltv": 0.8})


def test_ltv_checked_against_file_values(tmp_path):
    """An override is checked against the values of the file it overrides."""
    path = tmp_path / "lowmargin.toml"
    path.write_text("gpu_loan_margin_ltv = 0.6\ngpu_loan_max_ltv = 0.5\ngpu_loan_cure_ltv = 0.5\n")
    assert load_scenario(path).gpu_loan_margin_ltv == 0.6
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path, gpu_loan_max_ltv=0.65)
    assert_names(exc, "gpu_loan_max_ltv", "0.65")


FILE_BAD = [
    # (an unknown key is named without its value: tests/test_inputs.py)
    ('gpu_loan_rate_per_year = "high"\n', "gpu_loan_rate_per_year", "'high'"),
    ("c9_spvs = 0\n", "c9_spvs", "0"),
    ("n_banks = 2.5\n", "n_banks", "2.5"),
    ("n_insurers = 0\n", "n_insurers", "0"),
    ("savers_total_bn = 2e6\n", "savers_total_bn", "2000000.0"),
    ("demand_volatility_per_month = nan\n", "demand_volatility_per_month", "nan"),
    ("ai_demand_bn_per_year = inf\n", "ai_demand_bn_per_year", "inf"),
    ("lab_demand_shares = [0.5, 0.5, 0.0]\n", "lab_demand_shares", "[0.5, 0.5, 0.0]"),
    ("lab_demand_shares = [0.4, 0.4, 0.4, 0.4]\n", "lab_demand_shares", "[0.4, 0.4, 0.4, 0.4]"),
    ("gpu_loan_max_ltv = 0.95\n", "gpu_loan_max_ltv", "0.95"),
]


@pytest.mark.parametrize("text, key, value", FILE_BAD, ids=[k for _, k, _ in FILE_BAD])
def test_bad_file_values_name_key_and_value(tmp_path, text, key, value):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n' + text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert_names(exc, key, value)


def test_bad_value_in_variant_file_overrides_base(tmp_path):
    path = tmp_path / "variant.toml"
    path.write_text('base = "ai_winter"\ndemand_shock_size = 1.5\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert_names(exc, "demand_shock_size", "1.5")


def test_toml_syntax_error(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("steps = = 3\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert_names(exc, str(path), "TOML")


def test_nested_table_is_rejected(tmp_path):
    path = tmp_path / "nested.toml"
    path.write_text("steps = 3\n[hyperscalers]\ncash_bn = 5.0\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert_names(exc, "hyperscalers", "table")
    path.write_text("steps = 3\nbanks = { n = 3 }\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert_names(exc, "banks")


def test_unknown_scenario_name():
    with pytest.raises(ScenarioError) as exc:
        load_scenario("no_such_scenario")
    assert_names(exc, "no_such_scenario", "baseline")


def test_unknown_base_name(tmp_path):
    path = tmp_path / "orphan.toml"
    path.write_text('base = "no_such_base"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert_names(exc, "no_such_base")


def test_missing_file_path(tmp_path):
    path = tmp_path / "missing.toml"
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert_names(exc, str(path))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(str(path))
    assert_names(exc, str(path))


def test_scenario_is_frozen():
    s = load_scenario("baseline")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.steps = 3


def test_defaults_are_valid_and_finite():
    s = Scenario()
    for key, value in dataclasses.asdict(s).items():
        if key == "deals":
            assert all(d["step"] >= 0 and math.isfinite(d["amount_bn"]) for d in value)
            continue
        for v in (value if isinstance(value, tuple) else (value,)):
            assert isinstance(v, (bool, int, float))
            assert math.isfinite(v), key


def test_relative_base_is_read_from_the_naming_files_folder(tmp_path, monkeypatch):
    """``base = "parent.toml"`` means the parent next to the child, wherever the cwd is."""
    folder = tmp_path / "scen"
    folder.mkdir()
    (folder / "parent.toml").write_text("demand_growth_per_year = 0.42\n")
    (folder / "child.toml").write_text('base = "parent.toml"\nsteps = 5\n')
    monkeypatch.chdir(tmp_path)
    s = load_scenario(folder / "child.toml")
    assert s.demand_growth_per_year == 0.42 and s.steps == 5
