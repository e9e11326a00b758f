"""LeafLink's lists: DRF's LimitOffsetPagination, and the one way every list route answers (``page``).

``limit`` (default 50, silently capped at 100) and ``offset`` (default 0). As DRF's LimitOffsetPagination:
an invalid, zero or negative ``limit`` means the default, an invalid or negative ``offset`` means 0. The
envelope is ``{"count", "next", "previous", "results"}``; ``next``/``previous`` are absolute URLs on the
host the request came in on, carrying the same query (sorted, as DRF writes it) with ``limit`` and the
new ``offset`` (``previous`` drops ``offset`` when it would be 0), or null. Orders are listed newest first
(``created_on`` descending, as in LeafLink's example); everything else in id order.

Choices where LeafLink's public material is silent
--------------------------------------------------
Each is a guess kept easy to change (numbered across the sandbox; the others are beside the code they govern).

1. Default page size 50, cap 100 (tap-leaflink pages by 100; the vendor notes' ``next`` example steps by
   50). Invalid paging values fall back as DRF does rather than erroring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse

from cannasync.sandboxes.leaflink.errors import not_found
from cannasync.sandboxes.leaflink.filters import Check, field_lookups

JSON = dict[str, Any]

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def paging(request: Request) -> tuple[int, int]:
    """(offset, limit) as DRF's LimitOffsetPagination reads them."""
    limit = DEFAULT_LIMIT
    raw = request.query_params.get("limit")
    if raw is not None and raw.strip().isdigit() and int(raw) > 0:
        limit = min(int(raw), MAX_LIMIT)
    offset = 0
    raw = request.query_params.get("offset")
    if raw is not None and raw.strip().isdigit():
        offset = int(raw)
    return offset, limit


def with_query(request: Request, changes: Mapping[str, str | None]) -> str:
    query = dict(parse_qsl(request.url.query, keep_blank_values=True))
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    base = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    return f"{base}?{urlencode(sorted(query.items()))}" if query else base


def page(
    request: Request,
    records: list[JSON],
    *,
    keep: Sequence[Check] = (),
    route: str | None = None,
    shape: Callable[[JSON], JSON] | None = None,
) -> JSONResponse:
    """The DRF page a list route answers: the ``records`` every ``keep`` check accepts, narrowed by the
    documented field lookups and company-slug filters of ``route`` when it is given (``filters.field_lookups``),
    then the page ``limit``/``offset`` ask for, each record of it passed through ``shape`` (the
    ``fields_include``/``fields_exclude`` shaper, or a serialiser dropping filter-only fields)."""
    if keep:
        records = [record for record in records if all(check(record) for check in keep)]
    if route is not None:
        records = field_lookups(request, route, records)
    offset, limit = paging(request)
    count = len(records)
    results = records[offset : offset + limit]
    next_link = None
    if offset + limit < count:
        next_link = with_query(request, {"limit": str(limit), "offset": str(offset + limit)})
    previous = None
    if offset > 0:
        back = offset - limit
        previous = with_query(request, {"limit": str(limit), "offset": None if back <= 0 else str(back)})
    if shape is not None:
        results = [shape(record) for record in results]
    return JSONResponse({"count": count, "next": next_link, "previous": previous, "results": results})


def one(records: Iterable[JSON], record_id: object) -> JSONResponse:
    """The record of a list whose ``id`` is ``record_id`` (as the path gave it), or DRF's 404."""
    for record in records:
        if str(record["id"]) == str(record_id):
            return JSONResponse(record)
    raise not_found()
