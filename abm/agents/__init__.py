"""The nine sectors of the AI economy, one module each (``docs/spec/economy.md``)."""
from aicredit.abm.agents.ai_lab import AILab
from aicredit.abm.agents.bank import Bank
from aicredit.abm.agents.base import Institution, OutsideParty
from aicredit.abm.agents.chipmaker import Chipmaker
from aicredit.abm.agents.hyperscaler import Hyperscaler
from aicredit.abm.agents.insurer import Insurer
from aicredit.abm.agents.neocloud import Neocloud
from aicredit.abm.agents.private_credit import BDC, PrivateCreditFund
from aicredit.abm.agents.saver import SaverCohort
from aicredit.abm.agents.spv import SPV

__all__ = ["AILab", "BDC", "Bank", "Chipmaker", "Hyperscaler", "Insurer", "Institution", "Neocloud",
           "OutsideParty", "PrivateCreditFund", "SaverCohort", "SPV", "AGENT_TYPES", "SECTORS"]

from aicredit.abm.sectors import SECTORS  # noqa: E402

#: The agent type of each sector, in the registry's order (:data:`abm.sectors.SECTORS`).
AGENT_TYPES = {cls.sector: cls for cls in (AILab, Hyperscaler, Neocloud, Chipmaker, PrivateCreditFund,
                                           Bank, Insurer, SaverCohort, SPV)}
assert tuple(AGENT_TYPES) == SECTORS, "abm.sectors.SECTORS and the agent types disagree"
