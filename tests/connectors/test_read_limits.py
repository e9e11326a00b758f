"""VendorHttp and the LeafLink pager against a fake vendor on loopback: the read limits and envelope checks."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from cannasync.cli.servers import BackgroundServer
from cannasync.connectors.http import (
    AnswerTooLarge,
    DeadlineExceeded,
    EndlessRead,
    MalformedAnswer,
    ReadLimits,
    RetryPolicy,
    VendorHttp,
    credential_key,
)
from cannasync.connectors.leaflink.client import LeafLinkClient


class Vendor:
    """What the fake vendor answers next, and how many times it was asked."""

    def __init__(self) -> None:
        self.answer: Any = None
        self.asked = 0
        self.lock = threading.Lock()

    async def route(self, request: Request) -> Response:
        with self.lock:
            self.asked += 1
        answer = self.answer
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, Response):
            return answer
        body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        return Response(body, media_type="application/json")


@pytest.fixture
def vendor() -> Iterator[tuple[Vendor, str]]:
    state = Vendor()
    app = Starlette(routes=[Route("/{path:path}", state.route)])
    with BackgroundServer(app) as server:
        yield state, server.url


def http(url: str, **limits: Any) -> VendorHttp:
    return VendorHttp(
        "Vendor",
        url,
        limiter_key=credential_key("vendor", uuid.uuid4().hex),
        requests_per_second=None,
        timeout=5,
        retry=RetryPolicy(wait_initial=0.01, wait_max=0.05),
        limits=ReadLimits(**limits),
    )


def _data(payload: Any) -> list[Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise MalformedAnswer("Vendor", "no data list")
    return list(payload["data"])


@pytest.mark.parametrize("body", [b"", b"{}", b'{"error": "x"}', b"<html>", b'{"data": 1}'])
def test_a_malformed_answer_is_asked_again_then_is_an_error(vendor: tuple[Vendor, str], body: bytes) -> None:
    state, url = vendor
    state.answer = body
    with pytest.raises(MalformedAnswer):
        http(url).get_json("items", expect=_data)
    assert state.asked == 4  # the retry policy's attempts, then the error


def test_a_malformed_answer_once_is_read_again_and_taken(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor
    answers = iter([b"{}", json.dumps({"data": [1, 2]}).encode()])
    state.answer = lambda request: next(answers)
    assert http(url).get_json("items", expect=_data) == [1, 2]


def test_an_answer_larger_than_the_limit_is_refused_while_it_streams(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor

    def endless(request: Request) -> Response:
        async def chunks() -> Any:
            yield b'{"data": ['
            for _ in range(1024):  # 64 MB: only the limit stops the read
                if await request.is_disconnected():
                    return  # the client refused it; writing on would only spin on a closed socket
                yield b'"' + b"x" * 65_536 + b'",'
            yield b'""]}'

        return StreamingResponse(chunks(), media_type="application/json")

    state.answer = endless
    with pytest.raises(AnswerTooLarge, match="larger than 1 MB"):
        http(url, max_body_bytes=1024 * 1024).get_json("items")
    assert state.asked == 1, "a refused answer is not asked for again"


def test_a_declared_length_over_the_limit_is_refused_before_reading(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor
    state.answer = json.dumps({"data": ["x" * 5000]}).encode()
    with pytest.raises(AnswerTooLarge):
        http(url, max_body_bytes=1000).get_json("items")


def test_a_drip_fed_answer_ends_at_the_deadline(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor

    def drip(request: Request) -> Response:
        async def chunks() -> Any:
            yield b'{"data": ['
            for _ in range(600):  # a minute of bytes, each well inside the read timeout
                await asyncio.sleep(0.1)
                if await request.is_disconnected():
                    return
                yield b" "
            yield b"]}"

        return StreamingResponse(chunks(), media_type="application/json")

    state.answer = drip
    client = http(url, deadline_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="took longer than 1s"):
        client.get_json("items")
    assert time.monotonic() - started < 30, "the drip must not hold the read for its whole minute"
    assert state.asked == 1


def test_a_stall_mid_body_is_cut_at_the_deadline_not_the_timeout(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor

    def stall(request: Request) -> Response:
        async def chunks() -> Any:
            yield b'{"data": ['
            await asyncio.sleep(60)
            yield b"]}"

        return StreamingResponse(chunks(), media_type="application/json")

    state.answer = stall
    client = VendorHttp(
        "Vendor",
        url,
        limiter_key=credential_key("vendor", uuid.uuid4().hex),
        requests_per_second=None,
        timeout=60,  # the per-read timeout alone would wait a minute
        limits=ReadLimits(deadline_seconds=1.0),
    )
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        client.get_json("items")
    assert time.monotonic() - started < 30


def test_a_streamed_answer_without_its_list_is_malformed_not_empty(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor
    for body in (b"{}", b'{"error": "x"}', b'{"data": null}', b'{"data": {}}', b"[]", b'{"data": [1, 2'):
        state.answer = body
        with pytest.raises(MalformedAnswer):
            list(http(url).stream_items("inventory", "data"))


def test_a_streamed_answer_gives_every_record_as_it_is(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor
    state.answer = b'{"status": 200, "data": [{"a": 1, "b": [1, {"c": 2}]}, 3, "x", [4], {"n": "\\udc00\\u0000"}]}'
    records = list(http(url).stream_items("inventory", "data"))
    assert records == [{"a": 1, "b": [1, {"c": 2}]}, 3, "x", [4], {"n": "\ufffd\x00"}]


# --- LeafLink's {count, next, results} pager -------------------------------------------------------------------


def leaflink(url: str, **limits: Any) -> LeafLinkClient:
    return LeafLinkClient(http(url, **limits))


def _leaflink_page(request: Request) -> Any:
    offset = int(request.query_params.get("offset", "0"))
    results = [{"id": offset + n, "sku": f"S{offset + n}"} for n in range(100)]
    return {"count": 10**9, "next": f"https://x/products/?offset={offset + 100}", "previous": None, "results": results}


def test_leaflink_a_malformed_page_is_an_error_not_the_end(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor
    pages = iter([_leaflink_page, lambda request: b"{}"])

    def answer(request: Request) -> Any:
        step = next(pages, None) or (lambda request: b"{}")
        return step(request)

    state.answer = answer
    with pytest.raises(MalformedAnswer, match="results"):
        leaflink(url).brands()


def test_leaflink_a_next_that_never_ends_stops_at_the_cap(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor
    state.answer = _leaflink_page
    with pytest.raises(EndlessRead, match="past 5 pages"):
        leaflink(url, max_pages=5).brands()
    assert state.asked == 6


def test_leaflink_a_next_link_given_twice_is_a_loop(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor

    def same_next(request: Request) -> Any:
        page = _leaflink_page(request)
        page["next"] = "https://x/products/?offset=100"
        return page

    state.answer = same_next
    with pytest.raises(EndlessRead, match="already read"):
        leaflink(url).brands()
    assert state.asked == 2
