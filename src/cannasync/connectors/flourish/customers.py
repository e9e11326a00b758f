"""Flourish's customer lookups and creation, shared by the store connector and the loyalty source."""

from __future__ import annotations

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

    def create_customer(self, details: CustomerDetails, *, needs_id_verification: bool) -> str:
        body = mapping.customer_body(details, needs_id_verification=needs_id_verification)
        return str(self._client.create_customer(body)["id"])
