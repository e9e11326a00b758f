"""Many locations (a scale test): one process and one set of credentials standing for a chain of stores.

``create_app(..., locations=N)`` (``cannasync sandbox alleaves --locations N``) serves N generated
locations besides the well-known ones, ``ALV-2001`` upwards ("Evergreen Dispensary — Store <n>", Main St's
five areas and threshold), which every user may open, so that one process and one set of credentials stand
for a chain of a thousand stores. Items are shared, as at the well-known locations; what differs is what
each location carries and how many. A generated location carries about 90% of the well-formed items (every
malformed one, so each store has records to quarantine) with stock by area of its own, each row derived
from ``(seed, location id, item id)`` when it is read and never stored (``FleetShelf`` below), so a
thousand locations cost no start-up time and no memory until asked; writes through the control routes are
kept on top. The rate limit is per access token, hence per location already.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from cannasync.sandboxes._kit.shelf import DerivedShelf
from cannasync.sandboxes.alleaves.catalog import is_bulk, stock_split
from cannasync.sandboxes.alleaves.places import AREAS, JSON, LOCATIONS, MAIN, RETAIL

#: Generated locations take ids from here up (``ALV-2001``, ``ALV-2002``, ...), clear of the well-known ones.
FLEET_FIRST_NUMBER = 2001
#: Probability that a generated location carries a well-formed item (malformed ones are always carried).
FLEET_CARRY_PROBABILITY = 0.9


def fleet_location(index: int) -> JSON:
    """The ``index``-th generated location (0-based), shaped like Main St (same areas and threshold)."""
    number = FLEET_FIRST_NUMBER + index
    main = LOCATIONS[0]
    return {
        **main,
        "location_id": f"ALV-{number}",
        "name": f"Evergreen Dispensary \u2014 Store {number}",
        "address": {"line1": f"{100 + index % 9000} Main St", "city": "Vancouver", "state": "WA", "postcode": "98660"},
        "menu_types": list(main["menu_types"]),
    }


def fleet_areas() -> list[JSON]:
    """A generated location's areas: Main St's five."""
    return [dict(area) for area in AREAS[MAIN]]


class FleetShelf(DerivedShelf[str, dict[str, int | float]]):
    """What one generated location carries: item id → area id → quantity (``sandboxes/_kit/shelf.py``)."""

    def __init__(self, seed: int, location_id: str, items: Mapping[str, JSON], malformed: Mapping[str, str]) -> None:
        self._seed = seed
        self._location_id = location_id
        super().__init__(items)
        self._malformed = malformed

    def _derive(self, item_id: str) -> dict[str, int | float] | None:
        item = self._items[item_id]  # the shelf asks only for generated items (sandboxes/_kit/shelf.py)
        rng = random.Random(f"alleaves-fleet:{self._seed}:{self._location_id}:{item_id}")
        if item_id in self._malformed:
            return {RETAIL: rng.randint(10, 40)}
        if rng.random() >= FLEET_CARRY_PROBABILITY:
            return None
        # Main St's profile (areas and threshold); an empty split means no stock, i.e. not listed.
        return stock_split(rng, MAIN, is_bulk(item)) or None


def fleet(seed: int, count: int, items: Sequence[JSON], malformed: Mapping[str, str]) -> dict[str, FleetShelf]:
    """``count`` generated locations' shelves, by location id, over the generated ``items``."""
    by_id = {item["item_id"]: item for item in items}
    frozen = dict(malformed)
    return {
        location["location_id"]: FleetShelf(seed, location["location_id"], by_id, frozen)
        for location in (fleet_location(index) for index in range(count))
    }
