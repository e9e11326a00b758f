"""What a sync run produces: mapped records, quarantined ones, and the counts a merchant reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


class MappingError(ValueError):
    """A vendor record that cannot become a domain record; the message is the quarantine reason."""


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A vendor record kept aside with the reason it could not be mapped, so it can be fixed and replayed."""

    external_id: str | None
    payload: Mapping[str, Any]
    reason: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where a run's read got to, recorded with each written page (``sync_runs.checkpoint``, a JSON object).

    ``pages`` written so far; ``cursor`` resumes the read after the last of them (None: from the start, or nothing
    is left); ``resumed_from`` is the lost run this one took over (None: the run started afresh).
    """

    pages: int = 0
    cursor: str | None = None
    resumed_from: int | None = None

    @classmethod
    def from_json(cls, stored: Mapping[str, Any] | None) -> Checkpoint:
        """The checkpoint a run stored (None or empty for a run that stored none: it resumes nothing)."""
        stored = stored or {}
        cursor, lost = stored.get("cursor"), stored.get("resumed_from")
        return cls(
            pages=int(stored.get("pages", 0)),
            cursor=None if cursor is None else str(cursor),
            resumed_from=None if lost is None else int(lost),
        )

    def as_json(self) -> dict[str, Any]:
        """The stored form, as runs have always stored it: ``resumed_from`` only in a run that resumed one."""
        stored: dict[str, Any] = {"pages": self.pages, "cursor": self.cursor}
        return stored if self.resumed_from is None else {"resumed_from": self.resumed_from, **stored}

    @property
    def resuming(self) -> bool:
        """Whether this run took over a lost one's read (and so reads only the rest of it)."""
        return self.resumed_from is not None

    def taken_over_from(self, lost_run_id: int) -> Checkpoint:
        """The checkpoint of the run that takes over ``lost_run_id``, whose checkpoint this is."""
        return replace(self, resumed_from=lost_run_id)


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
    #: Values a vendor sent that the store does not show, by kind (a POS's terpenes not among the sixteen).
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
