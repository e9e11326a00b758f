"""The merchant's console: one module per screen the seeds walk a merchant through."""

from __future__ import annotations

from fastapi import APIRouter

from cannasync.web.console import auth, integrations

routers: list[APIRouter] = [auth.router, integrations.router]
