"""Shared HTTP plumbing: one client per vendor credential, typed errors, retries and a shared rate limiter.

The rules, from DESIGN.md: one limiter per vendor credential shared by every flow (and by every process, when
:mod:`cannasync.connectors.limits` is given a Redis); honour ``Retry-After``; back off with jitter where a vendor
sends none; never log a header, a body or a query string, since all three can carry secrets.
Reads are retried; a write that may have reached the vendor is never blindly repeated: it raises
:class:`OutcomeUnknown` and the outbox looks the record up before it tries again.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import functools
import hashlib
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import ijson
import orjson
import stamina
import structlog

from cannasync.connectors import limits
from cannasync.connectors.alarms import ALARMS, Alarm

log = structlog.get_logger(__name__)

#: How many calls a :class:`CallLog` keeps one by one; past it, only the totals grow.
CALLS_KEPT = 100


class CallLog:
    """The vendor calls one job made, kept cheaply for its record (a run's detail on Health, an account check's
    report).

    Each entry is what a log line says (method, path without its query, status, milliseconds, error kind) and the
    rate-limit headers of the answer, never another header, a body or a query string. It also notes what the
    vendor said about the credential itself: the last refusal (401/403) or pause (a Retry-After longer than we wait
    through), and whether a call got through. A ``read_only`` log refuses every write of a connector before it is
    sent (:class:`WriteForbidden`).
    """

    def __init__(self, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self.calls: list[dict[str, Any]] = []
        self.total = 0
        self.failed = 0
        self.refused: str | None = None
        self.paused_until: datetime | None = None
        self.pause_note: str | None = None
        self.answered = False

    def add(
        self, method: str, path: str, status: int | None, ms: float, error: str | None, rate_limit: Mapping[str, str]
    ) -> None:
        self.total += 1
        if status is None or status >= 400:
            self.failed += 1
        if status is not None and status < 400:
            self.answered = True
        if len(self.calls) < CALLS_KEPT:
            at = datetime.now(UTC).isoformat(timespec="milliseconds")  # pages show it in the store's zone
            call = {"at": at, "method": method, "path": path, "status": status, "ms": ms, "error": error}
            self.calls.append(call | {"rate_limit": dict(rate_limit)})

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "failed": self.failed, "kept": len(self.calls), "calls": list(self.calls)}


_calls: contextvars.ContextVar[CallLog | None] = contextvars.ContextVar("vendor_calls", default=None)


@contextlib.contextmanager
def recording(*, read_only: bool = False) -> Iterator[CallLog]:
    """Record the vendor calls made in this context (this thread or task) into a new :class:`CallLog`; with
    ``read_only``, refuse every write (a POST/PUT/PATCH of a connector raises :class:`WriteForbidden` unsent).

    Authentication grants made by an ``httpx2.Auth`` (Alleaves' token, Flowhub's Order Ahead grant) are not
    writes of a connector and still go out: they create no record at the vendor, only a token.
    """
    calls = CallLog(read_only=read_only)
    token = _calls.set(calls)
    try:
        yield calls
    finally:
        _calls.reset(token)


def _note_refused(message: str) -> None:
    if (calls := _calls.get()) is not None:
        calls.refused = message


def _note_paused(seconds: float, message: str) -> None:
    if (calls := _calls.get()) is not None:
        calls.paused_until = datetime.now(UTC) + timedelta(seconds=seconds)
        calls.pause_note = message


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


class MalformedAnswer(Unavailable):
    """A 200 whose body is not what the vendor documents (empty, not JSON, not its envelope).

    Never "no more records": a read that meets one is incomplete, so nothing may be hidden after it.
    """


class DeadlineExceeded(Unavailable):
    """The answer did not arrive whole within the request's deadline (a slow or drip-fed body)."""


class AnswerTooLarge(Unavailable):
    """The answer is larger than the vendor's body limit: it is refused before it fills memory."""


class EndlessRead(Unavailable):
    """A paged read that does not end: more pages than the cap, or the vendor answered the same page again."""


class WriteForbidden(VendorError):
    """A write was asked for inside a read-only :func:`recording` (an account check): it was not sent."""


