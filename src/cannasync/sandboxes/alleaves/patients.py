"""Patients (route 4 of the wire format): looked up by medical id, phone, or name and date of birth; created.

4. Patients (``patient_id`` ``"PAT-00001"``, ``first_name``, ``last_name``, ``date_of_birth``, ``phone``,
   ``email``, ``medical_id``, ``medical_id_expiration``, ``is_medical``, ``created_at``; every field present,
   null when unknown; ``phone`` as typed at the front desk).

   * ``GET /api/v1/patients?medical_id=<id>`` matches the medical id exactly, ignoring case and surrounding
     spaces; ``?phone=<any format>`` compares digits only, ignoring a leading US country code ``1``. One of
     them is required (400 ``missing_parameter``; a phone without digits is a 400 ``invalid_query``); both
     together must both match. Paged, in ``patient_id`` order.
     ``?first_name=&last_name=&date_of_birth=YYYY-MM-DD`` (all three, or a 400 ``missing_parameter``; a bad
     date is a 400 ``invalid_query``) matches names exactly ignoring case and surrounding spaces, and the date
     exactly: how the front desk finds a patient who has no card and no phone on file. No public Alleaves
     spec exists (see the reference notes, "Alleaves: nothing found"); this search is our design, the one a
     client needs to find a patient it may have created before a timeout. Any of these may be combined.
   * ``POST /api/v1/patients`` ``{"first_name", "last_name", "date_of_birth", "phone", "email",
     "medical_id", "medical_id_expiration", "is_medical"}`` → 201 ``{"data": patient}``. ``first_name``,
     ``last_name`` (non-empty strings) and ``date_of_birth`` (``YYYY-MM-DD``) are required; the others are
     optional (strings, ``medical_id_expiration`` ``YYYY-MM-DD``, ``is_medical`` a boolean defaulting to
     whether a ``medical_id`` is given): 422 ``validation_error`` naming the field. A ``medical_id`` another
     patient has (ignoring case) is a 409 ``duplicate_medical_id``. Nothing else is deduplicated.

The well-known and the seeded patients: ``people.py``.

Control route (no auth; the hub never calls it): ``GET /_sandbox/patients`` (all, full records).

Choice 2 (beyond the facts; easy to change; not confirmed by Alleaves): patients belong to the organisation
and are visible from both locations; orders belong to the location of the token that created them
(``orders.py``).
"""

from __future__ import annotations

import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.gateway import CONTROL, VendorRoute
from cannasync.sandboxes._kit.values import digits, iso_ms, now
from cannasync.sandboxes.alleaves.errors import ApiError, invalid
from cannasync.sandboxes.alleaves.people import generate_patients, patient_record
from cannasync.sandboxes.alleaves.wire import (
    API,
    JSON,
    data,
    is_date,
    json_object,
    optional_str,
    page_response,
    paging,
    required_str,
    route,
)


def parse_patient_body(body: JSON) -> JSON:
    """Validate a ``POST /api/v1/patients`` body; return every patient field (absent ones null)."""
    fields: JSON = {
        "first_name": required_str(body, "first_name"),
        "last_name": required_str(body, "last_name"),
    }
    if not is_date(body.get("date_of_birth")):
        raise invalid("date_of_birth is required (YYYY-MM-DD)")
    fields["date_of_birth"] = body["date_of_birth"]
    for name in ("phone", "email", "medical_id"):
        value = optional_str(body, name)
        fields[name] = value.strip() if value and value.strip() else None
    expiration = body.get("medical_id_expiration")
    if expiration is not None and not is_date(expiration):
        raise invalid("medical_id_expiration must be YYYY-MM-DD")
    fields["medical_id_expiration"] = expiration
    is_medical = body.get("is_medical")
    if is_medical is None:
        is_medical = fields["medical_id"] is not None
    elif not isinstance(is_medical, bool):
        raise invalid("is_medical must be true or false")
    fields["is_medical"] = is_medical
    return fields


def _name_and_birth(patient: JSON) -> tuple[str, str, str]:
    return (
        (patient["first_name"] or "").strip().lower(),
        (patient["last_name"] or "").strip().lower(),
        patient["date_of_birth"] or "",
    )


