"""The Alleaves sandbox's patients: two well-known ones for every seed, and seeded ones after them.

Well-known patients (the same for every seed):

* Patient ``"PAT-00001"`` Dana Whitaker, medical: medical id ``WA-MMJ-0042-7781`` (expires 2027-01-31),
  phone ``(360) 555-0143``, email ``dana.whitaker@example.com``, born 1979-05-14.
* Patient ``"PAT-00002"`` Jesse Navarro, recreational: phone ``3605550178`` only (no email, no medical id),
  born 1990-11-02.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from cannasync.sandboxes._kit.values import iso_ms
from cannasync.sandboxes.alleaves.catalog import CATALOGUE_AS_OF
from cannasync.sandboxes.alleaves.places import JSON

#: Two patients present for every seed, for tests and the demo (see this module's docstring).
WELL_KNOWN_PATIENTS: tuple[JSON, ...] = (
    {
        "first_name": "Dana",
        "last_name": "Whitaker",
        "date_of_birth": "1979-05-14",
        "phone": "(360) 555-0143",
        "email": "dana.whitaker@example.com",
        "medical_id": "WA-MMJ-0042-7781",
        "medical_id_expiration": "2027-01-31",
        "is_medical": True,
    },
    {
        "first_name": "Jesse",
        "last_name": "Navarro",
        "date_of_birth": "1990-11-02",
        "phone": "3605550178",
        "email": None,
        "medical_id": None,
        "medical_id_expiration": None,
        "is_medical": False,
    },
)
PATIENT_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "email",
    "medical_id",
    "medical_id_expiration",
    "is_medical",
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
    "Okonkwo",
)
#: Phones are stored as the front desk typed them.
_PHONE_FORMATS: tuple[Callable[[str], str], ...] = (
    lambda d: d,
    lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}",
    lambda d: f"{d[:3]}-{d[3:6]}-{d[6:]}",
    lambda d: f"{d[:3]}.{d[3:6]}.{d[6:]}",
    lambda d: f"+1 {d[:3]} {d[3:6]} {d[6:]}",
)


def patient_record(patient_id: str, fields: JSON, created_at: str) -> JSON:
    """A patient as the API returns it: every field present (absent ones null)."""
    return {
        "patient_id": patient_id,
        **{name: fields.get(name) for name in PATIENT_FIELDS},
        "created_at": created_at,
    }


def generate_patients(seed: int, count: int = 20) -> list[JSON]:
    """The two well-known patients plus ``count - 2`` seeded ones (ids ``PAT-00001`` upwards).

    Seeded phones never share digits with the well-known patients' (their numbers are 555-0200 and up), and
    medical ids are unique.
    """
    rng = random.Random(f"alleaves-patients:{seed}")
    epoch = CATALOGUE_AS_OF - timedelta(days=720)
    patients: list[JSON] = []
    medical_ids = {patient["medical_id"] for patient in WELL_KNOWN_PATIENTS}
    for index in range(count):
        created = iso_ms(epoch + timedelta(seconds=rng.randint(0, 700 * 86400)))
        patient_id = f"PAT-{index + 1:05d}"
        if index < len(WELL_KNOWN_PATIENTS):
            patients.append(patient_record(patient_id, WELL_KNOWN_PATIENTS[index], created))
            continue
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        digits = f"{rng.choice(('360', '509', '206', '253'))}555{rng.randint(200, 9999):04d}"
        medical = rng.random() < 0.4
        medical_id = None
        while medical and medical_id in medical_ids:
            medical_id = f"WA-MMJ-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        medical_ids.add(medical_id)
        fields: JSON = {
            "first_name": first,
            "last_name": last,
            "date_of_birth": (date(1950, 1, 1) + timedelta(days=rng.randint(0, 53 * 365))).isoformat(),
            "phone": rng.choice(_PHONE_FORMATS)(digits) if rng.random() < 0.9 else None,
            "email": f"{first.lower()}.{last.lower()}{index}@example.com" if rng.random() < 0.7 else None,
            "medical_id": medical_id,
            "medical_id_expiration": (
                (CATALOGUE_AS_OF.date() + timedelta(days=rng.randint(30, 700))).isoformat() if medical else None
            ),
            "is_medical": medical,
        }
        patients.append(patient_record(patient_id, fields, created))
    return patients
