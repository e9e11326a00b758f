"""Reading the query of a list request: typed parameters, the hand-written filters' building blocks, the
documented field lookups (``lookups.py``) and the company-slug filters, ``fields_include``/``fields_exclude``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from cannasync.sandboxes.leaflink import lookups
from cannasync.sandboxes.leaflink.errors import invalid
from cannasync.sandboxes.leaflink.values import parse_time

if TYPE_CHECKING:
    from cannasync.sandboxes.leaflink.store import Store

JSON = dict[str, Any]
Check = Callable[[JSON], bool]


def key_company(request: Request) -> int:
    """The company of the request's key (a seller company, or a retailer's buyer id), set by the gateway."""
    return int(request.scope["sandbox.company"])


#: The documented filters naming the company by slug: a key sees one company, so each keeps all or nothing.
SLUG_FILTERS = ("company_slug", "seller__slug__iexact", "owner__slug")


def slug_matches(request: Request) -> bool:
    sandbox: Store = request.app.state.sandbox
    company = sandbox.companies.get(int(request.scope["sandbox.company"]))
    slug = company["slug"] if company else None
    return all(request.query_params.get(name, slug) == slug for name in SLUG_FILTERS if name in request.query_params)


def field_lookups(request: Request, route: str, records: list[JSON]) -> list[JSON]:
    """The documented field filters of ``route`` (``lookups.LOOKUPS``) on the served records, and the
    company-slug filters (``SLUG_FILTERS``)."""
    if not slug_matches(request):
        return []
    try:
        predicates = lookups.checks(route, request.query_params.multi_items(), parse_time)
        return lookups.apply(records, predicates)
    except lookups.BadLookup as error:
        raise invalid(error.parameter, error.message) from None


def shaper(request: Request) -> Callable[[JSON], JSON]:
    """``fields_include`` / ``fields_exclude`` (top-level fields)."""
    include = [f.strip() for f in request.query_params.get("fields_include", "").split(",") if f.strip()]
    exclude = {f.strip() for f in request.query_params.get("fields_exclude", "").split(",") if f.strip()}

    def shape(record: JSON) -> JSON:
        if include:
            record = {k: v for k, v in record.items() if k in include}
        return {k: v for k, v in record.items() if k not in exclude}

    return shape


def int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise invalid(name, "Enter a number.") from None


def bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise invalid(name, "Select a valid choice.")


def comma_list(request: Request, name: str) -> list[str] | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


COMPARISONS: Mapping[str, Callable[[datetime, datetime], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


@dataclass(frozen=True)
class Compare:
    """``<field>__gt/gte/lt/lte``: the record's ``field`` (a datetime) against ``bound``."""

    field: str
    compare: Callable[[datetime, datetime], bool]
    bound: datetime

    def __call__(self, record: JSON) -> bool:
        return self.compare(record[self.field], self.bound)


def equals_ci(field: str, wanted: str) -> Check:
    return lambda record: str(record[field]).lower() == wanted.lower()


def time_checks(request: Request, fields: Iterable[str]) -> list[Check]:
    return list(time_compares(request, fields))


def time_compares(request: Request, fields: Iterable[str]) -> list[Compare]:
    checks: list[Compare] = []
    for field in fields:
        for suffix, compare in COMPARISONS.items():
            name = f"{field}__{suffix}"
            raw = request.query_params.get(name)
            if raw:
                checks.append(Compare(field, compare, parse_time(raw, name)))
    return checks


def external_id_check(request: Request) -> list[Check]:
    key = request.query_params.get("external_id_key")
    values = comma_list(request, "external_id_values")
    if not key and not values:
        return []
    if not key or not values:
        raise invalid("external_id_key", "external_id_key and external_id_values must be used together.")
    wanted = set(values)
    return [lambda r: str(r["external_ids"].get(key)) in wanted if key in r["external_ids"] else False]


def all_of(checks: Sequence[Check]) -> Check:
    return lambda record: all(check(record) for check in checks)


def includes_lines(request: Request) -> bool:
    children = request.query_params.get("include_children", "")
    return "line_items" in {part.strip() for part in children.split(",")}


def int_set(request: Request, name: str) -> set[int] | None:
    values = comma_list(request, name)
    if values is None:
        return None
    try:
        return {int(value) for value in values}
    except ValueError:
        raise invalid(name, "Enter a whole number.") from None


def name_checks(request: Request, field: str) -> list[Check]:
    checks: list[Check] = []
    exact = request.query_params.get(field)
    if exact:
        checks.append(lambda r: str(r[field]).lower() == exact.lower())
    among = comma_list(request, f"{field}__in")
    if among is not None:
        wanted = {value.lower() for value in among}
        checks.append(lambda r: str(r[field]).lower() in wanted)
    start = request.query_params.get(f"{field}__startswith")
    if start:
        checks.append(lambda r: str(r[field]).lower().startswith(start.lower()))
    return checks


def _time_check(field: str, compare: Callable[[datetime, datetime], bool], bound: datetime) -> Check:
    return lambda record: compare(datetime.fromisoformat(record[field]), bound)


def parsed_times(request: Request, fields: Mapping[str, str]) -> list[Check]:
    """``<param>__gt/gte/lt/lte`` (param → the record field it reads, already served as an ISO string)."""
    checks: list[Check] = []
    for param, field in fields.items():
        for suffix, compare in COMPARISONS.items():
            name = f"{param}__{suffix}"
            raw = request.query_params.get(name)
            if raw:
                checks.append(_time_check(field, compare, parse_time(raw, name)))
    return checks


def id_check(request: Request, name: str = "id", field: str = "id") -> list[Check]:
    wanted = int_set(request, name)
    return [] if wanted is None else [lambda r: int(r[field]) in wanted]


def slug_check(request: Request, sandbox: Store, company_id: int) -> list[Check]:
    slug = request.query_params.get("company_slug")
    if not slug:
        return []
    matches = sandbox.companies[company_id]["slug"] == slug.lower()
    return [lambda r: matches]
