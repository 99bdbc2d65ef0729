"""The portfolio for management and the region: funnel, balance, capacity, maturity, and
the public page (docs/portfolio.md)."""
