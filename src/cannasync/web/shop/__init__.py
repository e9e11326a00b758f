"""The shopper's store: a menu per store, product pages, cart, checkout and an order page that follows its status."""

from __future__ import annotations

from fastapi import APIRouter

routers: list[APIRouter] = []
