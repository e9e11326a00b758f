"""Slowing down guessing: wrong answers counted per scope and key in a sliding window, in the database, so every
serve process counts alike (the console's sign-in, the shop's order lookup)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cannasync.store.tables import SignInFailure
from cannasync.store.types import utcnow

#: How long a wrong answer counts. One window for every scope: each failure recorded clears what has left it.
WINDOW = timedelta(minutes=15)


class Throttle:
    def __init__(self, session: Session) -> None:
        self.session = session

    def until(
        self, keys: Sequence[tuple[str, str]], limits: Mapping[str, int], now: datetime | None = None
    ) -> datetime | None:
        """When every (scope, key) may try again, if any has used up its ``limits[scope]`` failures in the window."""
        now = now or utcnow()
        since = now - WINDOW
        until: datetime | None = None
        for scope, key in keys:
            recent = self.session.execute(
                select(func.count(), func.min(SignInFailure.at)).where(
                    SignInFailure.scope == scope, SignInFailure.key == key[:320], SignInFailure.at > since
                )
            ).one()
            count, oldest = int(recent[0]), recent[1]
            if count >= limits[scope] and oldest is not None:
                free_at = oldest + WINDOW
                until = free_at if until is None else max(until, free_at)
        return until

    def record(self, keys: Sequence[tuple[str, str]], now: datetime | None = None) -> None:
        now = now or utcnow()
        for scope, key in keys:
            self.session.add(SignInFailure(scope=scope, key=key[:320], at=now))
        # Old rows are no use: each failure clears what has left the window, so the table stays small.
        self.session.execute(delete(SignInFailure).where(SignInFailure.at <= now - WINDOW))
        self.session.flush()

    def forgive(self, scope: str, key: str) -> None:
        """A right answer forgives the key's earlier mistakes (never an address's)."""
        self.session.execute(delete(SignInFailure).where(SignInFailure.scope == scope, SignInFailure.key == key[:320]))
