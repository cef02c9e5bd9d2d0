"""The Mesa model of the AI economy: :class:`AIEconomyModel`.

One step is one month; step 0 is January 2025 (``shared/spec/economy.md``). The order of
activity within a month (documented here because results must not depend on which
institution acts first):

1. **Environment.** AI demand moves (growth decaying from the scenario's initial rate,
   log-normal shocks, an optional one-off shock); a GPU generation may be released; the
   GPU reference prices, AI sentiment and listed firms' values are updated.
2. **Decide.** Every live institution reads the state at the start of the month and writes
   its plans (capex, equity rounds, rollover, line cuts, de-risking, panic). No payments.
3. **Income and financing.** Outside accounts pay revenues, contributions and legacy cash
   flows; planned equity rounds, vendor financing and bond issues are made; GPU purchases
   and new GPU-backed loans are executed (lenders' capacity shared pro rata).
4. **Payment clearing.** Everything that falls due (compute contracts, leases, interest,
   amortisation and unrolled maturities, operating costs) is settled simultaneously with
   :func:`abm.clearing.clear_payments` (Eisenberg and Noe 2001).
5. **GPU fire sale.** :func:`abm.market.clear_fire_sale` clears margin calls on GPU-backed
   loans (C3); cash posted and units sold repay lenders; loans that cannot be cured
   default (and with them their borrower).
6. **Defaults.** Every institution that could not pay, whose GPU loan defaulted, or (for
   financial institutions) whose equity turned negative is resolved by seniority; the
   cascade is followed within the month until no one else fails.
7. **Act.** Funds pay gated redemptions and manage their bank lines, banks cut lines,
   insurers de-risk, savers invest their contributions, firms pay out excess cash.
8. **Revalue and collect.** Funds update reported NAVs; the DataCollector records.
"""
from __future__ import annotations

import math

import mesa
import numpy as np
from scipy import sparse

from abm.agents import OutsideParty
from abm.agents.spv import SPVTerms, open_spv
from abm.claims import ClaimBook, Contract, Debt, Seniority
from abm.clearing import clear_payments
from abm.default import resolve_default
from abm.equity_market import EquityMarket
from abm.gpu_loans import GPULoanBook
from abm.gpu_market import GPUMarket
from abm.ledger import Ledger
from abm.losses import LossBook
from abm.market import clear_fire_sale
from models.calibration import BN, build_economy
from models.reporters import add_price_reporters, agent_reporters, model_reporters
from models.scenario import Scenario, load_scenario

__all__ = ["AIEconomyModel"]


