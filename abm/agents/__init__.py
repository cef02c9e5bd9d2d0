"""The nine sectors of the AI economy, one module each (``docs/spec/economy.md``)."""
from abm.agents.ai_lab import AILab
from abm.agents.bank import Bank
from abm.agents.base import Institution, OutsideParty
from abm.agents.chipmaker import Chipmaker
from abm.agents.hyperscaler import Hyperscaler
from abm.agents.insurer import Insurer
from abm.agents.neocloud import Neocloud
from abm.agents.private_credit import PrivateCreditFund
from abm.agents.saver import SaverCohort
from abm.agents.spv import SPV

__all__ = ["AILab", "Bank", "Chipmaker", "Hyperscaler", "Insurer", "Institution", "Neocloud",
           "OutsideParty", "PrivateCreditFund", "SaverCohort", "SPV", "AGENT_TYPES", "SECTORS"]

from abm.sectors import SECTORS  # noqa: E402

#: The agent type of each sector, in the registry's order (:data:`abm.sectors.SECTORS`).
AGENT_TYPES = {cls.sector: cls for cls in (AILab, Hyperscaler, Neocloud, Chipmaker, PrivateCreditFund,
                                           Bank, Insurer, SaverCohort, SPV)}
assert tuple(AGENT_TYPES) == SECTORS, "abm.sectors.SECTORS and the agent types disagree"
