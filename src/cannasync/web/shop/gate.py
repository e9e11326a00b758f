"""The age gate on entry to the shop: 21 and over, or 18 and over with a medical card where the store sells
medical; the answer is remembered in a cookie, per browser, for every store on this site.

Every shop route (``frame.ShopRoute``) asks :func:`passed` first: a page asked for without the cookie answers
with the gate itself, at the same address, so the shopper lands where they meant to go once they answer. The
gate is a plain form (buttons, no script), usable by keyboard and screen reader. The checkout still checks the
date of birth; the gate only keeps minors off the menu.
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


def passed(request: Request) -> bool:
    return request.cookies.get(COOKIE) in (ADULT, MEDICAL)


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
    store_id = int(request.path_params.get("store_id", 0))
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
    response.set_cookie(COOKIE, age, max_age=REMEMBER_SECONDS, path="/shop", httponly=True, samesite="lax")
    return response
