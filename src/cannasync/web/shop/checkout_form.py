"""The checkout form: read what the shopper typed, say field by field what is missing, or build the order.

Everything typed is kept as text (``values``), so a form that comes back with a message shows exactly what the
shopper entered. The flow checks the same rules again; checking here first lets each message sit by its field.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cannasync.domain.customers import CustomerDetails, InvalidCustomer, age_on, normalise_email, normalise_phone
from cannasync.domain.orders import Fulfillment
from cannasync.web.shop.requirements import Requirements

FIELDS = (
    "fulfillment",
    "customer_type",
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "email",
    "medical_id",
    "medical_id_expiration",
    "line1",
    "line2",
    "city",
    "state",
    "postcode",
    "window_date",
    "window_slot",
    "notes",
)

#: Delivery windows a shopper picks from, in the store's own time zone: key → (label, start, end).
WINDOWS: dict[str, tuple[str, time, time]] = {
    "09-12": ("9 am – 12 pm", time(9), time(12)),
    "12-15": ("12 – 3 pm", time(12), time(15)),
    "15-18": ("3 – 6 pm", time(15), time(18)),
    "18-21": ("6 – 9 pm", time(18), time(21)),
}

# A checkout key is ours (token_urlsafe) or nothing: a made-up short key would make the order page guessable.
_KEY = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_STATE = re.compile(r"^[A-Za-z]{2}$")


#: Stored in front of the shop's Idempotency-Keys, so the order page only ever answers for keys the shop made.
KEY_PREFIX = "shop-"


def new_key() -> str:
    """One per rendering of the form: a double submit sends the same one, so it places one order."""
    return secrets.token_urlsafe(24)


def valid_key(value: str | None) -> bool:
    return bool(value and _KEY.match(value))


@dataclass(frozen=True, slots=True)
class Parsed:
    customer: CustomerDetails
    fulfillment: Fulfillment
    is_medical: bool
    delivery_address: dict[str, str] | None
    window_start: datetime | None
    window_end: datetime | None
    notes: str


@dataclass
class CheckoutForm:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls) -> CheckoutForm:
        values = dict.fromkeys(FIELDS, "")
        values.update(fulfillment="pickup", customer_type="recreational")
        return cls(values)

    @classmethod
    def read(cls, form: Mapping[str, object]) -> CheckoutForm:
        values = {name: str(form.get(name) or "").strip() for name in FIELDS}
        if values["fulfillment"] not in ("pickup", "delivery"):
            values["fulfillment"] = "pickup"
        if values["customer_type"] not in ("recreational", "medical"):
            values["customer_type"] = "recreational"
        return cls(values)

    @property
    def medical(self) -> bool:
        return self.values["customer_type"] == "medical"

    @property
    def delivery(self) -> bool:
        return self.values["fulfillment"] == "delivery"

    def _date(self, name: str, label: str) -> date | None:
        raw = self.values[name]
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors[name] = f"Enter {label} as a date"
            return None

    def _contact(self, needs: Requirements) -> tuple[str | None, str | None]:
        phone = email = None
        try:
            phone = normalise_phone(self.values["phone"])
        except InvalidCustomer:
            self.errors["phone"] = "Enter a 10-digit phone number"
        try:
            email = normalise_email(self.values["email"])
        except InvalidCustomer:
            self.errors["email"] = "Enter an e-mail address like name@example.com"
        if "phone" in self.errors or "email" in self.errors:
            return phone, email
        if needs.phone_unless_medical and not self.medical and not phone:
            self.errors["phone"] = "The store needs your phone number with every order"
        elif not phone and not email:
            self.errors["phone"] = "Give a phone number or an e-mail, so the store can tell you when it's ready"
        return phone, email

    def _birth(self, needs: Requirements, today: date) -> date | None:
        born = self._date("date_of_birth", "your date of birth")
        if born is None and "date_of_birth" not in self.errors and needs.date_of_birth:
            self.errors["date_of_birth"] = "The store needs your date of birth"
        if born is not None:
            minimum = 18 if self.medical else 21
            if born > today or age_on(born, today) < minimum:
                kind = "medical patients" if self.medical else "recreational orders"
                self.errors["date_of_birth"] = f"You must be {minimum} or older for {kind}"
        return born

    def _medical(self, needs: Requirements, today: date) -> tuple[str | None, date | None]:
        if not self.medical:
            return None, None
        card = self.values["medical_id"] or None
        expires = self._date("medical_id_expiration", "the card's expiry")
        if card is None:
            self.errors["medical_id"] = "Enter your medical card number"
        if expires is None and "medical_id_expiration" not in self.errors and needs.medical_id_expiration:
            self.errors["medical_id_expiration"] = "The store needs your card's expiry date"
        if expires is not None and expires < today:
            self.errors["medical_id_expiration"] = "This medical card has expired"
        return card, expires

    def _address(self) -> dict[str, str] | None:
        if not self.delivery:
            return None
        for name, message in (
            ("line1", "Enter the street address"),
            ("city", "Enter the city"),
            ("postcode", "Enter the ZIP code"),
        ):
            if not self.values[name]:
                self.errors[name] = message
        if not _STATE.match(self.values["state"]):
            self.errors["state"] = "Two letters, e.g. MI"
        keys = ("line1", "line2", "city", "state", "postcode")
        return {key: self.values[key].upper() if key == "state" else self.values[key] for key in keys}

    def _window(self, needs: Requirements, zone: str, today: date) -> tuple[datetime | None, datetime | None]:
        if not self.delivery:
            return None, None
        day = self._date("window_date", "the delivery day")
        slot = WINDOWS.get(self.values["window_slot"])
        if day is None or slot is None:
            if needs.delivery_window and "window_date" not in self.errors:
                self.errors["window_date"] = "Choose a day and a time for the delivery"
            return None, None
        if day < today:
            self.errors["window_date"] = "Choose today or a later day"
            return None, None
        try:
            tz = ZoneInfo(zone)
        except ZoneInfoNotFoundError:
            tz = ZoneInfo("UTC")
        _, start, end = slot
        return (
            datetime.combine(day, start, tz).astimezone(UTC),
            datetime.combine(day, end, tz).astimezone(UTC),
        )

    def check(self, needs: Requirements, zone: str, today: date | None = None) -> Parsed | None:
        """The order's details, or None with ``errors`` saying what to fix."""
        today = today or date.today()
        self.errors = {}
        for name, message in (("first_name", "Enter your first name"), ("last_name", "Enter your last name")):
            if not self.values[name]:
                self.errors[name] = message
        phone, email = self._contact(needs)
        born = self._birth(needs, today)
        card, expires = self._medical(needs, today)
        address = self._address()
        start, end = self._window(needs, zone, today)
        if len(self.values["notes"]) > 2000:
            self.errors["notes"] = "Keep notes under 2,000 characters"
        if self.errors:
            return None
        customer = CustomerDetails(
            first_name=self.values["first_name"][:100],
            last_name=self.values["last_name"][:100],
            date_of_birth=born,
            phone=phone,
            email=email,
            medical_id=card,
            medical_id_expiration=expires,
        )
        fulfillment = Fulfillment.DELIVERY if self.delivery else Fulfillment.PICKUP
        return Parsed(customer, fulfillment, self.medical, address, start, end, self.values["notes"])
