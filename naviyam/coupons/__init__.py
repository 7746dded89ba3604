"""Coupons: pure rules (``rules``), wallet service (``service``), atomic redemption (``redemption``).

See docs/COUPONS_AND_BALANCE.md.
"""
