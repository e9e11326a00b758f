"""Deterministic customers for the Flowhub sandbox: the two well-known ones and seeded others.

Like the catalogue (``catalog.py``), every customer comes from a ``random.Random`` seeded from the caller's
``seed`` and a fixed epoch, so the same seed always yields the same customers. How they are served:
``customers.py``.

Well-known customers (the same for every seed)
----------------------------------------------
* Customer ``"cus-000001"`` Morgan Ellis, a medical patient (``medCustomer``): medId ``MMJ-4471-2208``
  (expires 2027-03-31), phone ``3135550142``, email ``morgan.ellis@example.com``, born 1981-07-19.
* Customer ``"cus-000002"`` Sam Okafor, recreational (``recCustomer``): phone ``2485550199``, email
  ``sam.okafor@example.com``, born 1994-02-11, no medId.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from cannasync.sandboxes._kit.values import iso_ms
from cannasync.sandboxes.flowhub.catalog import CATALOGUE_AS_OF
from cannasync.sandboxes.flowhub.common import JSON

#: Two customers present for every seed, for tests and the demo (see the module docstring).
WELL_KNOWN_CUSTOMERS: tuple[JSON, ...] = (
    {
        "id": "cus-000001",
        "type": "medCustomer",
        "name": "Morgan Ellis",
        "state": "MI",
        "birthDate": "1981-07-19",
        "phone": "3135550142",
        "email": "morgan.ellis@example.com",
        "medId": "MMJ-4471-2208",
        "medIdExpiration": "2027-03-31",
        "isLoyal": True,
        "loyaltyPoints": 420,
        "city": "Detroit",
        "zip": "48215",
    },
    {
        "id": "cus-000002",
        "type": "recCustomer",
        "name": "Sam Okafor",
        "state": "MI",
        "birthDate": "1994-02-11",
        "phone": "2485550199",
        "email": "sam.okafor@example.com",
        "medId": None,
        "medIdExpiration": None,
        "isLoyal": False,
        "loyaltyPoints": 0,
        "city": "Ferndale",
        "zip": "48220",
    },
)

_FIRST_NAMES: tuple[str, ...] = (
    "Alex",
    "Jordan",
    "Taylor",
    "Casey",
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
)
_LAST_NAMES: tuple[str, ...] = (
    "Nguyen",
    "Patel",
    "Kowalski",
    "Johnson",
    "Haddad",
    "Schultz",
    "Garcia",
    "Bennett",
    "Lindqvist",
    "Brooks",
    "Murphy",
    "Tanaka",
    "Alvarez",
    "Novak",
    "Fischer",
    "Washington",
)
_PHONE_FORMATS: tuple[Callable[[str], str], ...] = (
    lambda d: d,
    lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}",
    lambda d: f"{d[:3]}-{d[3:6]}-{d[6:]}",
    lambda d: f"+1{d}",
)
_CUSTOMER_FIELDS: JSON = {
    "streetAddress1": None,
    "streetAddress2": None,
    "city": None,
    "zip": None,
    "country": "US",
    "consentsToPromotionalEmail": False,
    "consentsToPromotionalSMS": False,
    "groups": [],
}


def customer_record(customer_id: str, fields: JSON, created_at: str) -> JSON:
    """A customer as Flowhub's v1 API returns it, with every field present (absent ones null)."""
    record: JSON = {
        "id": customer_id,
        "createdAt": created_at,
        "updatedAt": created_at,
        "type": fields["type"],
        "name": fields["name"],
        "state": fields["state"],
        "birthDate": fields["birthDate"],
        "phone": fields.get("phone"),
        "email": fields.get("email"),
        "medId": fields.get("medId"),
        "medIdExpiration": fields.get("medIdExpiration"),
        "isLoyal": fields.get("isLoyal", False),
        "loyaltyPoints": fields.get("loyaltyPoints", 0),
    }
    for name, default in _CUSTOMER_FIELDS.items():
        record[name] = fields.get(name, default)
    return record


def generate_customers(seed: int, count: int = 20) -> list[JSON]:
    """The two well-known customers plus ``count - 2`` seeded ones (ids ``cus-000001`` upwards).

    Seeded phones are stored in assorted formats on purpose, because real POS data is entered by hand;
    their digits never collide with the well-known customers'.
    """
    rng = random.Random(f"flowhub-customers:{seed}")
    epoch = CATALOGUE_AS_OF - timedelta(days=720)
    customers: list[JSON] = []
    for index in range(count):
        created = iso_ms(epoch + timedelta(seconds=rng.randint(0, 700 * 86400)))
        customer_id = f"cus-{index + 1:06d}"
        if index < len(WELL_KNOWN_CUSTOMERS):
            customers.append(customer_record(customer_id, WELL_KNOWN_CUSTOMERS[index], created))
            continue
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        digits = f"{rng.choice(('313', '248', '734', '586'))}555{rng.randint(1000, 9999)}"
        birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 53 * 365))
        medical = rng.random() < 0.35
        loyal = rng.random() < 0.5
        fields: JSON = {
            "type": "medCustomer" if medical else "recCustomer",
            "name": f"{first} {last}",
            "state": "MI",
            "birthDate": birth.isoformat(),
            "phone": rng.choice(_PHONE_FORMATS)(digits) if rng.random() < 0.9 else None,
            "email": f"{first.lower()}.{last.lower()}{index}@example.com" if rng.random() < 0.8 else None,
            "medId": f"MMJ-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}" if medical else None,
            "medIdExpiration": (
                (CATALOGUE_AS_OF.date() + timedelta(days=rng.randint(30, 700))).isoformat() if medical else None
            ),
            "isLoyal": loyal,
            "loyaltyPoints": rng.randint(0, 900) if loyal else 0,
            "consentsToPromotionalEmail": rng.random() < 0.5,
            "consentsToPromotionalSMS": rng.random() < 0.3,
        }
        customers.append(customer_record(customer_id, fields, created))
    return customers
