"""Every market of the economy, one module each; the model creates each market in its ``__init__``.

- :mod:`abm.markets.gpu`: the GPU market (``economy.gpu_market``): capacity, utilisation,
  rental rates, the reference price of each vintage and its depth (C3).
- :mod:`abm.markets.fire_sale`: the month's GPU fire sale (C3): margin calls on GPU-backed
  loans cleared at the greatest consistent prices, the trades settled on the books.
- :mod:`abm.markets.fire_sale_kernel`: the clearing itself, a compiled Cython kernel with
  its pure-Python reference and shared validation (``docs/spec/fire-sale-clearing.md``).
- :mod:`abm.markets.equity`: the equity market (``economy.equity_market``): AI sentiment,
  listed firms' values and the AI index (C10).
- :mod:`abm.markets.loan_market`: the secondary market for private loans, fund interests and
  data-centre ABS (``economy.loan_market``, C12), cleared by the compiled kernel of
  :mod:`abm.markets.loan_market_kernel` (``docs/spec/loan-market-clearing.md``).
- :mod:`abm.markets.index_pool`: the 401(k) index pool (``economy.index_pool``): the savers'
  index as claims on every listed firm, traded with the outside investors.

Nothing is imported here, so importing one market does not need the compiled kernel.
"""
