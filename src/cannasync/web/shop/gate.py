"""The age gate on entry to the shop: 21 and over, or 18 and over with a medical card where the store sells
medical.

"21 or older" is remembered in a cookie, per browser, for every store on this site. "18 or older with a medical
card" is an answer about one store: it admits an 18-20-year-old patient only where medical is sold, so it is
remembered in a cookie of that store's own (named and scoped by the store's id) and, at every page, only while the
store still sells medical. A patient who opens an adult-use-only store is asked again there, where the medical
answer is not offered.

Every shop route (``frame.ShopRoute``) asks :func:`remembered` first: a page asked for without an answer that
admits answers with the gate itself, at the same address, so the shopper lands where they meant to go once they
answer. The gate is a plain form (buttons, no script), usable by keyboard and screen reader. The checkout still
checks the date of birth; the gate only keeps minors off the menu.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cannasync.api.deps import Db
from cannasync.store.catalog.storefront import sells_medical
from cannasync.store.uow import Database
from cannasync.web.shop import frame

router = APIRouter(include_in_schema=False)

COOKIE = "cs_age"
ADULT = "21"
MEDICAL = "18-medical"
#: How long a browser is remembered (the shopper answers again after this).
REMEMBER_SECONDS = 30 * 86400
#: A cookie that has passed the gate (tests and tools that shop as an adult send it).
ADULT_COOKIE = {COOKIE: ADULT}


def medical_cookie(store_id: int) -> str:
    """The cookie that remembers a medical answer at one store (its path is the store's own pages)."""
    return f"{COOKIE}_{store_id}"


def remembered(request: Request) -> str | None:
    """The answer this browser gave that can admit it to the store asked for: ADULT for every store, MEDICAL only
    for the store it was given at (whether that store still sells medical is :func:`admits_medical`'s question)."""
    if request.cookies.get(COOKIE) == ADULT:
        return ADULT
    store_id = _store_number(request)
    if store_id is not None and request.cookies.get(medical_cookie(store_id)) == MEDICAL:
        return MEDICAL
    return None


def _store_number(request: Request) -> int | None:
    """The store the address names, read before the route's own validation: None when it is not a number."""
    raw = str(request.path_params.get("store_id", ""))
    return int(raw) if raw.isdigit() else None


def admits_medical(request: Request) -> bool:
    """A medical answer admits to a store only while it sells medical (it reads the store's menu)."""
    store_id = _store_number(request) or 0
    with request.app.state.db.uow() as uow:
        return sells_medical(uow.catalog, store_id)


def _safe_next(store_id: int, target: str) -> str:
    """Only ever back into this store (``next`` must not send a shopper elsewhere)."""
    return (
        target
        if target.startswith(f"/shop/{store_id}") and "//" not in target and "\\" not in target
        else (f"/shop/{store_id}")
    )


def gate_page(
    request: Request,
    db: Database,
    store_id: int,
    next_url: str,
    *,
    error: str = "",
    refused: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    with db.uow() as uow:
        store = frame.storefront(uow, store_id)
        medical = sells_medical(uow.catalog, store_id)
    return frame.page(
        request,
        "shop/age_gate.html",
        store,
        status_code=status_code,
        next_url=_safe_next(store_id, next_url),
        medical=medical,
        error=error,
        refused=refused,
    )


def refuse(request: Request) -> Response:
    """What a shop route answers a browser that has not passed the gate: the gate (a page), or back to it."""
    store_id = _store_number(request)
    if store_id is None:
        raise frame.PageNotFound("store")
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return gate_page(request, request.app.state.db, store_id, target)
    return RedirectResponse(f"/shop/{store_id}/age", status_code=303)


@router.get("/shop/{store_id}/age", response_class=HTMLResponse)
def ask(request: Request, store_id: int, db: Db, next: str = "") -> Response:
    try:
        return gate_page(request, db, store_id, next or f"/shop/{store_id}")
    except frame.PageNotFound as missing:
        return frame.not_found_page(request, missing)


@router.post("/shop/{store_id}/age", response_class=HTMLResponse)
def answer(
    request: Request,
    store_id: int,
    db: Db,
    age: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        if age == "no":  # nothing is remembered: the next visit asks again
            return gate_page(request, db, store_id, next, refused=True, status_code=403)
        with db.uow() as uow:
            medical = sells_medical(uow.catalog, store_id)
        if age not in (ADULT, MEDICAL) or (age == MEDICAL and not medical):
            error = (
                "This store sells to adults 21 and over only: choose I'm 21 or older, or leave."
                if age == MEDICAL
                else "Choose one of the answers below (age is required)."
            )
            return gate_page(request, db, store_id, next, error=error, status_code=422)
    except frame.PageNotFound as missing:
        return frame.not_found_page(request, missing)
    response = RedirectResponse(_safe_next(store_id, next), status_code=303)
    if age == ADULT:  # every store on this site
        response.set_cookie(COOKIE, ADULT, max_age=REMEMBER_SECONDS, path="/shop", httponly=True, samesite="lax")
    else:  # this store only: another store may sell to adults 21 and over only
        name, path = medical_cookie(store_id), f"/shop/{store_id}"
        response.set_cookie(name, MEDICAL, max_age=REMEMBER_SECONDS, path=path, httponly=True, samesite="lax")
    return response