def _name_and_birth_query(params: Any) -> tuple[str, str, str] | None:
    """``first_name``, ``last_name`` and ``date_of_birth`` from a patient search: all three or none."""
    given = {name: (params.get(name) or "").strip() for name in ("first_name", "last_name", "date_of_birth")}
    if not any(given.values()):
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ApiError(400, "missing_parameter", f"A name search needs {', '.join(missing)} too")
    if not is_date(given["date_of_birth"]):
        raise ApiError(400, "invalid_query", "date_of_birth must be YYYY-MM-DD")
    return given["first_name"], given["last_name"], given["date_of_birth"]


class PatientState:
    """The organisation's patients (part of ``AlleavesSandbox``)."""

    lock: threading.Lock
    _patients: dict[str, JSON]
    _next_patient: int

    def _init_patients(self, seed: int, count: int) -> None:
        self._patients = {p["patient_id"]: p for p in generate_patients(seed, count)}
        self._next_patient = len(self._patients) + 1

    def patients(self) -> list[JSON]:
        with self.lock:
            return list(self._patients.values())

    def find_patients(
        self, medical_id: str | None, phone: str | None, name_and_birth: tuple[str, str, str] | None = None
    ) -> list[JSON]:
        """Patients matching every criterion given; ``name_and_birth`` is (first name, last name, YYYY-MM-DD)."""
        wanted_id = medical_id.strip().lower() if medical_id is not None else None
        wanted_digits = digits(phone) if phone is not None else None
        wanted_name = (
            (name_and_birth[0].strip().lower(), name_and_birth[1].strip().lower(), name_and_birth[2])
            if name_and_birth is not None
            else None
        )
        with self.lock:
            return [
                patient
                for patient in self._patients.values()
                if (wanted_id is None or (patient["medical_id"] or "").strip().lower() == wanted_id)
                and (wanted_digits is None or digits(patient["phone"] or "") == wanted_digits)
                and (wanted_name is None or _name_and_birth(patient) == wanted_name)
            ]

    def create_patient(self, fields: JSON) -> JSON:
        with self.lock:
            medical_id = fields.get("medical_id")
            if medical_id:
                for patient in self._patients.values():
                    if (patient["medical_id"] or "").strip().lower() == medical_id.lower():
                        raise ApiError(
                            409,
                            "duplicate_medical_id",
                            f"Medical id {medical_id} already belongs to patient {patient['patient_id']}; "
                            "look it up with GET /api/v1/patients?medical_id=",
                        )
            patient_id = f"PAT-{self._next_patient:05d}"
            self._next_patient += 1
            patient = patient_record(patient_id, fields, iso_ms(now()))
            self._patients[patient_id] = patient
            return patient


def routes(state: PatientState) -> list[VendorRoute]:
    async def find_patients(request: Request) -> Response:
        params = request.query_params
        medical_id = params.get("medical_id")
        phone = params.get("phone")
        medical_id = medical_id if medical_id and medical_id.strip() else None
        phone = phone if phone and phone.strip() else None
        name_and_birth = _name_and_birth_query(params)
        if medical_id is None and phone is None and name_and_birth is None:
            raise ApiError(
                400,
                "missing_parameter",
                "Give medical_id, phone, or first_name with last_name and date_of_birth to look patients up",
            )
        if phone is not None and not digits(phone):
            raise ApiError(400, "invalid_query", f"phone must contain digits (got {phone!r})")
        page, per_page = paging(request)
        return page_response(state.find_patients(medical_id, phone, name_and_birth), page, per_page)

    async def create_patient(request: Request) -> Response:
        fields = parse_patient_body(await json_object(request))
        return data(state.create_patient(fields), status_code=201)

    return [
        route("GET", f"{API}/patients", find_patients),
        route("POST", f"{API}/patients", create_patient),
    ]


def control(state: PatientState) -> list[Route]:
    async def all_patients(request: Request) -> Response:
        return data(state.patients())

    return [Route(f"{CONTROL}/patients", all_patients, methods=["GET"])]
