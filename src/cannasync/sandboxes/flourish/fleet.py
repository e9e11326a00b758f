"""Generated facilities: one process standing for a chain of a thousand stores.

Many facilities (a scale test)
------------------------------
``create_app(..., locations=N)`` (``cannasync sandbox flourish --locations N``) serves N generated
facilities besides the well-known ones, ids ``"1001"`` upwards, named "Great Lakes Provisions - Store
<id>", so that one process stands for a chain of a thousand stores. Items stay company-wide, as in
Flourish: every facility sees the same ``--items`` items; what differs is each facility's stock. A generated
facility stocks about 90% of the well-formed items (every malformed one, so each store has records to
quarantine) with quantities of its own, each row derived from ``(seed, facility id, item id)`` when it is
read and never stored (``FleetShelf`` below), so a thousand facilities cost no start-up time and
no memory until asked. Writes through the control routes are kept on top. Generated facilities have no
retail discounts, sales reps, seeded customers or sales: everything seeded stays as it is without them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from cannasync.sandboxes._kit.shelf import DerivedShelf
from cannasync.sandboxes.flourish.catalog import stock_row

JSON = dict[str, Any]

#: Generated facilities take ids from here up (``"1001"``, ``"1002"``, ...), clear of the well-known ones.
FLEET_FIRST_ID = 1001
#: Probability that a generated facility stocks a well-formed item (malformed ones are always stocked).
FLEET_STOCK_PROBABILITY = 0.9


def fleet_facility(index: int) -> JSON:
    """The ``index``-th generated facility (0-based): a record shaped like the well-known ones."""
    number = FLEET_FIRST_ID + index
    return {
        "id": str(number),
        "facility_name": f"Great Lakes Provisions - Store {number}",
        "facility_type": "Retail",
        "license_number": f"AU-R-{number:06d}",
        "address": {
            "address_line_1": f"{100 + index % 9000} Main St",
            "city": "Detroit",
            "state": "MI",
            "postcode": f"{48201 + index % 90}",
        },
    }


class FleetShelf(DerivedShelf[str, dict[str, int]]):
    """What one generated facility stocks: item id → quantities, derived when read (``sandboxes/_kit/shelf.py``)."""

    def __init__(self, seed: int, facility_id: str, items: Mapping[str, JSON], malformed: Mapping[str, str]) -> None:
        self._seed = seed
        self._facility_id = facility_id
        super().__init__(items)
        self._malformed = malformed

    def _derive(self, item_id: str) -> dict[str, int] | None:
        item = self._items[item_id]  # the shelf asks only for generated items (sandboxes/_kit/shelf.py)
        rng = random.Random(f"flourish-fleet:{self._seed}:{self._facility_id}:{item_id}")
        if rng.random() >= FLEET_STOCK_PROBABILITY and item_id not in self._malformed:
            return None
        return stock_row(rng, item["uom"])


def fleet(seed: int, count: int, items: Sequence[JSON], malformed: Mapping[str, str]) -> dict[str, FleetShelf]:
    """``count`` generated facilities' shelves, by facility id, over the generated ``items``."""
    by_id = {item["id"]: item for item in items}
    frozen = dict(malformed)
    return {
        facility["id"]: FleetShelf(seed, facility["id"], by_id, frozen)
        for facility in (fleet_facility(index) for index in range(count))
    }
