"""What every store page shares: the store it belongs to, the cart count in its header, and its 404 page.

The store is public, so nothing here knows about sign-in; a page that names an unknown store, product or order
raises :class:`PageNotFound` and the router answers with the store-styled 404 page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from cannasync.domain.stores import OpenState, address_lines, open_state, week, zone
from cannasync.store.uow import UnitOfWork
from cannasync.web.pages import phone, render
from cannasync.web.shop import basket

UNKNOWN_HOURS = OpenState(False, False, "")


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What the pages show of a store: copied out of the unit of work, so a rolled-back one cannot expire it."""

    id: int
    name: str
    timezone: str
    address: tuple[str, ...] = ()
    phone: str = ""
    #: (day, "9 AM – 9 PM" or "Closed"), Monday first; empty when the store has not set its hours.
    week: tuple[tuple[str, str], ...] = ()
    opening: OpenState = UNKNOWN_HOURS
    pickup_enabled: bool = True
    delivery_enabled: bool = True
    delivery_fee_cents: int = 0
    delivery_minimum_cents: int = 0

    @property
    def today(self) -> date:
        """The store's own date: a delivery day is chosen and checked by it, not by the server's."""
        return datetime.now(UTC).astimezone(zone(self.timezone)).date()


class PageNotFound(Exception):
    def __init__(self, what: str, store: StoreInfo | None = None) -> None:
        super().__init__(f"{what} not found")
        self.what = what
        self.store = store


class ShopRoute(APIRoute):
    """Shows the age gate to a browser that has not passed it, and answers PageNotFound with the store's own 404
    page (a router cannot register exception handlers)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            from cannasync.web.shop import gate  # gate renders with this module's page()

            answer = gate.remembered(request)
            if answer is None or (answer == gate.MEDICAL and not await run_in_threadpool(gate.admits_medical, request)):
                try:
                    return await run_in_threadpool(gate.refuse, request)  # it reads the store
                except PageNotFound as missing:
                    return not_found_page(request, missing)
            try:
                return await handler(request)
            except PageNotFound as missing:
                return not_found_page(request, missing)

        return handle


def not_found_page(request: Request, missing: PageNotFound) -> HTMLResponse:
    return render(
        request,
        "shop/not_found.html",
        status_code=404,
        store=missing.store,
        what=missing.what,
        cart_count=basket.count(basket.read(request, missing.store.id)) if missing.store else 0,
    )


def storefront(uow: UnitOfWork, store_id: int) -> StoreInfo:
    store = uow.accounts.store(store_id)
    if store is None:
        raise PageNotFound("store")
    return StoreInfo(
        store.id,
        store.name,
        store.timezone,
        address=tuple(address_lines(store.address)),
        phone=phone(store.phone),
        week=tuple(week(store.hours)) if store.hours else (),
        opening=open_state(store.hours, datetime.now(UTC), store.timezone),
        pickup_enabled=store.pickup_enabled,
        delivery_enabled=store.delivery_enabled,
        delivery_fee_cents=store.delivery_fee_cents,
        delivery_minimum_cents=store.delivery_minimum_cents,
    )


def page(request: Request, template: str, store: StoreInfo, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A store page: the template gets the store, the cart count for the header, and ``context``."""
    context.setdefault("cart_count", basket.count(basket.read(request, store.id)))
    return render(request, template, status_code=status_code, store=store, **context)
