"""Seeded records beside the catalogue: customers, retail discounts, the sales history, sales reps and destinations.

They follow the rules of ``catalog.py``'s docstring: deterministic for a seed, each from a random stream of
its own, the sales history's timestamps counted back from ``as_of``.

Well-known records (present for every seed)
-------------------------------------------
* Customer ``"70001"`` Jordan Rivera, a medical patient: ``patient_id`` ``MED-100200``, phone
  ``5550001111``, email ``jordan.rivera@example.com``, dob ``1985-04-12``, ``facility_id`` ``"101"``.
* Customer ``"70002"`` Casey Morgan, recreational: email ``casey@example.com``, phone ``5550002222``,
  dob ``1992-09-30``, no patient id, ``facility_id`` ``"102"``.
* Six retail discounts per facility, the same at each, ids ``"501"`` upwards in facility order (101:
  501-506, 102: 507-512, 103: 513-518): "Loyalty $5 Off" (Dollar 5), "Loyalty 10% Off" (Percent 10),
  "Loyalty $20 Off" (Dollar 20), "Veterans 10% Off" (Percent 10), "Happy Hour 15% Off" (Percent 15,
  16:00-18:00) and "Spring Sale $10 Off" (Dollar 10, 2025-03-01 to 2025-04-30, expired). The loyalty ones
  ``ecommerce_eligible`` are Loyalty $5 Off, Loyalty 10% Off and Spring Sale; see choice 17.
* With ``create_app(..., sales=N)`` (default 0), up to N completed in-store sales are seeded over the 60
  days before ``as_of`` (default: the sandbox's creation time), at every facility, for seeded customers,
  about a third with one of the facility's all-day discounts. The first two are for Casey Morgan (70002)
  at 102 and Jordan Rivera (70001) at 101. They take order ids ``RO-000001`` upwards in time order, so
  orders created later continue the sequence. Default 0 because the hub's tests and demo count
  Flourish's orders from an empty book.
* Sales reps (seed-independent; email ``first.last@greatlakesprovisions.example``): at 101 ``"801"`` Dana
  Whitfield, ``"802"`` Marcus Bell, ``"803"`` Priya Raman; at 102 ``"804"`` Tomasz Kowalczyk, ``"805"``
  Alicia Moreno; at 103 (``facilities=3`` only) ``"806"`` Grace Liu, ``"807"`` Owen Brandt.
* Destinations (seed-independent, Michigan, no ``external_id``): ``"4001"`` Mitten Cannabis Co. - Detroit
  (``AU-R-001204``), ``"4002"`` Harbor Light Dispensary (``AU-R-000932``), ``"4003"`` Upper Peninsula
  Wellness (``AU-R-001577``), ``"4004"`` Kalamazoo Green Market (``AU-R-000645``). Created ones continue
  from ``"4005"``. No outbound orders are seeded; they take ids ``OB-000001`` upwards.

The customers' home facility and state: ``customers.py``. Seeded sales: ``sales.py``.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

19. The seeded sales history is deterministic for a given ``(items, seed, customers, facilities,
    sales)``, except that its timestamps are offsets (1 hour to 60 days) before ``as_of``; pass a fixed
    ``as_of`` to ``create_app`` for byte-identical sales. Facility 103's stock, the customers'
    ``facility_id`` and ``state``, the discounts and the sales draw from random streams of their own, so
    items, stock at 101/102 and art are the same as before these were added, and the same with two or
    three facilities.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cannasync.sandboxes._kit.values import iso_ms
from cannasync.sandboxes.flourish.catalog import CATALOGUE_AS_OF

JSON = dict[str, Any]


_FIRST_NAMES: tuple[str, ...] = (
    "Alex",
    "Sam",
    "Taylor",
    "Morgan",
    "Riley",
    "Avery",
    "Quinn",
    "Jamie",
    "Drew",
    "Robin",
    "Parker",
    "Reese",
    "Emerson",
    "Hayden",
    "Rowan",
    "Dakota",
    "Skyler",
    "Logan",
)
_LAST_NAMES: tuple[str, ...] = (
    "Nguyen",
    "Patel",
    "Kowalski",
    "Johnson",
    "Okafor",
    "Schultz",
    "Garcia",
    "Bennett",
    "Lindqvist",
    "Haddad",
    "Brooks",
    "Murphy",
    "Tanaka",
    "Alvarez",
    "Novak",
    "Fischer",
)

#: Two customers present for every seed, for tests and the demo (listed in this module's docstring).
WELL_KNOWN_CUSTOMERS: tuple[JSON, ...] = (
    {
        "id": "70001",
        "first_name": "Jordan",
        "last_name": "Rivera",
        "dob": "1985-04-12",
        "email": "jordan.rivera@example.com",
        "phone": "5550001111",
        "patient_id": "MED-100200",
        "medical_card_state": "MI",
        "medical_card_expiration": "2026-12-31",
        "is_verified": True,
        "state": "MI",
        "facility_id": "101",
    },
    {
        "id": "70002",
        "first_name": "Casey",
        "last_name": "Morgan",
        "dob": "1992-09-30",
        "email": "casey@example.com",
        "phone": "5550002222",
        "patient_id": None,
        "medical_card_state": None,
        "medical_card_expiration": None,
        "is_verified": True,
        "state": "MI",
        "facility_id": "102",
    },
)


# --------------------------------------------------------------------------------------------------
# Customers

_PHONE_FORMATS: tuple[Callable[[str], str], ...] = (
    lambda d: d,
    lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}",
    lambda d: f"{d[:3]}-{d[3:6]}-{d[6:]}",
    lambda d: f"+1{d}",
)


def generate_customers(seed: int, count: int = 20, facility_ids: Sequence[str] = ("101", "102")) -> list[JSON]:
    """The two well-known customers plus ``count - 2`` seeded ones (ids ``"70001"`` upwards).

    Seeded phones are stored in assorted formats on purpose, because real POS data is entered by hand;
    their digits never collide with the well-known customers'.

    Every customer carries ``facility_id``, the facility where the customer was created (where they
    shop): 70001 at 101, 70002 at 102, the seeded ones spread over ``facility_ids`` with about one in
    eight ``null`` (created before facilities were tracked). About one in eight seeded customers lives in
    Ohio (``state`` "OH", shopping across the border); the rest are in Michigan. Both draw from a random
    stream of their own, so the other fields are what they were before these were added.
    """
    rng = random.Random(f"flourish-customers:{seed}")
    homes = random.Random(f"flourish-customer-homes:{seed}")
    seeded = list(range(len(WELL_KNOWN_CUSTOMERS), count))
    few = max(1, len(seeded) // 8) if seeded else 0
    no_facility = set(homes.sample(seeded, few))
    out_of_state = set(homes.sample(seeded, few))
    epoch = CATALOGUE_AS_OF - timedelta(days=720)
    customers: list[JSON] = []
    for index in range(count):
        created = epoch + timedelta(seconds=rng.randint(0, 700 * 86400))
        stamps = {"created_timestamp": iso_ms(created), "last_updated_timestamp": iso_ms(created)}
        if index < len(WELL_KNOWN_CUSTOMERS):
            customers.append({**WELL_KNOWN_CUSTOMERS[index], "address": [], **stamps})
            continue
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        digits = f"55501{rng.randint(0, 99999):05d}"
        dob = date(1950, 1, 1) + timedelta(days=rng.randint(0, 53 * 365))
        email = f"{first}.{last}{index}@example.com"
        medical = rng.random() < 0.4
        state = "OH" if index in out_of_state else "MI"
        facility_id = homes.choice(tuple(facility_ids))
        customers.append(
            {
                "id": str(70001 + index),
                "first_name": first,
                "last_name": last,
                "dob": dob.isoformat(),
                # Some emails are stored with capitals; Flourish compares them case-insensitively.
                "email": email if rng.random() < 0.3 else email.lower(),
                "phone": rng.choice(_PHONE_FORMATS)(digits),
                "patient_id": f"MED-{rng.randint(300000, 399999)}" if medical else None,
                "medical_card_state": state if medical else None,
                "medical_card_expiration": (
                    (CATALOGUE_AS_OF.date() + timedelta(days=rng.randint(30, 700))).isoformat() if medical else None
                ),
                "is_verified": rng.random() < 0.7,
                "state": state,
                "facility_id": None if index in no_facility else facility_id,
                "address": [],
                **stamps,
            }
        )
    return customers


# --------------------------------------------------------------------------------------------------
# Retail discounts

#: (discount_name, discount_type, discount_value, start_date, end_date, start_time, end_time, ecommerce_eligible)
_DISCOUNT_TEMPLATES: tuple[tuple[str, str, float, str, str | None, str | None, str | None, bool], ...] = (
    ("Loyalty $5 Off", "Dollar", 5.0, "2025-01-01", None, None, None, True),
    ("Loyalty 10% Off", "Percent", 10.0, "2025-01-01", None, None, None, True),
    ("Loyalty $20 Off", "Dollar", 20.0, "2025-01-01", None, None, None, False),
    ("Veterans 10% Off", "Percent", 10.0, "2025-01-01", None, None, None, False),
    ("Happy Hour 15% Off", "Percent", 15.0, "2025-01-01", None, "16:00", "18:00", False),
    ("Spring Sale $10 Off", "Dollar", 10.0, "2025-03-01", "2025-04-30", None, None, True),
)
#: Ids of seeded discounts start here and run on across facilities (six per facility, facility order).
FIRST_DISCOUNT_ID = 501


def discount_record(
    discount_id: str,
    facility_id: str,
    *,
    discount_name: str,
    discount_type: str,
    discount_value: float,
    start_date: str | None,
    end_date: str | None,
    start_time: str | None,
    end_time: str | None,
    ecommerce_eligible: bool,
) -> JSON:
    """A retail discount as the sandbox serves it (``start_date_time``/``end_date_time`` derived, UTC)."""
    return {
        "id": discount_id,
        "discount_name": discount_name,
        "discount_type": discount_type,
        "discount_value": discount_value,
        "start_date": start_date,
        "end_date": end_date,
        "start_date_time": f"{start_date}T00:00:00.000Z" if start_date else None,
        "end_date_time": f"{end_date}T23:59:59.999Z" if end_date else None,
        "start_time": start_time,
        "end_time": end_time,
        "ecommerce_eligible": ecommerce_eligible,
        "facility_id": facility_id,
    }


def generate_discounts(facility_ids: Sequence[str]) -> list[JSON]:
    """Six retail discounts per facility (the same names at each, ids ``"501"`` upwards); seed-independent."""
    discounts: list[JSON] = []
    for facility_id in facility_ids:
        for name, kind, value, start, end, start_time, end_time, online in _DISCOUNT_TEMPLATES:
            discounts.append(
                discount_record(
                    str(FIRST_DISCOUNT_ID + len(discounts)),
                    facility_id,
                    discount_name=name,
                    discount_type=kind,
                    discount_value=value,
                    start_date=start,
                    end_date=end,
                    start_time=start_time,
                    end_time=end_time,
                    ecommerce_eligible=online,
                )
            )
    return discounts


# --------------------------------------------------------------------------------------------------
# Sales history

#: How far back the seeded sales history reaches, in days before ``as_of``.
SALES_HISTORY_DAYS = 60


@dataclass(frozen=True)
class SaleLine:
    item_id: str
    order_qty: float
    unit_price: float


@dataclass(frozen=True)
class Sale:
    """One completed in-store sale of the seeded history, before totals are worked out."""

    facility_id: str
    customer_id: str | None
    is_recreational: bool
    lines: tuple[SaleLine, ...]
    discount_ids: tuple[str, ...]
    completed_at: datetime


def _discount_usable(discount: JSON, day: date) -> bool:
    """Usable all day on ``day`` (happy-hour style discounts with daily times are left out of the history)."""
    if discount["start_time"] or discount["end_time"]:
        return False
    if discount["start_date"] and day < date.fromisoformat(discount["start_date"]):
        return False
    return not (discount["end_date"] and day > date.fromisoformat(discount["end_date"]))


def generate_sales(
    seed: int,
    count: int,
    *,
    as_of: datetime,
    items: Sequence[JSON],
    stock: Mapping[str, Mapping[str, object]],
    malformed: Mapping[str, str],
    customers: Sequence[JSON],
    discounts: Sequence[JSON],
) -> list[Sale]:
    """Up to ``count`` completed in-store sales over the ``SALES_HISTORY_DAYS`` days before ``as_of``.

    Sales go to every facility in ``stock`` (the first few one per facility, so each has some), mostly to
    customers who shop there; the first two are for the well-known customers (70002 at 102, 70001 at 101)
    when they exist. Lines are 1-3 well-formed, active, sellable items stocked at the facility, at their
    retail price (the medical price for a patient's medical sale). About a third carry one of the
    facility's all-day retail discounts. A facility with nothing to sell gets no sale, so fewer than
    ``count`` may come back. Sorted by ``completed_at``; only the timestamps depend on ``as_of``.
    """
    if count <= 0:
        return []
    rng = random.Random(f"flourish-sales:{seed}")
    facility_ids = list(stock)
    sellable: dict[str, list[JSON]] = {
        facility_id: [
            item
            for item in items
            if item["id"] in stock[facility_id]
            and item["id"] not in malformed
            and item["active"]
            and item["sellable"]
            and isinstance(item["retail_price"], int | float)
            and item["retail_price"] > 0
        ]
        for facility_id in facility_ids
    }
    by_id = {customer["id"]: customer for customer in customers}
    regulars = {
        facility_id: [c for c in customers if c.get("facility_id") == facility_id] for facility_id in facility_ids
    }
    forced: list[tuple[str, str | None]] = [
        (facility_id, customer_id)
        for facility_id, customer_id in (("102", "70002"), ("101", "70001"))
        if facility_id in stock and customer_id in by_id
    ]
    forced += [(facility_id, None) for facility_id in facility_ids]
    sales: list[Sale] = []
    for index in range(count):
        if index < len(forced):
            facility_id, customer_id = forced[index]
        else:
            facility_id, customer_id = rng.choice(facility_ids), None
        if customer_id is None and customers:
            pool = regulars[facility_id] if regulars[facility_id] and rng.random() < 0.75 else list(customers)
            customer_id = rng.choice(pool)["id"]
        completed_at = as_of - timedelta(seconds=rng.randint(3600, SALES_HISTORY_DAYS * 86400 - 1))
        completed_at = completed_at.replace(microsecond=rng.randint(0, 999) * 1000)
        customer = by_id.get(customer_id) if customer_id else None
        medical = bool(customer and customer.get("patient_id")) and rng.random() < 0.8
        pool_items = sellable[facility_id]
        if not pool_items:
            continue
        lines = []
        for item in rng.sample(pool_items, min(len(pool_items), rng.choice((1, 1, 2, 2, 3)))):
            qty = rng.choice((1, 3.5, 7)) if item["uom"] == "g" else rng.choice((1, 1, 1, 2, 3))
            price = item["med_price"] if medical and isinstance(item.get("med_price"), int | float) else None
            lines.append(SaleLine(item["id"], qty, price if price is not None else item["retail_price"]))
        usable = [d for d in discounts if d["facility_id"] == facility_id and _discount_usable(d, completed_at.date())]
        chosen = (rng.choice(usable)["id"],) if usable and rng.random() < 0.35 else ()
        sales.append(Sale(facility_id, customer_id, not medical, tuple(lines), chosen, completed_at))
    sales.sort(key=lambda sale: sale.completed_at)
    return sales


# --------------------------------------------------------------------------------------------------
# Wholesale: sales reps and destinations (seed-independent)

#: (id, first_name, last_name, facility_id); emails are ``first.last@greatlakesprovisions.example``.
_SALES_REPS: tuple[tuple[str, str, str, str], ...] = (
    ("801", "Dana", "Whitfield", "101"),
    ("802", "Marcus", "Bell", "101"),
    ("803", "Priya", "Raman", "101"),
    ("804", "Tomasz", "Kowalczyk", "102"),
    ("805", "Alicia", "Moreno", "102"),
    ("806", "Grace", "Liu", "103"),
    ("807", "Owen", "Brandt", "103"),
)


def generate_sales_reps(facility_ids: Sequence[str]) -> list[JSON]:
    """The sales reps of the given facilities (three at 101, two at 102 and at 103), in id order."""
    return [
        {
            "id": rep_id,
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}@greatlakesprovisions.example",
            "facility_id": facility_id,
        }
        for rep_id, first, last, facility_id in _SALES_REPS
        if facility_id in facility_ids
    ]


#: Ids of seeded destinations start here; created ones continue the sequence.
FIRST_DESTINATION_ID = 4001

#: (name, license_number, address_line_1, city, postcode, email, phone)
_DESTINATIONS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    (
        "Mitten Cannabis Co. - Detroit",
        "AU-R-001204",
        "4410 Woodward Ave",
        "Detroit",
        "48201",
        "buyer@mittencannabis.example",
        "3135550144",
    ),
    (
        "Harbor Light Dispensary",
        "AU-R-000932",
        "118 E Front St",
        "Traverse City",
        "49684",
        "orders@harborlight.example",
        "2315550187",
    ),
    (
        "Upper Peninsula Wellness",
        "AU-R-001577",
        "301 W Washington St",
        "Marquette",
        "49855",
        "purchasing@upwellness.example",
        "9065550121",
    ),
    (
        "Kalamazoo Green Market",
        "AU-R-000645",
        "520 S Burdick St",
        "Kalamazoo",
        "49007",
        "wholesale@kzoogreen.example",
        "2695550163",
    ),
)


def generate_destinations() -> list[JSON]:
    """Four Michigan retailers the facilities already sell to (ids ``"4001"`` upwards, no ``external_id``)."""
    destinations: list[JSON] = []
    for index, (name, license_number, line_1, city, postcode, email, phone) in enumerate(_DESTINATIONS):
        stamp = iso_ms(CATALOGUE_AS_OF - timedelta(days=200 - 30 * index))
        destinations.append(
            {
                "id": str(FIRST_DESTINATION_ID + index),
                "name": name,
                "license_number": license_number,
                "address": {
                    "address_line_1": line_1,
                    "address_line_2": None,
                    "city": city,
                    "state": "MI",
                    "postcode": postcode,
                    "country": "US",
                },
                "email": email,
                "phone": phone,
                "external_id": None,
                "created_timestamp": stamp,
                "last_updated_timestamp": stamp,
            }
        )
    return destinations
