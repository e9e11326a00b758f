"""Which sandboxes ``cannasync sandbox <name>`` serves: one row per sandbox, with its port, the line it prints, the
options it takes (and their defaults) and how it is run.

The command (``cli``) reads only this table, so it names no vendor; a new sandbox is a package here and one row.
Each sandbox module is imported only when it is served.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

#: Every option a sandbox may take, and what it means (a row's ``notes`` say more for that sandbox).
OPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "items": "How many catalogue items to generate",
        "seed": "Seed for the generated data",
        "locations": "Generated locations to serve besides the seeded ones, for scale tests",
        "rps": "Requests per second per client; 0 turns the limit off",
        "per_minute": "Requests per minute per access token; 0 turns the limit off",
        "quiet": "Log warnings only (no line per request)",
    }
)


@dataclass(frozen=True, slots=True)
class Sandbox:
    name: str
    #: What it stands for and how to sign in to it (the command's help shows it).
    summary: str
    port: int
    #: Printed when it starts; ``{host}`` and ``{port}`` are filled in.
    banner: str
    #: Serves until interrupted: ``run(host, port, options)`` with every option of ``defaults``, given or default.
    run: Callable[[str, int, Mapping[str, Any]], None]
    #: The options it takes (names from ``OPTIONS``) and their defaults; any other option is refused.
    defaults: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: What an option means for this sandbox, where it says more than ``OPTIONS`` does.
    notes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def _log_level(options: Mapping[str, Any]) -> str:
    return "warning" if options["quiet"] else "info"


def _flourish(host: str, port: int, options: Mapping[str, Any]) -> None:
    from cannasync.sandboxes import flourish

    flourish.run(
        host=host,
        port=port,
        items=options["items"],
        seed=options["seed"],
        locations=options["locations"],
        log_level=_log_level(options),
    )


def _flowhub(host: str, port: int, options: Mapping[str, Any]) -> None:
    from cannasync.sandboxes import flowhub

    flowhub.run(
        host=host,
        port=port,
        items=options["items"],
        seed=options["seed"],
        locations=options["locations"],
        rate_limit_rps=options["rps"] or None,
        log_level=_log_level(options),
    )


def _alleaves(host: str, port: int, options: Mapping[str, Any]) -> None:
    from cannasync.sandboxes import alleaves

    alleaves.run(
        host=host,
        port=port,
        items=options["items"],
        seed=options["seed"],
        locations=options["locations"],
        rate_limit_per_minute=options["per_minute"] or None,
        log_level=_log_level(options),
    )


def _sms(host: str, port: int, options: Mapping[str, Any]) -> None:
    from cannasync.sandboxes import sms

    sms.run(host=host, port=port)


def _leaflink(host: str, port: int, options: Mapping[str, Any]) -> None:
    from cannasync.sandboxes import leaflink

    leaflink.run(host=host, port=port, seed=options["seed"])


def _table(*rows: Sandbox) -> Mapping[str, Sandbox]:
    return MappingProxyType({row.name: row for row in rows})


SANDBOXES: Mapping[str, Sandbox] = _table(
    Sandbox(
        "flourish",
        "Flourish's External API: x-api-key 'demo-key' (username 'demo')",
        8101,
        "Flourish sandbox on http://{host}:{port}/external/api (key demo-key)",
        _flourish,
        MappingProxyType({"items": 500, "seed": 1, "locations": 0, "quiet": False}),
        MappingProxyType({"locations": "facilities besides 101 and 102, ids 1001 up"}),
    ),
    Sandbox(
        "flowhub",
        "Flowhub's API (credentials in the module docstring of cannasync.sandboxes.flowhub)",
        8102,
        "Flowhub sandbox on http://{host}:{port}",
        _flowhub,
        MappingProxyType({"items": 500, "seed": 1, "locations": 0, "rps": 59.0, "quiet": False}),
        MappingProxyType(
            {
                "items": "per location",
                "locations": "besides the two seeded ones, loc-00001 up",
                "rps": "per clientId",
            }
        ),
    ),
    Sandbox(
        "alleaves",
        "An Alleaves API of cannasync's design (location ALV-1001, user demo / demo-pass)",
        8103,
        "Alleaves sandbox on http://{host}:{port}/api/v1",
        _alleaves,
        MappingProxyType({"items": 500, "seed": 1, "locations": 0, "per_minute": 600, "quiet": False}),
        MappingProxyType({"locations": "besides ALV-1001 and ALV-1002, ALV-2001 up"}),
    ),
    Sandbox(
        "sms",
        "A local SMS gateway that records texts and simulates replies (API key sms-demo-key)",
        8104,
        "SMS gateway sandbox on http://{host}:{port}/v1",
        _sms,
    ),
    Sandbox(
        "leaflink",
        "LeafLink Marketplace v2, seller side (keys ll-key-company-1 and ll-key-company-2)",
        8105,
        "LeafLink sandbox on http://{host}:{port}/api/v2/",
        _leaflink,
        MappingProxyType({"seed": 1}),
    ),
)


def describe() -> str:
    """The table as the command's help shows it: each sandbox, its port and the options it takes."""
    lines = []
    for row in SANDBOXES.values():
        taken = ", ".join(
            f"--{name.replace('_', '-')}"
            + ("" if isinstance(default, bool) else f" {default}")
            + (f" ({row.notes[name]})" if name in row.notes else "")
            for name, default in row.defaults.items()
        )
        lines.append(f"{row.name} (port {row.port}): {row.summary}." + (f" Options: {taken}." if taken else ""))
    return "\n\n".join(lines)