#: Response headers that tell a client its rate budget: the IETF draft's ``RateLimit-*`` (LeafLink's new API,
#: vendor-apis.md §4), the common ``X-RateLimit-*`` / ``X-Rate-Limit-*``, and ``Retry-After``.
_RATE_LIMIT_HEADERS = ("ratelimit", "x-ratelimit", "x-rate-limit", "retry-after")


def _rate_limit_headers(response: httpx2.Response) -> dict[str, str]:
    return {
        name.lower(): value[:100]
        for name, value in response.headers.items()
        if name.lower().startswith(_RATE_LIMIT_HEADERS)
    }


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


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """What one vendor answer and one paged read may cost, whatever the vendor sends.

    Each connector builds these from its integration's settings (connectors never read process settings).
    """

    #: Seconds one request may take from sending to its last byte. Timeouts bound each wait for a byte; a body
    #: drip-fed a byte at a time never trips them, so this bounds the whole exchange.
    deadline_seconds: float = 60.0
    #: Pages one read may take before it is taken for a vendor that always says "next".
    max_pages: int = 2_000
    #: Bytes one answer may have; a larger one is refused while it streams in, never buffered whole.
    max_body_bytes: int = 20 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Any) -> ReadLimits:
        """From a vendor settings model's ``read_deadline_seconds``, ``max_pages`` and ``max_response_mb``."""
        return cls(
            deadline_seconds=float(settings.read_deadline_seconds),
            max_pages=int(settings.max_pages),
            max_body_bytes=int(float(settings.max_response_mb) * 1024 * 1024),
        )


#: The most of an error answer we read to tell a merchant what the vendor said.
_ERROR_BODY_BYTES = 64 * 1024


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


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: building one reads the CA bundle (about 37 ms), and every run builds a client.

    Shared read-only across threads, as Python's ``ssl`` allows once it is configured.
    """
    return ssl.create_default_context()


class _Deadline:
    """One exchange's deadline, enforced even while a read waits on the socket.

    Checking the clock between chunks is not enough: a vendor that sends a byte and then stalls holds a read for
    a whole timeout after the deadline. So when the deadline passes with the body still unread, the socket is
    shut down from the alarm thread (``alarms.py``), which wakes the blocked read (it then sees the connection
    end). The lock makes sure the alarm never shuts down a socket whose answer was read whole and went back to the
    pool.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.passed = False
        self._lock = threading.Lock()
        self._done = False
        self._alarm: Alarm | None = None

    def start(self) -> None:
        """Begin an attempt: each attempt of a call has the whole deadline."""
        self.finish()
        self.ends = time.monotonic() + self.seconds
        self.passed = False
        self._done = False

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def watch(self, response: httpx2.Response) -> None:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return  # a transport without a socket (tests' mock transports): the checks between chunks remain

        def cut() -> None:
            with self._lock:
                if self._done:
                    return
                self.passed = True
                with contextlib.suppress(OSError):  # closed already: nothing is waiting on it
                    sock.shutdown(socket.SHUT_RDWR)

        self._alarm = ALARMS.after(self.remaining(), cut)

    def check(self) -> None:
        if time.monotonic() >= self.ends:
            self.passed = True
        if self.passed:
            raise _DeadlinePassed

    def finish(self) -> None:
        with self._lock:
            self._done = True
        if self._alarm is not None:
            self._alarm.cancel()
            self._alarm = None


