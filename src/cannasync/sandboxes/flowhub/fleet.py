"""Generated locations: one process and one set of credentials standing for a chain of a thousand stores.

Many locations (a scale test)
-----------------------------
``create_app(..., locations=N)`` (``cannasync sandbox flowhub --locations N``) serves N generated locations
besides the well-known ones, ``loc-00001`` upwards ("Sunset Cannabis Co. - Store <n>", the same four rooms
with ids derived as above), all owned by every configured client, so that one process and one set of
credentials stand for a chain of a thousand stores. Products stay the client's, as in Flowhub: every
location draws on the same ``--items`` products; what differs is what each carries and how many. A
generated location carries about 90% of the well-formed products (every malformed one, so each store has
records to quarantine) with stock by room of its own, each row derived from ``(seed, location id, product
id)`` when it is read and never stored (``FleetShelf``), so a thousand locations cost no
start-up time and no memory until asked; writes through the control routes are kept on top. At most 32
serialised inventory bodies are cached (``inventory.py``). The rate limit is per ``clientId``, so a scale
test sharing one client turns it off (``--rps 0`` or ``POST /_sandbox/rate-limit {"rps": null}``;
``auth.py``).

(The rooms' ids are derived "as above": as the well-known locations' are, ``locations.room_id``.)
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from cannasync.sandboxes._kit.shelf import DerivedShelf
from cannasync.sandboxes.flowhub.catalog import spread_over_rooms
from cannasync.sandboxes.flowhub.common import JSON
from cannasync.sandboxes.flowhub.locations import location_record, rooms_of

#: Probability that a generated location carries a well-formed product (malformed ones are always carried).
FLEET_CARRY_PROBABILITY = 0.9


def fleet_location(index: int) -> JSON:
    """The ``index``-th generated location (0-based): ``loc-00001`` upwards, shaped like the well-known ones."""
    number = index + 1
    return location_record(
        f"loc-{number:05d}",
        f"Sunset Cannabis Co. - Store {number}",
        f"{100 + index % 9000} Woodward Ave",
        "Detroit",
        "48201",
        "Wayne",
        f"(313) 555-{number % 10000:04d}",
    )


def fleet_rooms(location_id: str) -> tuple[tuple[str, str], ...]:
    """A generated location's rooms: the same four names, ids derived like the well-known ones."""
    return rooms_of(location_id)


class FleetShelf(DerivedShelf[int, dict[str, int]]):
    """What one generated location carries: product id → room id → quantity (``sandboxes/_kit/shelf.py``)."""

    def __init__(self, seed: int, location_id: str, products: Mapping[int, JSON], malformed: Mapping[int, str]) -> None:
        self._seed = seed
        self._location_id = location_id
        self._rooms = fleet_rooms(location_id)
        super().__init__(products)
        self._products = products
        self._malformed = malformed

    def _derive(self, product_id: int) -> dict[str, int] | None:
        product = self._products[product_id]  # the shelf asks only for generated products (sandboxes/_kit/shelf.py)
        rng = random.Random(f"flowhub-fleet:{self._seed}:{self._location_id}:{product_id}")
        if product_id in self._malformed:
            return {self._rooms[0][0]: rng.randint(5, 40)}
        if rng.random() >= FLEET_CARRY_PROBABILITY:
            return None
        total = rng.randint(1, 1500) if product["isSoldByWeight"] else rng.randint(1, 120)
        return spread_over_rooms(rng, self._rooms, 0 if rng.random() < 0.07 else total)


def fleet(seed: int, count: int, products: Sequence[JSON], malformed: Mapping[int, str]) -> dict[str, FleetShelf]:
    """``count`` generated locations' shelves, by location id, over the generated ``products``."""
    by_id = {product["productId"]: product for product in products}
    frozen = dict(malformed)
    return {
        location["locationId"]: FleetShelf(seed, location["locationId"], by_id, frozen)
        for location in (fleet_location(index) for index in range(count))
    }
