"""Meal-card balance: spendable budget (``budget``), low-balance alert (``alerts``),
operator sync adapter (``sync``, ``breaker``) and its local simulator (``operator_simulator``).

See docs/COUPONS_AND_BALANCE.md.
"""
