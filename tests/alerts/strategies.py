"""Hypothesis strategies for the alerts property tests."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

#: Prices on a coarse grid so that hitting a level exactly happens often.
prices = st.integers(min_value=90, max_value=110).map(lambda i: Decimal(i) / 2)
levels = st.integers(min_value=45, max_value=55).map(Decimal)
price_paths = st.lists(prices, min_size=1, max_size=40)
gaps = st.floats(min_value=0.0, max_value=120.0, allow_nan=False)

_symbols = st.sampled_from(["IBM", "MSFT"])
_num = st.integers(min_value=-5, max_value=200).map(Decimal)
_dur = st.sampled_from([0, 1, 5, 30])
_trigger = st.fixed_dictionaries(
    {"mode": st.sampled_from(["every", "once"]), "cooldown": _dur}
) | st.fixed_dictionaries({"mode": st.just("interval"), "interval": st.sampled_from([1, 10])})
_common = {
    "trigger": _trigger,
    "keep_firing_for": _dur,
    "notify_resolved": st.booleans(),
}
_level_common = {**_common, "for": _dur}

rule_dicts = st.one_of(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["price_above", "price_below"]),
            "symbol": _symbols,
            "threshold": _num,
            **_level_common,
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["cross_up", "cross_down"]),
            "symbol": _symbols,
            "level": _num,
            **_common,
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["channel_enter", "channel_exit"]),
            "symbol": _symbols,
            "lower": st.just(Decimal(50)),
            "upper": st.just(Decimal(120)),
            **_common,
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("move"),
            "symbol": _symbols,
            "window": st.sampled_from([5, 60]),
            "percent": st.sampled_from([1, 10]),
            "direction": st.sampled_from(["up", "down", "any"]),
            **_level_common,
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("volume_spike"),
            "symbol": _symbols,
            "factor": st.sampled_from([1, 3]),
            "baseline": st.sampled_from([2, 5]),
            "min_samples": st.just(1),
            **_level_common,
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("no_data"),
            "symbol": _symbols,
            "period": st.sampled_from([5, 30]),
            **_level_common,
        }
    ),
    st.fixed_dictionaries({"kind": st.just("log_pattern"), "pattern": st.just("err"), **_common}),
    st.fixed_dictionaries(
        {
            "kind": st.just("log_frequency"),
            "count": st.sampled_from([1, 3]),
            "window": st.sampled_from([5, 60]),
            **_level_common,
        }
    ),
    st.fixed_dictionaries({"kind": st.just("new_template"), **_common}),
    st.fixed_dictionaries({"kind": st.just("anomaly"), **_common}),
    st.fixed_dictionaries(
        {"kind": st.just("health"), "check": st.sampled_from([None, "disk"]), **_level_common}
    ),
)

event_dicts = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("tick"),
            "symbol": _symbols,
            "price": st.integers(min_value=1, max_value=200).map(str),  # parse_event: > 0
            "volume": st.none() | st.integers(min_value=0, max_value=1000),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("log"),
            "source": st.sampled_from(["wp", "nginx"]),
            "level": st.sampled_from(["info", "error", "WARN", "weird"]),
            "message": st.sampled_from(["err 1", "ok", "error x"]),
            "template_id": st.sampled_from(["", "t1", "t2"]),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("anomaly"),
            "kind": st.sampled_from(["new_template", "rate_spike", "error_burst"]),
            "source": st.just("wp"),
            "template_id": st.sampled_from(["t3", "t4"]),
            "count": st.integers(min_value=0, max_value=9),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("health"),
            "check": st.sampled_from(["disk", "bridge"]),
            "status": st.sampled_from(["ok", "warn", "fail"]),
        }
    ),
)
