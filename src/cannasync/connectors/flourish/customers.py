"""Flourish's customer lookups and creation, shared by the store connector and the loyalty source."""

from __future__ import annotations

from datetime import date
from typing import Any

from cannasync.connectors.flourish import mapping
from cannasync.connectors.flourish.client import FlourishClient
from cannasync.domain.customers import CustomerDetails


class FlourishCustomers:
    """CustomerDirectory over a Flourish client: the first customer a filter finds, or a new one."""

    _client: FlourishClient

    def _first(self, **filters: str) -> str | None:
        found = self._client.customers(**filters)
        return str(found[0]["id"]) if found else None

    def find_by_medical_id(self, medical_id: str) -> str | None:
        return self._first(patient_id=medical_id)

    def find_by_phone(self, phone: str) -> str | None:
        return self._first(phone_number=phone)

    def find_by_email(self, email: str) -> str | None:
        return self._first(email=email)

    def find_by_name_and_birth_date(self, first_name: str, last_name: str, date_of_birth: date) -> str | None:
        # GET /customers/ filters first_name, last_name and dob (the Flourish External API Postman collection,
        # "Retail Customers"; /work/shared/reference/vendor-apis.md §1 Customers). Matched again here, so a
        # filter Flourish ignored could never hand us another shopper.
        wanted = (first_name.strip().lower(), last_name.strip().lower(), date_of_birth.isoformat())
        for customer in self._client.customers(first_name=first_name, last_name=last_name, dob=wanted[2]):
            if _name_and_dob(customer) == wanted:
                return str(customer["id"])
        return None

    def create_customer(self, details: CustomerDetails, *, needs_id_verification: bool) -> str:
        body = mapping.customer_body(details, needs_id_verification=needs_id_verification)
        return str(self._client.create_customer(body)["id"])


def _name_and_dob(customer: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(customer.get("first_name") or "").strip().lower(),
        str(customer.get("last_name") or "").strip().lower(),
        str(customer.get("dob") or "")[:10],
    )
