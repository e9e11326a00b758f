"""The shopper's store: a menu per store, product pages, cart, checkout and an order page that follows its status."""

from __future__ import annotations

from fastapi import APIRouter

from cannasync.web.shop import cart, checkout, gate, lookup, menu, orders

routers: list[APIRouter] = [gate.router, menu.router, cart.router, checkout.router, orders.router, lookup.router]
