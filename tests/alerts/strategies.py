"""Hypothesis strategies for the alerts property tests."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

#: Prices on a coarse grid so that hitting a level exactly happens often.
prices = st.integers(min_value=90, max_value=110).map(lambda i: Decimal(i) / 2)
levels = st.integers(min_value=45, max_value=55).map(Decimal)
price_paths = st.lists(prices, min_size=1, max_size=40)
gaps = st.floats(min_value=0.0, max_value=120.0, allow_nan=False)
