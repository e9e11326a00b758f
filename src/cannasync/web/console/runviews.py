"""Sync runs as console screens show them: plain values read inside the unit of work, safe to render after it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cannasync.connectors.registry import VENDORS
from cannasync.store.tables import Integration, SyncRun

#: The counts a merchant reads after a menu sync, in the order the seeds name them.
MAIN_COUNTS = ("created", "updated", "unchanged", "hidden", "quarantined")
UNFINISHED = ("queued", "running")


@dataclass(frozen=True, slots=True)
class RunView:
    id: int
    integration_id: int
    flow: str
    trigger: str
    status: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    pages: int
    seen: int
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def unfinished(self) -> bool:
        return self.status in UNFINISHED

    @property
    def seconds(self) -> float | None:
        """How long it took; None until it has ended."""
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())

    @property
    def took(self) -> str:
        return duration(self.seconds)

    @property
    def shown_counts(self) -> list[tuple[str, int]]:
        """The five counts always (a zero says something too), then any others the run recorded that are not zero."""
        main = [(name, int(self.counts.get(name, 0) or 0)) for name in MAIN_COUNTS]
        extra = [
            (name.replace("left_out_", "left out: "), int(value))
            for name, value in sorted(self.counts.items())
            if name not in MAIN_COUNTS and isinstance(value, int) and value
        ]
        return main + extra


def run_view(row: SyncRun) -> RunView:
    return RunView(
        id=row.id,
        integration_id=row.integration_id,
        flow=row.flow,
        trigger=row.trigger,
        status=row.status,
        queued_at=row.queued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        pages=row.pages,
        seen=row.seen,
        counts=dict(row.counts or {}),
        error=row.error,
    )


def duration(seconds: float | None) -> str:
    """'4.2 s', '3 min 10 s', '24 h': how long a run took (or how often one runs), at the precision a person
    cares about."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"  # "every 24 h", never "24 h 0 min"


def vendor_title(row: Integration) -> str:
    spec = VENDORS.get(row.vendor)
    title = spec.title if spec else row.vendor
    return f"{title} · {row.name}" if row.name else title
