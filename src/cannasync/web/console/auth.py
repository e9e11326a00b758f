"""Sign in and out, and the console's front door (which store to look at)."""

from __future__ import annotations

import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cannasync.api.deps import Db
from cannasync.domain.tokens import same_secret
from cannasync.store.types import utcnow
from cannasync.store.users import SESSION_LIFETIME
from cannasync.web.pages import render
from cannasync.web.session import COOKIE, Merchant, MerchantForm

router = APIRouter(prefix="/console", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only paths inside the console: a sign-in link must not bounce a merchant to another site."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console"


SIGN_IN_COOKIE = "cannasync_sign_in"  # the sign-in form's CSRF token (double submit: cookie and hidden field)


def _sign_in_form(
    request: Request, *, next: str, email: str = "", error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    """The form with a fresh CSRF token, set as a cookie too: only a page this site served can post it back."""
    token = secrets.token_urlsafe(32)
    page = render(
        request,
        "console/sign_in.html",
        status_code=status_code,
        next=next,
        email=email,
        error=error,
        csrf_token=token,
    )
    page.set_cookie(
        SIGN_IN_COOKIE, token, max_age=3600, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return page


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _sign_in_form(request, next=_safe_next(next))


@router.post("/sign-in", response_model=None)
def sign_in(
    request: Request,
    db: Db,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/console",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    target = _safe_next(next)
    if not same_secret(csrf_token, request.cookies.get(SIGN_IN_COOKIE, "")):
        message = "This sign-in form has expired or came from elsewhere. Sign in again on this page."
        return _sign_in_form(request, next=target, email=email, error=message, status_code=403)
    address = _client_address(request)
    with db.uow() as uow:
        until = uow.users.throttled_until(email, address)
        if until is not None:
            minutes = max(1, math.ceil((until - utcnow()).total_seconds() / 60))
            message = f"Too many wrong passwords. Wait {minutes} minute{'s' if minutes > 1 else ''} and try again."
            page = _sign_in_form(request, next=target, email=email, error=message, status_code=429)
            page.headers["Retry-After"] = str(minutes * 60)
            return page
        user = uow.users.authenticate(email, password)
        if user is None:
            uow.users.record_failure(email, address)
        else:
            uow.users.clear_failures(email)
            token, _ = uow.users.open_session(user)
    if user is None:
        message = "That e-mail and password don't match. Check both and try again."
        return _sign_in_form(request, next=target, email=email, error=message, status_code=401)
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SIGN_IN_COOKIE)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request, db: Db, viewer: MerchantForm) -> RedirectResponse:
    del viewer
    with db.uow() as uow:
        uow.users.close_session(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("", response_model=None)
def front_door(request: Request, db: Db, viewer: Merchant) -> Response:
    """Straight to the first store's integrations; an organization with no store yet is asked to add one."""
    with db.uow() as uow:
        stores = uow.accounts.stores(viewer.organization_id)
        first = stores[0].id if stores else None
    if first is not None:
        return RedirectResponse(f"/console/stores/{first}/integrations", status_code=303)
    return render(request, "console/no_store.html", stores=[])


@router.post("/stores", response_model=None)
def add_store(request: Request, db: Db, viewer: MerchantForm, name: Annotated[str, Form()] = "") -> Response:
    name = name.strip()
    if not name or len(name) > 200:
        return render(
            request, "console/no_store.html", status_code=422, error="Give the store a name (up to 200 characters)."
        )
    with db.uow() as uow:
        store_id = uow.accounts.add_store(viewer.organization_id, name).id
    return RedirectResponse(f"/console/stores/{store_id}/integrations", status_code=303)


@router.get("/switch")
def switch_store(db: Db, viewer: Merchant, store_id: int, section: str = "integrations") -> RedirectResponse:
    """The sidebar's store picker: the same screen, for the store chosen."""
    with db.uow() as uow:
        known = uow.accounts.store(store_id, viewer.organization_id) is not None
    if not known:
        return RedirectResponse("/console", status_code=303)
    if section not in ("integrations", "products", "orders", "settings"):
        section = "integrations"
    return RedirectResponse(f"/console/stores/{store_id}/{section}", status_code=303)