class _DeadlinePassed(Exception):
    pass


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
        limits: ReadLimits | None = None,
    ) -> None:
        self.vendor = vendor
        self.limits = limits or ReadLimits()
        self._timeout = timeout
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
        """The answer, its body read whole (within the deadline and the body limit)."""
        response: httpx2.Response = self._send(
            "GET", path, params=params, headers=headers, write=False, read=lambda r: r
        )
        return response

    def get_json(
        self,
        path: str,
        *,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        expect: Callable[[Any], Any] | None = None,
    ) -> Any:
        """The answer's JSON (None for an empty body), or ``expect(json)`` when given.

        ``expect`` checks the vendor's envelope and returns what the caller wants of it; it raises
        :class:`MalformedAnswer` when the body is not that envelope. A malformed answer is read again like a
        failed one (a gateway's odd page is often a one-off), and is an error of the call when it persists:
        with ``expect`` an empty body or broken JSON is malformed too, never "nothing".
        """

        def read(response: httpx2.Response) -> Any:
            if not response.content:
                if expect is None:
                    return None
                raise MalformedAnswer(self.vendor, f"an empty answer to GET {_path(path)}")
            body = self._json(response, path)
            return body if expect is None else expect(body)

        return self._send("GET", path, params=params, headers=headers, write=False, read=read)

    def stream_items(
        self, path: str, container: str, *, params: Any = None, headers: Mapping[str, str] | None = None
    ) -> Iterator[Any]:
        """The records of the array under the top-level key ``container`` (e.g. ``data``) of one large JSON
        answer, parsed as its bytes arrive.

        For vendors that answer a whole catalogue at once (Flowhub's v0 inventory): memory follows one chunk
        and one record, not the answer. Connecting is retried like any read; a break mid-stream is Unavailable.
        An answer that is not an object with that array (``{}``, ``{"error": …}``, ``"data": null``) is a
        :class:`MalformedAnswer` once its end is read: never an empty catalogue. Records are yielded as they are,
        objects or not: telling a good record from a bad one is the mapping's job.
        """
        deadline = _Deadline(self.limits.deadline_seconds)
        response = self._send("GET", path, params=params, headers=headers, write=False, stream=True, deadline=deadline)
        # Two parsers over the same bytes. The records are built by ijson's C item builder; the envelope (an object
        # whose ``container`` is a list) is told from parse events, which are read only until that list opens: a
        # record's events never reach Python. Fractions as Decimal, not float: 1e999 is then a number the mapping
        # refuses (one record quarantined), where a float overflows and the parser gives up on the whole answer.
        items = ijson.sendable_list()
        item_parser = ijson.items_coro(items, f"{container}.item", use_float=False)
        events = ijson.sendable_list()
        envelope_parser: Any = ijson.parse_coro(events)
        records = _Records(container)
        surrogates = _LoneSurrogates()
        received = 0
        try:
            try:
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if received > self.limits.max_body_bytes:
                        raise self._too_large(path)
                    deadline.check()
                    if text := surrogates.feed(chunk):  # ijson takes an empty chunk for the end of the answer
                        envelope_parser = records.read(envelope_parser, events, text)
                        item_parser.send(text)
                    yield from records.accept(items)
                if rest := surrogates.feed(b"", final=True):
                    envelope_parser = records.read(envelope_parser, events, rest)
                    item_parser.send(rest)
                item_parser.close()
                if envelope_parser is not None:
                    envelope_parser.close()
                    records.read(envelope_parser, events, b"")
                yield from records.accept(items)
            except _DeadlinePassed:
                raise self._too_slow(path) from None
            except httpx2.TransportError as exc:
                if deadline.passed:
                    raise self._too_slow(path) from exc
                raise Unavailable(self.vendor, f"the answer broke off ({exc.__class__.__name__})") from exc
            except (ijson.JSONError, UnicodeDecodeError, httpx2.DecodingError) as exc:
                raise MalformedAnswer(self.vendor, f"the answer is not valid JSON ({_short(exc)})") from exc
            problem = records.problem()
            if problem:
                raise MalformedAnswer(self.vendor, f"the answer to GET {_path(path)} {problem}")
        finally:
            deadline.finish()
            response.close()

    def write_json(self, method: str, path: str, body: Any, *, headers: Mapping[str, str] | None = None) -> Any:
        """A POST/PUT/PATCH. Retried only when the vendor cannot have applied it (refused connection, 429)."""

        def read(response: httpx2.Response) -> Any:
            return self._json(response, path) if response.content else None

        return self._send(method, path, json=body, headers=headers, write=True, read=read)

    def _json(self, response: httpx2.Response, path: str) -> Any:
        try:
            return loads(response.content)
        except (ValueError, RecursionError) as exc:  # broken JSON, bad UTF-8, or nesting too deep to parse
            problem = f"the answer to {_path(path)} is not valid JSON ({_short(exc)})"
            raise MalformedAnswer(self.vendor, problem) from None

    def _too_slow(self, path: str) -> DeadlineExceeded:
        seconds = self.limits.deadline_seconds
        return DeadlineExceeded(self.vendor, f"the answer to {_path(path)} took longer than {seconds:g}s")

    def _too_large(self, path: str) -> AnswerTooLarge:
        limit = self.limits.max_body_bytes
        return AnswerTooLarge(self.vendor, f"the answer to {_path(path)} is larger than {_size(limit)}")

    def _send(
        self,
        method: str,
        path: str,
        *,
        write: bool,
        stream: bool = False,
        read: Callable[[httpx2.Response], Any] | None = None,
        deadline: _Deadline | None = None,
        **kwargs: Any,
    ) -> Any:
        """One call, retried by the policy; ``read`` turns the answer (body read whole) into the result, inside
        the retry loop, so a malformed answer to a read is asked for again like a failed one."""
        calls = _calls.get()
        if write and calls is not None and calls.read_only:
            raise WriteForbidden(self.vendor, f"{method} {_path(path)} was not sent: this is a read-only check")
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
                    exchange = deadline or _Deadline(self.limits.deadline_seconds)
                    response = self._attempt(method, path, write=write, exchange=exchange, **kwargs)
                    if stream:
                        return response
                    try:
                        self._read_body(response, method, path, write=write, exchange=exchange)
                    finally:
                        exchange.finish()
                    assert read is not None
                    try:
                        return read(response)
                    except MalformedAnswer as malformed:
                        if write:  # the vendor answered something: what it applied is unknown, so look it up
                            message = f"no readable answer to {method}: {malformed.message}"
                            raise OutcomeUnknown(self.vendor, message) from None
                        log.info("vendor_answer_malformed", vendor=self.vendor_id, path=_path(path))
                        raise _Retryable(None, malformed) from None
        except _Retryable as exhausted:
            raise exhausted.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_body(
        self, response: httpx2.Response, method: str, path: str, *, write: bool, exchange: _Deadline
    ) -> None:
        """Read a streamed answer whole, refusing one larger than the limit or slower than the deadline."""
        declared = response.headers.get("content-length", "")
        try:
            if declared.isdigit() and int(declared) > self.limits.max_body_bytes:
                raise self._too_large(path)
            chunks: list[bytes] = []
            received = 0
            for chunk in response.iter_bytes():  # decoded: a small gzip body must not unpack past the limit
                received += len(chunk)
                if received > self.limits.max_body_bytes:
                    raise self._too_large(path)
                exchange.check()
                chunks.append(chunk)
            exchange.check()
            response._content = b"".join(chunks)  # what Response.read() keeps, read here within the limits
        except _DeadlinePassed:
            raise self._broken(method, write, self._too_slow(path)) from None
        except httpx2.DecodingError as exc:  # a compressed body that does not decompress
            bad = MalformedAnswer(self.vendor, f"the answer to {_path(path)} cannot be decoded")
            if write:
                raise self._broken(method, write, bad) from exc
            raise _Retryable(None, bad) from exc
        except httpx2.TransportError as exc:
            if exchange.passed:
                raise self._broken(method, write, self._too_slow(path)) from exc
            if write:
                raise OutcomeUnknown(self.vendor, f"no answer to {method} ({exc.__class__.__name__})") from exc
            raise _Retryable(None, Unavailable(self.vendor, f"no answer ({exc.__class__.__name__})")) from exc
        finally:
            response.close()

    def _broken(self, method: str, write: bool, error: VendorError) -> VendorError:
        """A write whose answer did not come whole may have been applied all the same."""
        if write:
            return OutcomeUnknown(self.vendor, f"no whole answer to {method}: {error.message}")
        return error

    def _attempt(self, method: str, path: str, *, write: bool, exchange: _Deadline, **kwargs: Any) -> httpx2.Response:
        if self._requests_per_second:
            try:
                limits.acquire(self._limiter_key, self._requests_per_second, max_wait=self._retry.max_retry_after)
            except limits.Paused as paused:  # another call was told to wait longer than we sleep through
                raise Unavailable(self.vendor, _paused(paused.seconds), status=429) from None
        exchange.start()
        started = time.perf_counter()
        # No single wait (connecting, the headers, one chunk) may outlast the deadline either.
        wait = min(self._timeout, exchange.seconds)
        try:
            request = self._client.build_request(method, path.lstrip("/"), timeout=wait, **kwargs)
            response = self._client.send(request, stream=True)
        except httpx2.ConnectError as exc:
            self._log_call(method, path, None, started, error=exc)
            # Nothing reached the vendor: safe to retry, writes included.
            raise _Retryable(None, Unavailable(self.vendor, f"cannot connect ({exc.__class__.__name__})")) from exc
        except httpx2.TransportError as exc:
            self._log_call(method, path, None, started, error=exc)
            if write:
                raise OutcomeUnknown(self.vendor, f"no answer to {method} ({exc.__class__.__name__})") from exc
            raise _Retryable(None, Unavailable(self.vendor, f"no answer ({exc.__class__.__name__})")) from exc
        exchange.watch(response)
        self._log_call(method, path, response.status_code, started, headers=_rate_limit_headers(response))
        try:
            return self._check(response, method, write=write)
        except BaseException:
            exchange.finish()
            raise

    def _log_call(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        *,
        error: Exception | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """One line per vendor call; the bound ``correlation_id`` ties it to the request or job that made it.

        Only the path is logged: query parameters (``params``, or a query written into ``path``) may carry keys.
        Successful calls are debug (a sync makes hundreds); refusals and failures are info.
        """
        fields: dict[str, Any] = {
            "vendor": self.vendor_id,
            "method": method,
            "path": _path(path),
            "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "priority": limits.current_priority(),
        }
        if error is not None:
            fields["error"] = error.__class__.__name__
        if (calls := _calls.get()) is not None:
            calls.add(method, fields["path"], status, fields["ms"], fields.get("error"), headers or {})
        if status is not None and status < 400:
            log.debug("vendor_call", **fields)
        else:
            log.info("vendor_call", **fields)

    def _check(self, response: httpx2.Response, method: str, *, write: bool) -> httpx2.Response:
        status = response.status_code
        if status < 400:
            return response
        try:
            message = _error_message(response)
        except httpx2.TransportError as exc:  # the answer broke off: as if none had come
            if write:
                raise OutcomeUnknown(self.vendor, f"no answer to {method} ({exc.__class__.__name__})") from exc
            raise _Retryable(None, Unavailable(self.vendor, f"no answer ({exc.__class__.__name__})")) from exc
        if status in (401, 403):
            _note_refused(f"{status}: {message}"[:300])
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
    message = f"rate limited: paused {seconds:.0f}s, until {until:%H:%M:%S} UTC, as the vendor asked; nothing is lost"
    _note_paused(seconds, message)
    return message


_HEX = frozenset(b"0123456789abcdefABCDEF")


class _LoneSurrogates:
    """JSON text, arriving in chunks, with each ``\\uXXXX`` escape of a lone UTF-16 surrogate made ``\\ufffd``.

    The streaming parser (yajl) turns a lone surrogate escape into bytes that are not UTF-8 and then fails on
    the whole answer; ``json.loads`` would have read it. Only backslashes are looked at (they only occur in
    strings), escape by escape from a point known not to be inside one, so ``\\\\ud800`` (an escaped backslash)
    is left alone; an escape cut by a chunk's end waits for the next chunk.
    """

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, chunk: bytes, *, final: bool = False) -> bytes:
        data = self._carry + chunk
        self._carry = b""
        out: list[bytes] = []
        start = 0
        at = data.find(b"\\")
        while at != -1:
            if data[at + 1 : at + 2] != b"u":
                if at + 2 > len(data) and not final:
                    break  # the escaped character is in the next chunk
                at = data.find(b"\\", at + 2)
                continue
            if at + 6 > len(data) and not final:
                break
            code = _code(data[at + 2 : at + 6])
            if code is not None and 0xD800 <= code <= 0xDBFF:
                if at + 12 > len(data) and not final:
                    break  # its low half may be in the next chunk
                low = _code(data[at + 8 : at + 12]) if data[at + 6 : at + 8] == b"\\u" else None
                if low is not None and 0xDC00 <= low <= 0xDFFF:
                    at = data.find(b"\\", at + 12)
                    continue
            if code is not None and 0xD800 <= code <= 0xDFFF:
                out += (data[start:at], b"\\ufffd")
                start = at + 6
            at = data.find(b"\\", at + 6 if code is not None else at + 2)
        else:
            out.append(data[start:])
            return b"".join(out)
        out.append(data[start:at])
        self._carry = data[at:]
        return b"".join(out)


