"""Shared HTTP plumbing: one client per vendor credential, typed errors, retries and a shared rate limiter.

The rules, from DESIGN.md: one limiter per vendor credential shared by every flow (and by every process, when
:mod:`cannasync.connectors.limits` is given a Redis); honour ``Retry-After``; back off with jitter where a vendor
sends none; never log a header, a body or a query string, since all three can carry secrets.
Reads are retried; a write that may have reached the vendor is never blindly repeated: it raises
:class:`OutcomeUnknown` and the outbox looks the record up before it tries again.
"""

from __future__ import annotations

import email.utils
import functools
import hashlib
import math
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import ijson
import stamina
import structlog

from cannasync.connectors import limits

log = structlog.get_logger(__name__)


class VendorError(Exception):
    """Something a vendor answered or failed to answer. ``message`` is fit to show a merchant."""

    def __init__(self, vendor: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{vendor}: {message}")
        self.vendor = vendor
        self.message = message
        self.status = status


class AuthenticationFailed(VendorError):
    """The credentials were refused (401) or are not active (403)."""


class NotFound(VendorError):
    pass


class Rejected(VendorError):
    """The vendor refused the request as given (400, 409, 422): repeating it will not help."""


class Unavailable(VendorError):
    """The vendor could not be reached or is overloaded, even after retries: try again later."""


class OutcomeUnknown(Unavailable):
    """A write may or may not have been applied (timeout, lost connection, 5xx)."""


class _Retryable(Exception):
    def __init__(self, wait: float | None, error: VendorError) -> None:
        self.wait = wait
        self.error = error


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 4
    wait_initial: float = 0.2
    wait_max: float = 5.0
    #: The longest Retry-After we sleep through inside one call; longer ones surface as Unavailable.
    max_retry_after: float = 30.0


def credential_key(vendor: str, *parts: str) -> str:
    """A stable, non-reversible name for a credential, safe to use as a limiter or log key."""
    digest = hashlib.sha256("\x1f".join((vendor, *parts)).encode()).hexdigest()[:16]
    return f"{vendor}:{digest}"


#: The longest pause a vendor's Retry-After may impose on a credential. A 429 with ``Retry-After: 86400`` would
#: otherwise stop every call of that credential, order pushes included, for a day (and across restarts, with Redis).
MAX_RETRY_AFTER = 900.0


def _retry_after(response: httpx2.Response) -> float | None:
    """The seconds a vendor asks us to wait, capped at MAX_RETRY_AFTER, or None when it says nothing we can read
    (``inf``, ``nan``, words), which then backs off as a 429 without one.

    ``Retry-After`` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3); gateways and CDNs in front of a
    vendor often send the date. A date in the past means "now".
    """
    value = (response.headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 5322 "-0000": a date in UTC with no zone given
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _error_message(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] or response.reason_phrase
    if isinstance(body, Mapping):
        for key in ("error", "message", "detail", "errors"):
            if key in body:
                return str(body[key])[:300]
    return str(body)[:300]


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: building one reads the CA bundle (about 37 ms), and every run builds a client.

    Shared read-only across threads, as Python's ``ssl`` allows once it is configured.
    """
    return ssl.create_default_context()


class VendorHttp:
    """A vendor's base URL, authentication, limiter and retry rules around one pooled httpx2 client."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: httpx2.Auth | None = None,
        limiter_key: str,
        requests_per_second: float | None,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self.vendor = vendor
        self._client = httpx2.Client(
            base_url=base_url.rstrip("/") + "/",
            headers=dict(headers or {}),
            auth=auth,
            timeout=timeout,
            transport=transport,
            verify=_tls(),
        )
        #: Calls per second allowed with this credential; the budget itself is kept by ``limits``, per credential.
        self._requests_per_second = requests_per_second
        self._limiter_key = limiter_key
        #: The vendor's id ("flourish"), as :func:`credential_key` begins the key: a stable label for logs and metrics.
        self.vendor_id = limiter_key.partition(":")[0] or vendor
        self._retry = retry or RetryPolicy()

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, *, params: Any = None, headers: Mapping[str, str] | None = None) -> httpx2.Response:
        return self._send("GET", path, params=params, headers=headers, write=False)

    def get_json(self, path: str, *, params: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        response = self.get(path, params=params, headers=headers)
        return response.json() if response.content else None

    def stream_items(
        self, path: str, prefix: str, *, params: Any = None, headers: Mapping[str, str] | None = None
    ) -> Iterator[Any]:
        """The records under ``prefix`` (e.g. ``data.item``) of one large JSON answer, parsed as its bytes arrive.

        For vendors that answer a whole catalogue at once (Flowhub's v0 inventory): memory follows one chunk
        and one record, not the answer. Connecting is retried like any read; a break mid-stream is Unavailable.
        """
        response = self._send("GET", path, params=params, headers=headers, write=False, stream=True)
        found = ijson.sendable_list()
        parser = ijson.items_coro(found, prefix, use_float=True)  # numbers as plain JSON would give them
        try:
            for chunk in response.iter_bytes():
                parser.send(chunk)
                yield from found
                found.clear()
            parser.close()
            yield from found
        except httpx2.TransportError as exc:
            raise Unavailable(self.vendor, f"the answer broke off ({exc.__class__.__name__})") from exc
        except ijson.JSONError as exc:
            raise Unavailable(self.vendor, f"the answer is not valid JSON ({exc})") from exc
        finally:
            response.close()

    def write_json(self, method: str, path: str, body: Any, *, headers: Mapping[str, str] | None = None) -> Any:
        """A POST/PUT/PATCH. Retried only when the vendor cannot have applied it (refused connection, 429)."""
        response = self._send(method, path, json=body, headers=headers, write=True)
        return response.json() if response.content else None

    def _send(self, method: str, path: str, *, write: bool, stream: bool = False, **kwargs: Any) -> httpx2.Response:
        policy = self._retry
        try:
            for attempt in stamina.retry_context(
                on=_Retryable,
                attempts=policy.attempts,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=policy.wait_initial,
            ):
                with attempt:
                    return self._attempt(method, path, write=write, stream=stream, **kwargs)
        except _Retryable as exhausted:
            raise exhausted.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, method: str, path: str, *, write: bool, stream: bool, **kwargs: Any) -> httpx2.Response:
        if self._requests_per_second:
            try:
                limits.acquire(self._limiter_key, self._requests_per_second, max_wait=self._retry.max_retry_after)
            except limits.Paused as paused:  # another call was told to wait longer than we sleep through
                raise Unavailable(self.vendor, _paused(paused.seconds), status=429) from None
        started = time.perf_counter()
        try:
            request = self._client.build_request(method, path.lstrip("/"), **kwargs)
            response = self._client.send(request, stream=stream)
        except httpx2.ConnectError as exc:
            self._log_call(method, path, None, started, error=exc)
            # Nothing reached the vendor: safe to retry, writes included.
            raise _Retryable(None, Unavailable(self.vendor, f"cannot connect ({exc.__class__.__name__})")) from exc
        except httpx2.TransportError as exc:
            self._log_call(method, path, None, started, error=exc)
            if write:
                raise OutcomeUnknown(self.vendor, f"no answer to {method} ({exc.__class__.__name__})") from exc
            raise _Retryable(None, Unavailable(self.vendor, f"no answer ({exc.__class__.__name__})")) from exc
        self._log_call(method, path, response.status_code, started)
        return self._check(response, method, write=write)

    def _log_call(
        self, method: str, path: str, status: int | None, started: float, *, error: Exception | None = None
    ) -> None:
        """One line per vendor call; the bound ``correlation_id`` ties it to the request or job that made it.

        Only the path is logged: query parameters (``params``, or a query written into ``path``) may carry keys.
        Successful calls are debug (a sync makes hundreds); refusals and failures are info.
        """
        fields: dict[str, Any] = {
            "vendor": self.vendor_id,
            "method": method,
            "path": path.split("?", 1)[0],
            "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "priority": limits.current_priority(),
        }
        if error is not None:
            fields["error"] = error.__class__.__name__
        if status is not None and status < 400:
            log.debug("vendor_call", **fields)
        else:
            log.info("vendor_call", **fields)

    def _check(self, response: httpx2.Response, method: str, *, write: bool) -> httpx2.Response:
        status = response.status_code
        if status < 400:
            return response
        response.read()  # a streamed answer: its error body is small
        response.close()
        message = _error_message(response)
        if status in (401, 403):
            raise AuthenticationFailed(self.vendor, message, status=status)
        if status == 404:
            raise NotFound(self.vendor, message, status=status)
        if status == 429:
            limits.count_rate_limited(self.vendor_id)
            wait = _retry_after(response)
            if wait is not None:
                # The vendor's pause holds for every flow and process using the credential, not only this call.
                limits.hold_off(self._limiter_key, wait)
            if wait is not None and wait > self._retry.max_retry_after:
                raise Unavailable(self.vendor, _paused(wait), status=status)
            if wait is not None:
                time.sleep(wait)
            log.info("vendor_rate_limited", vendor=self.vendor_id, retry_after=wait)
            raise _Retryable(wait, Unavailable(self.vendor, "rate limited", status=status))
        if status >= 500:
            if write:
                raise OutcomeUnknown(self.vendor, f"server error {status} on {method}: {message}", status=status)
            raise _Retryable(None, Unavailable(self.vendor, f"server error {status}: {message}", status=status))
        raise Rejected(self.vendor, message, status=status)


def _paused(seconds: float) -> str:
    """What a run or a push shows (on Health too) while the credential is paused: how long, and until when."""
    until = datetime.now(UTC) + timedelta(seconds=seconds)
    return f"rate limited: paused {seconds:.0f}s, until {until:%H:%M:%S} UTC, as the vendor asked; nothing is lost"


def offset_pages(fetch: Callable[[int, int], tuple[list[Any], bool]], *, limit: int) -> Iterator[list[Any]]:
    """Pages of an offset/limit API, one request at a time, until the vendor says there is no more.

    ``fetch(offset, limit)`` returns the page's records and whether another page follows.
    """
    for records, _next in offset_pages_from(fetch, limit=limit, start=0):
        yield records


def offset_pages_from(
    fetch: Callable[[int, int], tuple[list[Any], bool]], *, limit: int, start: int
) -> Iterator[tuple[list[Any], int | None]]:
    """The same pages from ``start`` on, each with the offset the read resumes at after it (None: no more).

    An offset is only a good place to resume while the list keeps its order and length; a run that resumes from
    one therefore never hides what it did not see (flows/menu_sync.py).
    """
    offset = start
    while True:
        records, more = fetch(offset, limit)
        offset += len(records)
        last = not more or not records
        if records:
            yield records, None if last else offset
        if last:
            return
