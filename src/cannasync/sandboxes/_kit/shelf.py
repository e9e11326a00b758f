"""A location's stock that is derived when read and never stored, for the sandboxes' generated locations.

Shared by the Flourish, Flowhub and Alleaves sandboxes (sandboxes may import each other, never the hub). A row
comes from a random stream seeded by ``(seed, location, item)``, so it is the same on every read and in every
process, and 1,000 locations × 500 items cost no memory and no start-up time until read. Writes (a quantity
control route, a created item's stock, a deletion) are kept as overrides on top, so a generated location answers
writes like a seeded one. Each vendor says how a row is derived (``_derive``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, Generic, TypeVar

K = TypeVar("K")
Row = TypeVar("Row")


class DerivedShelf(MutableMapping[K, Row], Generic[K, Row]):
    def __init__(self, items: Mapping[K, Any]) -> None:
        self._items = items  # the generated items by id (shared by every shelf; never changed)
        self._overrides: dict[K, Row] = {}
        self._removed: set[K] = set()

    def _derive(self, key: K) -> Row | None:
        """The row this location has of a generated item, or None when it does not carry it."""
        raise NotImplementedError

    def __getitem__(self, key: K) -> Row:
        if key in self._overrides:
            return self._overrides[key]
        row = None if key in self._removed or key not in self._items else self._derive(key)
        if row is None:
            raise KeyError(key)
        return row

    def __setitem__(self, key: K, row: Row) -> None:
        self._overrides[key] = row
        self._removed.discard(key)

    def __delitem__(self, key: K) -> None:
        if key not in self:
            raise KeyError(key)
        self._overrides.pop(key, None)
        self._removed.add(key)

    def __iter__(self) -> Iterator[K]:
        for key in self._items:
            if key in self._overrides or (key not in self._removed and self._derive(key) is not None):
                yield key
        yield from (key for key in self._overrides if key not in self._items)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def stored_rows(self) -> int:
        """How many rows this shelf keeps in memory (overrides only): what a memory check counts."""
        return len(self._overrides) + len(self._removed)