def _code(digits: bytes) -> int | None:
    return int(digits, 16) if len(digits) == 4 and all(d in _HEX for d in digits) else None


class _Records:
    """Whether ``{"<container>": [...]}`` is what an answer holds, from ijson's parse events up to the list's opening.

    The records themselves come from ijson's C item builder (prefix ``<container>.item``); they are passed on only
    once the list has opened with nothing wrong before it. Once it has, the events are read no further: a complete
    answer (the parser checks that) closes what it opened.
    """

    def __init__(self, container: str) -> None:
        self._container = container
        self._top: str | None = None  # the answer's first event: start_map for an object
        self._opened = False  # the container's array began
        self._wrong: str | None = None  # what the container held instead of an array

    def read(self, parser: Any, events: list[tuple[str, str, Any]], text: bytes) -> Any:
        """Feed ``text`` to the envelope's parser while it is still needed; the parser, or None once done."""
        if parser is None:
            return None
        if text:
            parser.send(text)
        for prefix, event, _ in events:
            if self._top is None:
                self._top = event
            if prefix == self._container:
                if event == "start_array":
                    self._opened = True
                    break
                if self._wrong is None:
                    self._wrong = event
        events.clear()
        return None if self._opened else parser

    def accept(self, items: list[Any]) -> Iterator[Any]:
        """The records built so far, when the envelope is right (else dropped: the answer is malformed)."""
        if not self._opened:
            return
        found = list(items) if self._wrong is None and self._top == "start_map" else []
        items.clear()
        yield from found

    def problem(self) -> str | None:
        if self._top != "start_map":
            return "is not a JSON object"
        if self._wrong is not None:
            return f'has "{self._container}" that is not a list'
        if not self._opened:
            return f'has no "{self._container}" list'
        return None


