"""What a sync run produces: mapped records, quarantined ones, and the counts a merchant reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class MappingError(ValueError):
    """A vendor record that cannot become a domain record; the message is the quarantine reason."""


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A vendor record kept aside with the reason it could not be mapped, so it can be fixed and replayed."""

    external_id: str | None
    payload: Mapping[str, Any]
    reason: str


@dataclass(slots=True)
class RunCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    hidden: int = 0
    quarantined: int = 0
    skipped: int = 0
    #: Completed sales read for the first time (a loyalty pull).
    sales: int = 0
    #: Values a vendor sent that the store does not show, by kind (Alleaves terpenes not among the sixteen).
    left_out: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {
            **{f"left_out_{kind}": count for kind, count in sorted(self.left_out.items())},
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "hidden": self.hidden,
            "quarantined": self.quarantined,
            "skipped": self.skipped,
            "sales": self.sales,
        }
