"""One Jinja2 environment for every page, the filters templates share, and ``render``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.datastructures import FormData

from cannasync.domain.stores import zone

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


async def _posted_form(request: Request) -> FormData:
    return await request.form()


#: The posted form, read on the event loop, so that a handler taking it is a plain ``def``: FastAPI runs those in
#: its thread pool, where their database work (a checkout's row locks) and vendor calls (a connection check) wait
#: without holding up every other request the process serves.
PostedForm = Annotated[FormData, Depends(_posted_form)]


def money(cents: int | None) -> str:
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def ago(value: datetime | str | None, now: datetime | None = None) -> str:
    """'3 min ago' reads faster than a timestamp on a screen of runs; the exact time goes in a title attribute."""
    if value is None:
        return "never"
    if isinstance(value, str):  # ISO, or "2026-12-03 13:21:14 UTC" as account checks kept before were stamped
        value = datetime.fromisoformat(value.removesuffix(" UTC"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            text = f"{seconds // size} {unit}"
            break
    else:
        text = f"{seconds} s"
    return f"in {text}" if future else f"{text} ago"


def page_zone(context: Mapping[str, Any]) -> str:
    """The time zone a page shows times in: the store it is about (the console's current store, the shop's)."""
    if context.get("tz"):
        return str(context["tz"])
    store = context.get("store")
    zone = store.get("timezone") if isinstance(store, Mapping) else getattr(store, "timezone", None)
    return str(zone or "UTC")


def local_stamp(value: datetime | str | None, zone_name: str) -> str:
    """``2026-12-03 08:21:14 EST``: a moment in the store's own time, with the zone's abbreviation."""
    if value is None:
        return ""
    if isinstance(value, str):  # ISO, or "2026-12-03 13:21:14 UTC" as account checks kept before were stamped
        value = datetime.fromisoformat(value.removesuffix(" UTC"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(zone_name)).strftime("%Y-%m-%d %H:%M:%S %Z")


@pass_context
def stamp(context: Mapping[str, Any], value: datetime | str | None) -> str:
    """Every time a person reads is in the store's time zone (the page's store, else UTC)."""
    return local_stamp(value, page_zone(context))


@pass_context
def clock(context: Mapping[str, Any], value: str | None) -> str:
    """A vendor call's moment as the page's store reads it, to the millisecond: ``08:21:14.532 EST``.

    Calls are recorded as ISO moments in UTC; those recorded before the date was kept (``08:21:14.532``, UTC) have
    no day to convert by, so they are shown as recorded, marked UTC."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return f"{value} UTC"
    if moment.tzinfo is None:
        return f"{value} UTC"
    local = moment.astimezone(zone(page_zone(context)))
    return f"{local:%H:%M:%S}.{local.microsecond // 1000:03d} {local:%Z}"


_SPELLED = {"sms": "SMS", "pos": "POS", "id": "ID", "otd": "OTD", "thc": "THC", "cbd": "CBD"}


def words(value: str | None) -> str:
    """``ready_for_pickup`` → ``Ready for pickup``, ``sms_opt_in`` → ``SMS opt-in``: our status and flow names, as a
    person reads them (acronyms in capitals, "opt-in" hyphenated as a noun)."""
    if not value:
        return ""
    text = " ".join(_SPELLED.get(part.lower(), part) for part in value.split("_")).replace("opt in", "opt-in")
    return text[:1].upper() + text[1:]


def phone(value: str | None) -> str:
    """``7345550199`` → ``(734) 555-0199``: a stored phone (ten digits, customers.normalise_phone) as people write
    it; anything else is shown as it came."""
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return value or ""
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def csrf_field(viewer: Any) -> Markup:
    """The hidden field every console form carries (see web/session.py)."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(viewer.csrf_token))


templates.env.filters.update(money=money, ago=ago, stamp=stamp, clock=clock, words=words, phone=phone)
templates.env.globals.update(csrf_field=csrf_field)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    viewer = getattr(request.state, "viewer", None)
    return templates.TemplateResponse(request, template, {"viewer": viewer, **context}, status_code=status_code)
