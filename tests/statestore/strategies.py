"""Hypothesis strategies for the rate-limit property tests."""

from __future__ import annotations

from hypothesis import strategies as st

#: One step of a schedule: advance the clock by ``dt`` seconds, then hit with ``cost``.
steps = st.tuples(
    st.sampled_from([0.0, 0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.999, 1.0, 1.001, 2.5]),
    st.integers(min_value=1, max_value=3),
)
schedules = st.lists(steps, min_size=1, max_size=60)
limits = st.integers(min_value=3, max_value=8)
windows = st.sampled_from([0.5, 1.0, 2.0, 5.0])