#: Each byte as "0" if it is a digit, else a space: a run of 19 digits (an integer that may not fit 64 bits, which
#: orjson would read as a float) is then a plain substring search, ten times quicker than a regular expression.
_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_NUMBER = b"0" * 19


def loads(content: bytes) -> Any:
    """A vendor answer's JSON, exactly as ``json.loads`` reads it, several times faster on the common case.

    orjson reads well-formed UTF-8 JSON to the same values; what it refuses and ``json.loads`` takes (NaN and
    Infinity, a lone surrogate escape, a byte-order mark, UTF-16) goes to ``json.loads``, and so does any answer
    with an integer too long for 64 bits (orjson would make it a float). Errors are ``json.loads``'s own.
    """
    if _LONG_NUMBER not in content.translate(_DIGITS):
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(content)
    return json.loads(content)


def _error_message(response: httpx2.Response) -> str:
    """What the vendor said, from the first bytes of its error answer (an error page can be huge)."""
    raw = b""
    try:
        for chunk in response.iter_bytes():
            raw += chunk
            if len(raw) >= _ERROR_BODY_BYTES:
                break
    except httpx2.DecodingError:
        pass  # what arrived is all there is to show
    finally:
        response.close()
    text = raw[:_ERROR_BODY_BYTES].decode(response.encoding or "utf-8", "replace")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return text.strip()[:300] or response.reason_phrase
    if isinstance(body, Mapping):
        for key in ("error", "message", "detail", "errors"):
            if key in body:
                return str(body[key])[:300]
    return str(body)[:300]


