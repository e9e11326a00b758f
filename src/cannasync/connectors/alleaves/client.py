"""The Alleaves calls cannasync makes (our own wire format; see ``cannasync.sandboxes.alleaves``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cannasync.connectors.http import MalformedAnswer, NotFound, PageGuard, VendorHttp

PER_PAGE = 100
VENDOR = "Alleaves"


def _data(payload: Any) -> list[Any]:
    """The ``data`` list of an answer; anything else is a MalformedAnswer, never "nothing"."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, list):
        raise MalformedAnswer(VENDOR, 'the answer has no "data" list')
    return data


def _record(payload: Any) -> dict[str, Any]:
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, Mapping):
        raise MalformedAnswer(VENDOR, 'the answer has no "data" object')
    return dict(data)


def _page(payload: Any) -> tuple[list[Any], int]:
    """A page's records and the number of pages, from ``{"data": [...], "pagination": {..., "total_pages"}}``
    (our wire format: every list answer carries its pagination; see the sandbox)."""
    records = _data(payload)
    paging = payload.get("pagination")
    total = paging.get("total_pages") if isinstance(paging, Mapping) else None
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise MalformedAnswer(VENDOR, "the answer has no pagination.total_pages")
    return records, total


class AlleavesClient:
    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    def location(self) -> dict[str, Any]:
        return self._http.get_json("api/v1/location", expect=_record)  # type: ignore[no-any-return]

    def areas(self) -> list[dict[str, Any]]:
        areas = self._http.get_json("api/v1/inventory-areas", expect=_data)
        return [dict(area) for area in areas if isinstance(area, Mapping)]

    def _pages(self, path: str, params: Sequence[tuple[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        """Every page's object records (these reads have no quarantine: a record that is not an object names
        nothing they could use)."""
        for records, _next in self._pages_from(path, params, 1):
            yield [dict(record) for record in records if isinstance(record, Mapping)]

    def _pages_from(
        self, path: str, params: Sequence[tuple[str, Any]], page: int
    ) -> Iterator[tuple[list[Any], int | None]]:
        """Pages from page number ``page``, each with the page number that follows it (None after the last).

        The read ends only where the vendor's pagination says; past ``max_pages``, or on a page equal to the one
        before (a server ignoring ``page``), it is an EndlessRead.
        """
        guard = PageGuard(VENDOR, self._http.limits.max_pages)
        known_pages: int | None = None  # from the last good page: how far a malformed one may be stepped over
        skipped: MalformedAnswer | None = None
        while True:
            query = [*params, ("page", page), ("per_page", PER_PAGE)]
            try:
                records, total_pages = self._http.get_json(path, params=query, expect=_page)
            except MalformedAnswer as bad:
                # Step over it so later pages' stock still comes in; the read then ends with the error (it was
                # not complete, so nothing is hidden). Without a good page before it, there is nothing to go on.
                if known_pages is None or page >= known_pages:
                    raise (skipped or bad) from None
                skipped, known_pages = skipped or bad, None
                guard.page([])
                page += 1
                continue
            known_pages = total_pages
            guard.page(records)
            last = not records or page >= total_pages
            if records:
                yield records, None if last else page + 1
            if last:
                break
            page += 1
        if skipped is not None:
            raise MalformedAnswer(VENDOR, f"{skipped.message} (the read went on past it; nothing was hidden)")

    def item_pages(self, area_ids: Sequence[str], page: int = 1) -> Iterator[tuple[list[Any], int | None]]:
        return self._pages_from("api/v1/items", [("area_id", area) for area in area_ids], page)

    def patients(self, **query: str) -> list[dict[str, Any]]:
        found = self._http.get_json("api/v1/patients", params={**query, "per_page": 10}, expect=_data)
        return [dict(patient) for patient in found if isinstance(patient, Mapping)]

    def create_patient(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("POST", "api/v1/patients", body)["data"])

    def create_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self._http.write_json("POST", "api/v1/orders", body)["data"])

    def orders_with_reference(self, reference: str) -> list[dict[str, Any]]:
        found = [record for page in self._pages("api/v1/orders", [("external_id", reference)]) for record in page]
        return [order for order in found if str(order.get("external_id")) == reference]

    def order(self, order_id: str) -> dict[str, Any] | None:
        try:
            return dict(self._http.get_json(f"api/v1/orders/{order_id}")["data"])
        except NotFound:
            return None
