"""The Mesa model that composes the engine (``abm``) into the AI economy, and its scenarios."""
from aicredit.models.model import AIEconomyModel
from aicredit.models.scenario import Scenario, ScenarioError, load_scenario, scenario_names

__all__ = ["AIEconomyModel", "Scenario", "ScenarioError", "load_scenario", "scenario_names"]
