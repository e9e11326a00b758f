"""``cannasync sandbox <name>``: one command over the sandboxes' table (sandboxes/catalogue.py), taking the same
command lines as the five commands it replaced (README, docs/benchmarks.md, bench/)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest
from typer.testing import CliRunner

import cannasync.cli
from cannasync.cli import app
from cannasync.sandboxes.catalogue import SANDBOXES

Served = list[tuple[str, str, int, dict[str, Any]]]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Served:
    """Each sandbox's run, recorded instead of served."""
    calls: Served = []

    def recorder(name: str) -> Any:
        return lambda host, port, options: calls.append((name, host, port, dict(options)))

    table = {name: dataclasses.replace(row, run=recorder(name)) for name, row in SANDBOXES.items()}
    monkeypatch.setattr(cannasync.cli, "SANDBOXES", table)
    return calls


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (  # README
            "flourish --port 8101 --items 500",
            ("flourish", "127.0.0.1", 8101, {"items": 500, "seed": 1, "locations": 0, "quiet": False}),
        ),
        (
            "flowhub --port 8102",
            ("flowhub", "127.0.0.1", 8102, {"items": 500, "seed": 1, "locations": 0, "rps": 59.0, "quiet": False}),
        ),
        (
            "alleaves --port 8103",
            (
                "alleaves",
                "127.0.0.1",
                8103,
                {"items": 500, "seed": 1, "locations": 0, "per_minute": 600, "quiet": False},
            ),
        ),
        ("sms --port 8104", ("sms", "127.0.0.1", 8104, {})),
        ("leaflink --port 8105", ("leaflink", "127.0.0.1", 8105, {"seed": 1})),
        (  # docs/benchmarks.md
            "flourish --items 500 --locations 1000 --quiet",
            ("flourish", "127.0.0.1", 8101, {"items": 500, "seed": 1, "locations": 1000, "quiet": True}),
        ),
        (
            "flowhub --items 500 --locations 1000 --rps 0 --quiet",
            ("flowhub", "127.0.0.1", 8102, {"items": 500, "seed": 1, "locations": 1000, "rps": 0.0, "quiet": True}),
        ),
        (
            "alleaves --items 500 --locations 1000 --per-minute 0",
            (
                "alleaves",
                "127.0.0.1",
                8103,
                {"items": 500, "seed": 1, "locations": 1000, "per_minute": 0, "quiet": False},
            ),
        ),
        (  # bench/scale.py
            "flowhub --port 9000 --items 20 --seed 3 --locations 5 --rps 0 --quiet --host 0.0.0.0",
            ("flowhub", "0.0.0.0", 9000, {"items": 20, "seed": 3, "locations": 5, "rps": 0.0, "quiet": True}),
        ),
    ],
)
def test_the_command_lines_in_use_serve_the_same_sandbox(served: Served, line: str, expected: tuple[Any, ...]) -> None:
    result = CliRunner().invoke(app, ["sandbox", *line.split()])
    assert result.exit_code == 0, result.output
    assert served == [expected]


def test_a_sandbox_says_where_it_listens(served: Served) -> None:
    result = CliRunner().invoke(app, ["sandbox", "flourish", "--port", "8111"])
    assert "Flourish sandbox on http://127.0.0.1:8111/external/api (key demo-key)" in result.output


@pytest.mark.parametrize("line", ["sms --quiet", "leaflink --items 5", "flourish --rps 0", "nowhere"])
def test_an_option_the_sandbox_does_not_take_or_an_unknown_sandbox_is_refused(served: Served, line: str) -> None:
    result = CliRunner().invoke(app, ["sandbox", *line.split()])
    assert result.exit_code == 2 and served == []


def test_each_row_hands_its_options_to_its_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table's runners call the sandboxes' own ``run`` as the five commands did (0 turns a rate limit off)."""
    import importlib

    calls: dict[str, Mapping[str, Any]] = {}
    for name in SANDBOXES:
        module = importlib.import_module(f"cannasync.sandboxes.{name}")
        monkeypatch.setattr(module, "run", lambda *args, _name=name, **kwargs: calls.__setitem__(_name, kwargs))
    for row in SANDBOXES.values():
        row.run("127.0.0.1", row.port, {**row.defaults, "rps": 0.0, "per_minute": 0, "quiet": True})
    assert calls["flowhub"]["rate_limit_rps"] is None and calls["flowhub"]["log_level"] == "warning"
    assert calls["alleaves"]["rate_limit_per_minute"] is None
    assert calls["flourish"] == {
        "host": "127.0.0.1",
        "port": 8101,
        "items": 500,
        "seed": 1,
        "locations": 0,
        "log_level": "warning",
    }
    assert calls["leaflink"] == {"host": "127.0.0.1", "port": 8105, "seed": 1}
    assert calls["sms"] == {"host": "127.0.0.1", "port": 8104}