class AIEconomyModel(mesa.Model):
    """The AI-credit economy of one scenario.

    Keyword arguments are the scenario's parameters (:class:`models.scenario.Scenario`),
    applied over the named ``scenario`` file, so ``mesa.batch_run`` can sweep any of them.
    ``seed`` seeds both ``self.random`` and ``self.rng``: same seed, same results.
    ``collect_agents`` switches per-agent data collection (costly at 100k cohorts).
    """

    def __init__(self, scenario: str = "baseline", seed: int | None = None, *,
                 collect_agents: bool = True, **params):
        super().__init__(seed=seed)
        self.scenario_name = str(scenario)
        self.seed_value = seed
        self.p: Scenario = load_scenario(scenario, **params)
        p = self.p
        self.ledger = Ledger()
        self.claims = ClaimBook()
        self.gpu_loans = GPULoanBook()
        self.losses = LossBook()
        self._outside: dict[str, OutsideParty] = {}
        self.gpu_market = GPUMarket(
            steps=p.steps, generation_months=p.gpu_generation_months,
            first_release_step=p.gpu_first_release_step, unit_price_usd=p.gpu_unit_price_k * 1e3,
            release_value_drop=p.gpu_release_value_drop,
            depreciation_per_year=p.gpu_depreciation_per_year,
            utilisation_elasticity=p.gpu_rental_utilisation_elasticity,
            depth_share=p.fire_sale_depth_share, impact_persistence=p.price_impact_persistence)
        self.equity_market = EquityMarket(sensitivity=p.sentiment_sensitivity, beta=p.equity_ai_beta,
                                          volatility_per_month=p.equity_volatility_per_month,
                                          enabled=p.c10_equity_market)
        self.demand_usd = p.ai_demand_bn_per_year * BN / 12
        self.demand_history = [self.demand_usd]
        self.index_history = [1.0]
        self.default_events: list[dict] = []
        self._reset_month_counters()
        build_economy(self)
        self.institutions = [a for a in self.agents if a.sector != "saver_401k"]
        self.equity_market.register([a for a in self.institutions if a.listed], private=self.labs)
        self.saver_balances = np.array([s.balance_usd() for s in self.savers])
        self.saver_return_index = 1.0     # time-weighted: contributions do not count as returns
        self.datacollector = mesa.DataCollector(
            model_reporters=add_price_reporters(model_reporters(), self.gpu_market.n_vintages),
            agent_reporters=agent_reporters() if collect_agents else None)
        self.datacollector.collect(self)

    # --- helpers used by agents -------------------------------------------------------------
    def outside(self, name: str) -> OutsideParty:
        """The outside party of a ledger account (created on first use)."""
        if name not in self._outside:
            self._outside[name] = OutsideParty(name)
        return self._outside[name]

    @property
    def lab_demand_usd(self) -> float:
        return (1.0 - self.p.hyperscaler_ai_service_share) * self.demand_usd

    @property
    def hyperscaler_demand_usd(self) -> float:
        return self.p.hyperscaler_ai_service_share * self.demand_usd

    def demand_surprise(self) -> float:
        """Realised AI demand over what hyperscalers expected for now a year ago."""
        live = [h.disappointment() for h in self.hyperscalers if not h.defaulted]
        return float(np.mean(live)) if live else 1.0

    def mean_expected_demand_ratio(self) -> float:
        """Hyperscalers' expected demand a year ahead relative to step 0 (capex driver)."""
        ratios = [h.expected_history[-1] / h.expected_demand0 for h in self.hyperscalers
                  if h.expected_history and not h.defaulted]
        return float(np.mean(ratios)) if ratios else 1.0

    def index_return_12m(self) -> float:
        h = self.index_history
        return h[-1] / h[-13] - 1.0 if len(h) > 12 else h[-1] / h[0] - 1.0

    def gpu_units_outstanding(self) -> np.ndarray:
        return np.sum([a.gpu_units for a in self.institutions], axis=0)

    def gpu_depth(self) -> np.ndarray:
        return self.gpu_market.depth(self.gpu_units_outstanding())

    def _reset_month_counters(self) -> None:
        self.margin_calls = 0
        self.margin_called_names: set[str] = set()
        self.gpu_loan_defaults = 0
        self.redemptions_usd = 0.0
        self.panic_cohorts = 0
        self.walkaways = 0
        self.units_fire_sold = 0.0
        self.lapsed_contracts = 0
        self.gpu_principal_due_usd = 0.0
        self.month_contributions_usd = 0.0
        self.due_by_kind: dict[str, float] = {}
        self.paid_by_kind: dict[str, float] = {}

    # --- GPU purchases and loans -----------------------------------------------------------------
    def buy_gpus(self, buyer, spend_usd: float) -> float:
        """``buyer`` buys newest-vintage GPUs for ``spend_usd`` from the chipmaker (units bought).

        A neocloud's purchase is financed by the GPU loans just disbursed to it; the loans'
        units, booked in ``_lend_to_neoclouds``, are pledged out of these units.
        """
        if spend_usd <= 0 or not self.chipmakers or self.chipmakers[0].defaulted:
            return 0.0
        v = self.gpu_market.newest(self.steps)
        price = self.gpu_market.ref_price[v]
        spend_usd = min(spend_usd, buyer.cash_usd)
        units = spend_usd / price
        chip = self.chipmakers[0]
        buyer.pay(chip, spend_usd, "gpu_purchase")
        chip.sell_gpus(buyer, units, price)
        buyer.gpu_units[v] += units
        return units

    lenders_per_loan = 3

    def _lend_to_neoclouds(self) -> None:
        """New GPU-backed loans: requests filled pro rata to funds' lending capacity.

        The fill ratio is total capacity over total requests (at most 1); each borrower's
        loan is split among up to three funds drawn with probability proportional to
        their capacity, so the book grows by a few loans per borrower a month.
        """
        p = self.p
        live = [n for n in self.neoclouds if not n.defaulted]
        borrowers = [n for n in live if n.loan_request_usd > 0]
        funds = [f for f in self.funds if not f.defaulted]
        capacity = np.array([f.lending_capacity_usd() for f in funds])
        requests = np.array([n.loan_request_usd for n in borrowers])
        fill = min(1.0, capacity.sum() / requests.sum()) if borrowers and requests.sum() > 0 else 0.0
        if fill <= 0:
            return
        weights = capacity / capacity.sum()
        h = p.effective_gpu_ltv
        v = self.gpu_market.newest(self.steps)
        price = self.gpu_market.ref_price[v]
        k = min(self.lenders_per_loan, int((weights > 0).sum()))
        cols = {"lender": [], "borrower": [], "debt": []}
        for n, req in zip(borrowers, requests):
            chosen = self.rng.choice(len(funds), size=k, replace=False, p=weights)
            split = weights[chosen] / weights[chosen].sum()
            loan = 0.0
            for j, s in zip(chosen, split):
                part = min(fill * req * s, capacity[j])
                part = funds[j].disburse(n, part) if part > 0 else 0.0
                capacity[j] -= part
                if part > 0:
                    cols["lender"].append(funds[j].index)
                    cols["borrower"].append(n.index)
                    cols["debt"].append(part)
                    loan += part
            n.invest(loan)
        debt = np.array(cols["debt"])
        # spreads widen as lenders' appetite falls after losses (credit supply)
        appetite = np.array([self.funds[k].appetite for k in cols["lender"]])
        rate = (p.gpu_loan_rate_per_year + p.credit_spread_per_appetite_loss * (1.0 - appetite)) / 12
        self.gpu_loans.originate(cols["lender"], cols["borrower"], v, debt / h / price, debt,
                                 p.gpu_loan_margin_ltv, h, rate, self.steps + 36, 48)

    def _open_new_spvs(self) -> None:
        """Once a year each hyperscaler's off-balance-sheet data-centre capex becomes an SPV [F20].

        The private-credit fund with the most cash lends the subordinated loan and takes the
        majority of the equity; outside investors, a bank and an insurer buy the ABS [F22].
        If no fund can pay its part, the hyperscaler builds on its own balance sheet.
        """
        funds = [f for f in self.funds if not f.defaulted]
        banks = [b for b in self.banks if not b.defaulted]
        insurers = [i for i in self.insurers if not i.defaulted]
        for h in self.hyperscalers:
            size = h.spv_pipeline_usd
            if h.defaulted or size <= 0:
                continue
            h.spv_pipeline_usd = 0.0
            fund = max(funds, key=lambda f: f.cash_usd, default=None)
            k = self.steps // 12 + self.hyperscalers.index(h)        # spread ABS across holders
            holders = (banks[k % len(banks):][:1] + insurers[k % len(insurers):][:1]
                       + [self.outside("bond_investors")])          # a bank first: senior ABS
            terms = SPVTerms(size)
            if (fund is None or fund.cash_usd < terms.fund_pays_usd
                    or h.cash_usd - 2 * h.dues_usd() < terms.lessee_pays_usd
                    or any(x.cash_usd < terms.senior_tranche_usd for x in holders
                           if x.sector != "outside")):
                continue            # not financed: the project is dropped
            spv = open_spv(self, f"SPV {h.name} {2025 + self.steps // 12}", h, size, fund, holders,
                           self.steps + 1, self.p.spv_lease_term_months, paid=True)
            self.institutions.append(spv)

    def liquidate_gpu_loans_of(self, borrower) -> None:
        """A failed neocloud's lenders sell their collateral and keep the deficiency claim."""
        book = self.gpu_loans
        rows = book.rows(borrower=borrower.index)
        depth = self.gpu_depth()
        for r in rows:
            v = int(book.vintage[r])
            units = float(book.units[r])
            price = self.gpu_market.liquidation_price(v, units, depth[v],
                                                      moves_market=self.p.c3_collateral_spiral)
            proceeds = min(units * price, float(book.debt[r]))
            lender_account = self.gpu_lender_accounts[book.lender[r]]
            self.ledger.transfer("gpu_buyers", lender_account, proceeds, "collateral_sale")
            surplus = units * price - proceeds
            if surplus > 0:
                borrower.receive("gpu_buyers", surplus, "collateral_surplus")
            borrower.gpu_units[v] = max(0.0, borrower.gpu_units[v] - units)
            self._book_deficiency(r, float(book.debt[r]) - proceeds, borrower)
            book.close([r])

    def _book_deficiency(self, row: int, amount_usd: float, borrower) -> None:
        """What a GPU loan's collateral did not cover becomes a senior unsecured claim."""
        if amount_usd <= 1e-6:
            return
        k = int(self.gpu_loans.lender[row])
        holder = self.funds[k] if k < len(self.funds) else self.outside("securities_market")
        self.claims.add(Debt(holder=holder, issuer=borrower, kind="gpu_loan_deficiency",
                             seniority=Seniority.SENIOR, principal_usd=amount_usd))

    def sell_gpu_loans_of(self, fund, price_share: float) -> None:
        """A failed fund's GPU loans are sold to the securities market."""
        book = self.gpu_loans
        rows = book.rows(lender=fund.index)
        value = float(book.debt[rows].sum())
        if value > 0:
            fund.receive("securities_market", value * price_share, "estate_gpu_loan_sale")
        book.lender[rows] = len(self.funds)

    # --- the month ---------------------------------------------------------------------------------
    def step(self) -> None:
        self._reset_month_counters()
        self.losses.take_step_total()
        self.ledger.take_flows()
        self.chipmakers[0].gpu_revenue_usd = 0.0
        self._environment()
        self._live().do("decide")
        self._income_and_financing()
        self._settle_obligations()
        self._fire_sale()
        self._resolve_failures()
        self._live().do("act")
        self._renew_contracts()
        self._fund_housekeeping()
        for f in self.funds:
            if not f.defaulted:
                f.update_nav()
        self.index_history.append(self.equity_market.index_level)
        balances = np.array([s.balance_usd() for s in self.savers])
        invested = balances.sum() - self.month_contributions_usd
        self.saver_return_index *= invested / max(self.saver_balances.sum(), 1e-300)
        self.saver_balances = balances
        self._close_expired_contracts()
        self.claims.compact()
        if self.steps % 12 == 0:
            self.gpu_loans.compact()
        self.datacollector.collect(self)
        self.running = self.steps < self.p.steps      # batch_run and SolaraViz stop here

    def _live(self):
        return self.agents.select(lambda a: not a.defaulted)

    def _environment(self) -> None:
        p = self.p
        t = self.steps
        g = (p.demand_growth_long_run_per_year + (p.demand_growth_per_year - p.demand_growth_long_run_per_year)
             * math.exp(-t / p.demand_growth_decay_months))
        shock = self.rng.standard_normal() * p.demand_volatility_per_month
        self.demand_usd *= math.exp(math.log1p(g) / 12 + shock - 0.5 * p.demand_volatility_per_month ** 2)
        if t == p.demand_shock_step:
            self.demand_usd *= 1.0 - p.demand_shock_size
        self.demand_history.append(self.demand_usd)
        if t == p.tech_credit_loss_step:
            self._tech_credit_event(p.tech_credit_loss_share)
        self.gpu_market.update_reference(t, self.demand_surprise())
        expected = [h.expected_growth for h in self.hyperscalers if not h.defaulted]
        news = math.log(self.demand_history[-1] / self.demand_history[-2]) - (
            float(np.mean(expected)) / 12 if expected else 0.0)
        self.equity_market.update(news, self.default_stress(), self.rng)
        self.gpu_market.price = self.gpu_market.ref_price.copy()

    def _tech_credit_event(self, share: float) -> None:
        """Defaults among private credit's other tech borrowers write off ``share`` of that book [F28]."""
        for f in self.funds:
            if f.defaulted:
                continue
            for c in f.claims_held("tech_loan"):
                loss = share * c.value_usd()
                c.write_down(loss)
                self.losses.record(f, loss, c.issuer, "tech_loan", self.steps)

    def investor_appetite(self, revenue_usd: float, costs_usd: float) -> float:
        """Share of a planned equity round outside investors fund (0..1).

        ``a * min(1, s)^2 * min(1, 3 * revenue / costs)``: appetite follows AI sentiment
        ``s`` [F18] and the firm's prospects (how much of its costs revenue covers).
        """
        s = min(1.0, max(self.equity_market.sentiment, 0.0))
        cover = min(1.0, 3.0 * revenue_usd / costs_usd) if costs_usd > 0 else 1.0
        return min(1.0, self.p.outside_investor_appetite * s * s * cover)

    def default_stress(self) -> float:
        """Liabilities of institutions that failed in the last 12 months over all AI debt."""
        recent = sum(e["liabilities_usd"] for e in self.default_events if e["step"] > self.steps - 12)
        total = sum(c.value_usd() for c in self.claims.all if c.is_liability and not c.closed) + 1.0
        return recent / total

    def _income_and_financing(self) -> None:
        p = self.p
        live = self._live()
        live.do("month_income")
        for lab in self.labs:
            if not lab.defaulted and lab.round_plan_usd > 0:
                share = self.investor_appetite(lab.revenue_usd, lab.revenue_usd + lab.monthly_burn_usd())
                lab.issue_equity("outside_investors", share * lab.round_plan_usd, "equity_round")
        for n in self.neoclouds:
            if not n.defaulted and n.raise_plan_usd > 0:
                revenue = sum(c.due_usd(self.steps) for c in n.claims_held("compute_contract"))
                amount = self.investor_appetite(revenue, n.monthly_costs_usd()) * n.raise_plan_usd
                chip = self.chipmakers[0]
                if p.c8_circular_financing and not chip.defaulted:
                    n.issue_equity(chip, 0.1 * amount, "vendor_financing")
                    amount *= 0.9
                n.issue_equity("outside_investors", amount, "equity_round")
        if self.steps == p.coreweave_ipo_step and not self.neoclouds[0].defaulted:   # [F1]
            self.neoclouds[0].issue_equity("outside_investors", p.coreweave_ipo_bn * BN, "ipo")
        for chip in self.chipmakers:
            if not chip.defaulted:
                chip.invest_in_customers()
        if p.c8_circular_financing and self.steps == 10:                          # [F13]
            anthropic = self.labs[1]
            if not anthropic.defaulted:
                anthropic.issue_equity(self.chipmakers[0], p.nvidia_anthropic_investment_bn * BN,
                                       "vendor_financing")
                anthropic.issue_equity(self.hyperscalers[0], p.microsoft_anthropic_investment_bn * BN,
                                       "strategic_investment")
        for h in self.hyperscalers:
            if not h.defaulted:
                h.finance()
                h.invest()
        if self.steps % 12 == 0:
            self._open_new_spvs()
        self._lend_to_neoclouds()
        if not p.c1_demand_to_compute:
            for lab in self.labs:                      # C1 off: an outside backstop pays
                if not lab.defaulted:
                    gap = lab.compute_due_usd() / (1 - lab.opex_share) - lab.cash_usd
                    if gap > 0:
                        lab.receive("outside_investors", gap, "compute_backstop")

    # --- payment clearing -------------------------------------------------------------------------
    def _maturing_rollover(self) -> None:
        """Lenders decide which GPU loans maturing now they roll over (C4)."""
        book = self.gpu_loans
        t = self.steps
        rows = np.flatnonzero(book.active & (book.maturity_step <= t))
        if rows.size == 0:
            return
        draws = self.rng.random(rows.size)
        shares = np.array([self.funds[k].rollover_share() if k < len(self.funds) and not self.funds[k].defaulted
                           else (self.p.rollover_base_share if self.p.c4_rollover_risk else 1.0)
                           for k in book.lender[rows]])
        roll = rows[draws < shares]
        book.roll_over(roll, t, 12)

    def _settle_obligations(self) -> None:
        """Settle everything due this month at once (Eisenberg-Noe clearing)."""
        t = self.steps
        self._maturing_rollover()
        ledger = self.ledger
        nodes: dict[str, int] = {}

        def node(name):
            if name not in nodes:
                nodes[name] = len(nodes)
            return nodes[name]

        rows, cols, vals, items = [], [], [], []
        for c in self.claims.all:
            if c.closed:
                continue
            due = c.due_usd(t)
            if due <= 0:
                continue
            if c.issuer.sector == "outside":               # the outside world always pays
                ledger.transfer(c.issuer.name, c.holder.name, due, c.kind)
                c.settle(due, t)
                continue
            i, j = node(c.issuer.name), node(c.holder.name)
            rows.append(i); cols.append(j); vals.append(due); items.append((c, i, due))
        book = self.gpu_loans
        principal = book.principal_due(t)
        self.gpu_principal_due_usd = float(principal.sum())
        gl_due = book.interest_due() + principal
        live_rows = np.flatnonzero(book.active & (gl_due > 0))
        used_b = np.unique(book.borrower[live_rows])
        used_l = np.unique(book.lender[live_rows])
        borrower_node = np.zeros(len(self.neoclouds), np.int64)
        borrower_node[used_b] = [node(self.neoclouds[b].name) for b in used_b]
        lender_node = np.zeros(len(self.gpu_lender_accounts), np.int64)
        lender_node[used_l] = [node(self.gpu_lender_accounts[k]) for k in used_l]
        gl_nodes_i = borrower_node[book.borrower[live_rows]]
        gl_nodes_j = lender_node[book.lender[live_rows]]
        for inst in self.institutions:
            if inst.defaulted:
                continue
            for payee, amount in inst.obligations_to_outside().items():
                if amount > 0:
                    rows.append(node(inst.name)); cols.append(node(payee)); vals.append(amount)
        n = len(nodes)
        if n == 0:
            return
        all_rows = np.concatenate([np.array(rows, dtype=np.int64), gl_nodes_i])
        all_cols = np.concatenate([np.array(cols, dtype=np.int64), gl_nodes_j])
        all_vals = np.concatenate([np.array(vals, dtype=float), gl_due[live_rows]])
        liab = sparse.csr_matrix((all_vals, (all_rows, all_cols)), shape=(n, n))
        liab.setdiag(0.0)
        names = list(nodes)
        cash = np.array([0.0 if ledger.is_outside(nm) else max(ledger.balance(nm), 0.0) for nm in names])
        result = clear_payments(liab, cash)
        pbar = np.asarray(liab.sum(axis=1)).ravel()
        frac = np.where(pbar > 0, result.payments / np.where(pbar > 0, pbar, 1.0), 1.0)
        frac = np.minimum(frac, 1.0)
        # execute all payments simultaneously through the ledger
        idx = np.array([ledger.index(nm) for nm in names], dtype=np.int64)
        pay_i = idx[all_rows]
        pay_j = idx[all_cols]
        amounts = all_vals * frac[all_rows]
        ledger.transfer_many(pay_i, pay_j, amounts, "clearing")
        self.due_by_kind, self.paid_by_kind = {}, {}
        for c, i, due in items:
            c.settle(due * frac[i], t)
            self.due_by_kind[c.kind] = self.due_by_kind.get(c.kind, 0.0) + due
            self.paid_by_kind[c.kind] = self.paid_by_kind.get(c.kind, 0.0) + due * frac[i]
        paid_fraction = np.zeros(book.active.size)
        paid_fraction[live_rows] = frac[gl_nodes_i]
        book.pay(paid_fraction, t)
        self.payment_defaulters = [names[i] for i in np.flatnonzero(result.defaulted)]

    # --- the fire sale -----------------------------------------------------------------------------
    def _fire_sale(self) -> None:
        """Clear margin calls on GPU-backed loans (C3, [F23-F25])."""
        p = self.p
        gm = self.gpu_market
        book = self.gpu_loans
        self.gpu_loan_failures = []
        depth = self.gpu_depth()
        exog = np.zeros(gm.n_vintages)
        live_borrowers = np.array([not n.defaulted for n in self.neoclouds])
        rows = (np.flatnonzero(book.active & live_borrowers[book.borrower]) if book.active.size
                else np.zeros(0, np.int64))
        if not p.c3_collateral_spiral or rows.size == 0:
            gm.record_clearing(gm.ref_price, exog)
            return
        cash = np.array([max(n.cash_usd, 0.0) if not n.defaulted else 0.0 for n in self.neoclouds])
        res = clear_fire_sale(gm.ref_price, depth, exog, book.vintage[rows], book.borrower[rows],
                              book.units[rows], book.debt[rows], book.margin_ltv[rows],
                              book.target_ltv[rows], cash)
        price = res.price
        self.margin_calls = int(res.margin_called.sum())
        self.margin_called_names = {self.neoclouds[b].name for b in np.unique(book.borrower[rows][res.margin_called])}
        self.gpu_loan_defaults = int(res.defaulted.sum())
        self.units_fire_sold = float(res.units_sold.sum())
        gm.record_clearing(price, res.units_sold)
        # cash posted: borrower -> lender
        lender_idx = np.array([self.ledger.index(a) for a in self.gpu_lender_accounts], dtype=np.int64)
        borrower_idx = np.array([self.ledger.index(n.name) for n in self.neoclouds], dtype=np.int64)
        posted = res.cash_posted
        # the kernel posts at most each borrower's cash up to rounding; make it exact
        total_posted = np.bincount(book.borrower[rows], weights=posted, minlength=len(cash))
        scale = np.divide(cash, total_posted, out=np.ones_like(cash), where=total_posted > cash)
        posted = posted * scale[book.borrower[rows]]
        self.ledger.transfer_many(borrower_idx[book.borrower[rows]], lender_idx[book.lender[rows]],
                                  posted, "margin_cash")
        proceeds = res.sold * price[book.vintage[rows]]
        applied = np.minimum(proceeds, book.debt[rows] - posted)
        gpu_buyers = np.full(rows.size, self.ledger.index("gpu_buyers"), dtype=np.int64)
        self.ledger.transfer_many(gpu_buyers, lender_idx[book.lender[rows]], applied, "fire_sale_proceeds")
        surplus = proceeds - applied
        self.ledger.transfer_many(gpu_buyers, borrower_idx[book.borrower[rows]], np.maximum(surplus, 0.0),
                                  "fire_sale_surplus")
        nv = gm.n_vintages
        sold_bv = np.bincount(book.borrower[rows] * nv + book.vintage[rows], weights=res.sold,
                              minlength=len(self.neoclouds) * nv).reshape(-1, nv)
        for n in self.neoclouds:
            n.gpu_units -= sold_bv[n.index]
        book.debt[rows] = np.maximum(book.debt[rows] - posted - applied, 0.0)
        book.units[rows] = book.units[rows] - res.sold
        book.touch()
        failed = rows[res.defaulted]
        for r in failed:
            self._book_deficiency(int(r), float(book.debt[r]), self.neoclouds[book.borrower[r]])
        book.close(failed)
        self.gpu_loan_failures = sorted({self.neoclouds[b].name for b in book.borrower[failed]})
        for n in self.neoclouds:
            np.maximum(n.gpu_units, 0.0, out=n.gpu_units)

    # --- defaults -------------------------------------------------------------------------------
    def _resolve_failures(self) -> None:
        by_name = {a.name: a for a in self.institutions}
        queue = [(by_name[nm], "payment_default") for nm in getattr(self, "payment_defaulters", [])
                 if nm in by_name]
        queue += [(by_name[nm], "gpu_loan_default") for nm in self.gpu_loan_failures]
        while True:
            for inst, reason in sorted(queue, key=lambda x: x[0].unique_id):
                resolve_default(self, inst, reason)
            queue = [(a, "insolvent") for a in self.institutions if not a.defaulted
                     and a.sector in ("bank", "private_credit", "insurer") and a.equity_usd() < 0]
            if not queue:
                break

    def _close_expired_contracts(self) -> None:
        """Contracts whose term is over and that nobody owes anything on leave the books."""
        t = self.steps
        for c in [c for c in self.claims.all if isinstance(c, Contract) and not c.closed
                  and c.end_step <= t and c.arrears_usd <= 0.0]:
            self.claims.close(c)

    def _renew_contracts(self) -> None:
        """Renewable contracts ending this month: the payer renews for 12 months or lets them lapse.

        A lapse hits the provider's revenue (C2); with C2 off, other customers (outside)
        take the capacity at the same price.
        """
        t = self.steps
        for c in [c for c in self.claims.all if isinstance(c, Contract) and c.renewable
                  and c.end_step == t + 1 and not c.closed]:
            if c.holder.defaulted or c.issuer.defaulted:
                continue
            factor = c.issuer.renewal_factor(c)
            issuer = c.issuer
            if factor is None:
                self.lapsed_contracts += 1
                if self.p.c2_customer_concentration:
                    continue
                issuer, factor = self.outside("spot_compute_buyers"), 1.0
            self.claims.add(Contract(holder=c.holder, issuer=issuer, kind=c.kind,
                                     payment_usd_per_month=c.payment_usd_per_month * factor,
                                     start_step=t + 1, end_step=t + 13, renewable=True))

    def _fund_housekeeping(self) -> None:
        for f in self.funds:
            if not f.defaulted:
                f.pay_redemptions()
                f.manage_liquidity()
                f.distribute()

    # --- outputs ------------------------------------------------------------------------------
    def defaults_by_sector(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.default_events:
            out[e["sector"]] = out.get(e["sector"], 0) + 1
        return out

    def buy_bonds(self, holder, amount_usd: float) -> None:
        """Invest cash in outside bonds (a claim on other borrowers)."""
        if amount_usd <= 0:
            return
        existing = [c for c in self.claims.held(holder, "bond_holding")]
        holder.pay("other_borrowers", amount_usd, "bond_purchase")
        if existing:
            existing[0].principal_usd += amount_usd
        else:
            self.claims.add(Debt(holder=holder, issuer=self.outside("other_borrowers"), kind="bond_holding",
                                 principal_usd=amount_usd, rate_per_month=0.04 / 12))

    def split_claim_to(self, claim, share: float, buyer) -> None:
        """Sell ``share`` of a claim to ``buyer`` (the whole claim when share is 1)."""
        if share >= 1.0 - 1e-12:
            self.claims.transfer(claim, buyer)
        else:
            self.claims.split(claim, share, buyer)