def _path(path: str) -> str:
    """A path without its query string, which may carry keys."""
    return path.split("?", 1)[0]


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:120]


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def offset_pages(
    fetch: Callable[[int, int], tuple[list[Any], bool]], *, limit: int, max_pages: int, vendor: str
) -> Iterator[list[Any]]:
    """Pages of an offset/limit API, one request at a time, until the vendor says there is no more.

    ``fetch(offset, limit)`` returns the page's records and whether another page follows.
    """
    for records, _next in offset_pages_from(fetch, limit=limit, start=0, max_pages=max_pages, vendor=vendor):
        yield records


class PageGuard:
    """The page cap and loop detection of one paged read, whatever the vendor's paging.

    A vendor that always says "next" must not be read for ever, and one that answers the same page (or the same
    cursor) again is going round in circles: both are errors of the read, so it never counts as complete.
    """

    def __init__(self, vendor: str, max_pages: int) -> None:
        self._vendor = vendor
        self._max_pages = max_pages
        self._pages = 0
        self._cursors: set[str] = set()
        self._last: bytes | None = None

    def page(self, records: list[Any]) -> None:
        """Count one page read; raises EndlessRead past the cap or when it repeats the page before it."""
        self._pages += 1
        if self._pages > self._max_pages:
            raise EndlessRead(self._vendor, f"the read went on past {self._max_pages} pages without an end")
        if not records:
            return
        digest = _page_digest(records)
        if digest == self._last:
            raise EndlessRead(self._vendor, f"page {self._pages} repeats the page before it: the read is going round")
        self._last = digest

    def cursor(self, cursor: Any) -> None:
        """Note the cursor the next page is asked for with; raises EndlessRead when it was asked for already."""
        key = repr(cursor)
        if key in self._cursors:
            raise EndlessRead(self._vendor, f"the next page named is one already read ({key[:120]})")
        self._cursors.add(key)


