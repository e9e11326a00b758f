"""The merchant's console: one module per screen the seeds walk a merchant through."""

from __future__ import annotations

from fastapi import APIRouter

from cannasync.web.console import auth, health, integrations, orders, product_detail, products, reconciliation, stores
from cannasync.web.console import loyalty as loyalty_pages
from cannasync.web.console import wholesale as wholesale_pages

routers: list[APIRouter] = [auth.router, integrations.router]
routers += [loyalty_pages.router, wholesale_pages.router]
routers += [products.router, product_detail.router, orders.router, stores.router, health.router, reconciliation.router]
