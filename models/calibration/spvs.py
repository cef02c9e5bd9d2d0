"""SPVs open at step 0: Meta's Louisiana data centre and others like it [F20-F22]."""
from __future__ import annotations

from aicredit.abm.agents.spv import open_spv
from aicredit.abm.units import BN, MONTHS_PER_YEAR

__all__ = ["build_opening_spvs", "ARTICLE_OTHER_SPVS"]

#: Other SPVs the article names ([F20]: xAI, CoreWeave, Google): ``other_spv_bn`` is the size of
#: each of that many; more SPVs share their total.
ARTICLE_OTHER_SPVS = 3
#: Lessees of the other SPVs, in turn.
OTHER_SPV_LESSEES = ("Oracle", "Google", "Microsoft", "Amazon")


def build_opening_spvs(model) -> None:
    """The SPVs open at step 0 (C9 on): Meta's [F20], then ``n_other_spvs`` others.

    Blue Owl finances Meta's [F20]; the others are leased to Oracle, Google, Microsoft and
    Amazon in turn, were opened over the ``other_spv_opening_years`` before step 0 (so their
    leases come up for renewal during the run) and are financed by the other funds in turn.
    ABS holders: a bank and outside investors (senior tranche), an insurer (mezzanine) and
    outside investors (junior) [F22]. Needs the
    hyperscalers, funds, banks and insurers; sets ``model.spvs``.
    """
    p = model.p
    out = model.outside
    funds, banks, insurers = model.funds, model.banks, model.insurers
    nf, nb, ni = len(funds), len(banks), len(insurers)
    by_name = {h.name: h for h in model.hyperscalers}
    spv_specs = []
    if p.c9_spvs:
        spv_specs.append(("Meta Louisiana SPV", by_name["Meta"], p.meta_spv_bn * BN, 0, 0))  # [F20]
        lessees = [by_name[name] for name in OTHER_SPV_LESSEES]
        years = p.other_spv_opening_years
        size = p.other_spv_bn * BN * min(1.0, ARTICLE_OTHER_SPVS / p.n_other_spvs) if p.n_other_spvs else 0.0
        for k in range(p.n_other_spvs):
            spv_specs.append((f"SPV {k + 1}", lessees[k % len(lessees)], size,
                              -MONTHS_PER_YEAR * (years - k % years), 1 + k % max(nf - 1, 1)))
    model.spvs = []
    for j, (name, lessee, size, start, fund_k) in enumerate(spv_specs):
        holders = [banks[j % nb], insurers[j % ni], out("bond_investors")]        # [F22]
        open_spv(model, name, lessee, size, funds[min(fund_k, nf - 1)], holders, start,
                 p.spv_lease_term_months, paid=False)
