"""TemplateMiner: masking, grouping, merges, bounded memory and JSON state."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logkit import ConfigurationError, StateError, TemplateMiner, _templates, mask
from logkit._templates import WILDCARD

if TYPE_CHECKING:
    from pathlib import Path


class TestMasking:
    @pytest.mark.parametrize(
        ("message", "masked"),
        [
            pytest.param("GET https://x.test/a?b=1 done", "GET <*> done", id="url"),
            pytest.param("from 10.0.0.1:8080 and fe80::1:2", "from <*> and <*>", id="ips"),
            pytest.param("id 123e4567-e89b-12d3-a456-426614174000", "id <*>", id="uuid"),
            pytest.param("open /var/www/html/index.php failed", "open <*> failed", id="path"),
            pytest.param("user=bob retries=3 ok=true", "user=<*> retries=<*> ok=<*>", id="kv"),
            pytest.param("took 35 ms (1.2 KB) total", "took <*> total", id="units"),
            pytest.param("addr 0xdeadBEEF mac 00:1a:2b:3c:4d:5e", "addr <*> mac <*>", id="hex"),
            pytest.param("at Mon Jun 20 03:40:59 2005 end", "at <*> end", id="date"),
        ],
    )
    def test_generic_variables(self, message: str, masked: str) -> None:
        assert mask(message) == masked


class TestMining:
    def test_groups_and_generalises(self) -> None:
        miner = TemplateMiner()
        first = miner.add("Invalid user admin from 1.2.3.4")
        assert first.is_new
        for user in ("oracle", "guest", "test"):
            miner.add(f"Invalid user {user} from 5.6.7.8")
        [template] = miner.templates
        assert template.template == "Invalid user <*> from <*>"
        assert template.count == 4
        assert miner.resolve(first.template_id) == template.id

    def test_different_events_stay_apart(self) -> None:
        miner = TemplateMiner()
        miner.add("Connection closed by 1.2.3.4")
        miner.add("Accepted password for root from 1.2.3.4 port 22 ssh2")
        assert len(miner) == 2
        assert miner.match("Connection closed by 9.9.9.9") is not None
        assert miner.match("something never seen before at all") is None

    def test_memory_is_bounded(self) -> None:
        miner = TemplateMiner(max_templates=5)
        words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
        results = [miner.add(f"{w} {w}{w} {w}-{w}") for w in words]
        assert len(miner) <= 6
        assert results[-1].template_id == "overflow"

    def test_invalid_configuration(self) -> None:
        with pytest.raises(ConfigurationError):
            TemplateMiner(similarity=0)
        with pytest.raises(ConfigurationError):
            TemplateMiner(siblings=1)


class TestState:
    def test_json_round_trip(self, tmp_path: Path) -> None:
        miner = TemplateMiner()
        ids = [miner.add(f"job {i} finished in {i} s").template_id for i in range(5)]
        path = tmp_path / "miner.json"
        miner.save(path)
        assert json.loads(path.read_text())["version"] == 1
        loaded = TemplateMiner.load(path)
        again = loaded.add("job 99 finished in 7 s")
        assert not again.is_new
        assert again.template_id == loaded.resolve(ids[0])

    @pytest.mark.parametrize(
        "content",
        [
            pytest.param("not json", id="garbage"),
            pytest.param('{"version": 99}', id="version"),
            pytest.param('{"version": 1, "config": {}}', id="incomplete"),
        ],
    )
    def test_bad_state_is_refused(self, tmp_path: Path, content: str) -> None:
        path = tmp_path / "miner.json"
        path.write_text(content)
        with pytest.raises(StateError):
            TemplateMiner.load(path)


# Tokens built from the characters the structured forms are made of, so that URLs, paths,
# IPs, MACs, UUIDs and hex runs (and near misses) come up often.
_TOKEN_CHARS = "0123456789abcdefABCDEFxX:/.-@\\_=()[]\"'<>~%+gz"


class TestFastPaths:
    """The speed-ups (pruned alternation, route cache, sibling scan) change no result."""

    @given(st.text(alphabet=_TOKEN_CHARS, min_size=1, max_size=40))
    @settings(max_examples=300, deadline=None)
    def test_pruned_alternation_masks_like_the_full_one(self, token: str) -> None:
        pruned = _templates._structured_for(token)
        expected = _templates._STRUCTURED.sub(WILDCARD, token)
        assert (pruned.sub(WILDCARD, token) if pruned else token) == expected

    @pytest.mark.parametrize(
        "token",
        [
            "http://h/x",
            "a@b.c",
            "/a/b",
            "C:\\a\\b",
            "123e4567-e89b-12d3-a456-426614174000",
            "00:1a-2b:3c-4d:5e",
            "10.0.0.1:80",
            "fe80:0:1:2",
            "db1.local:5432",
            "0x1F",
            "deadbeef01",
        ],
    )
    def test_every_structured_form_is_still_found(self, token: str) -> None:
        pruned = _templates._structured_for(token)
        assert pruned is not None
        assert pruned.sub(WILDCARD, token) == WILDCARD

    def test_repeated_message_after_generalisation(self) -> None:
        miner = TemplateMiner()
        first = miner.add("Started job alpha on node")
        again = miner.add("Started job alpha on node")
        assert again.template_id == first.template_id
        assert again.template == "Started job alpha on node"
        assert not again.is_new
        assert not again.changed
        miner.add("Started job beta on node")
        miner.add("Started job gamma on node")  # third value: the position is a variable
        after = miner.add("Started job alpha on node")
        assert after.template == "Started job <*> on node"
        assert after.template_id == miner.resolve(first.template_id)
        [template] = miner.templates
        assert template.count == 5

    def test_same_shape_different_digits_share_the_route(self) -> None:
        miner = TemplateMiner()
        a = miner.add("worker 12 finished in 35 ms")
        b = miner.add("worker 98 finished in 71 ms")
        assert a.template_id == b.template_id
        assert b.template == "worker <*> finished in <*>"

    def test_fast_path_agrees_with_a_fresh_miner_after_reload(self, tmp_path: Path) -> None:
        messages = [f"user u{i % 7} logged in from host{i % 3}" for i in range(40)]
        messages += [f"disk {n} at {n * 3} percent" for n in range(10)]
        warm = TemplateMiner()
        for message in messages:
            warm.add(message)
        warm.save(tmp_path / "t.json")
        cold = TemplateMiner.load(tmp_path / "t.json")
        for message in messages:
            assert warm.add(message) == cold.add(message)