def _page_digest(records: list[Any]) -> bytes:
    """What a page says, in a few bytes: two answers with the same records in the same order have the same digest.

    orjson with sorted keys is about ten times quicker than ``json.dumps`` on a page (the stdlib encoder was 8% of an
    unchanged sync's CPU); what orjson will not write (an integer past 64 bits) falls back to ``json.dumps``.
    """
    try:
        raw = orjson.dumps(records, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=repr)
    except TypeError:  # orjson.JSONEncodeError
        raw = json.dumps(records, sort_keys=True, default=repr).encode()
    return hashlib.blake2b(raw, digest_size=16).digest()


def offset_pages_from(
    fetch: Callable[[int, int], tuple[list[Any], bool]], *, limit: int, start: int, max_pages: int, vendor: str
) -> Iterator[tuple[list[Any], int | None]]:
    """The same pages from ``start`` on, each with the offset the read resumes at after it (None: no more).

    An offset is only a good place to resume while the list keeps its order and length; a run that resumes from
    one therefore never hides what it did not see (flows/menu_sync.py). The read ends only when the vendor says
    so; more than ``max_pages`` pages, or a page equal to the one before, is an EndlessRead.

    A page that stays malformed (``MalformedAnswer`` after its retries) is stepped over, so that the pages after it
    still bring their stock up to date, and the read then ends with that error: it was not complete, so nothing
    is hidden. Two malformed pages in a row end it at once (the vendor is not answering pages at all).
    """
    guard = PageGuard(vendor, max_pages)
    offset = start
    skipped: MalformedAnswer | None = None
    after_skip = False
    while True:
        try:
            records, more = fetch(offset, limit)
        except MalformedAnswer as bad:
            if after_skip:
                raise _incomplete(skipped or bad) from None
            log.warning("vendor_page_skipped", vendor=vendor, offset=offset, error=bad.message)
            guard.page([])
            skipped, after_skip = skipped or bad, True
            offset += limit
            continue
        after_skip = False
        guard.page(records)
        offset += len(records)
        last = not more or not records
        if records:
            yield records, None if last else offset
        if last:
            break
    if skipped is not None:
        raise _incomplete(skipped)


def _incomplete(bad: MalformedAnswer) -> MalformedAnswer:
    """The error a read ends with when it stepped over a malformed page."""
    return MalformedAnswer(bad.vendor, f"{bad.message} (the read went on past it; nothing was hidden)")
