"""A local SMS gateway (an ASGI app on Starlette) for the loyalty program's SMS double opt-in.

It stands for "an SMS provider" in general, not a particular vendor: the wire format is our own, small and
documented here, so the hub's gateway client can be written against it and, later, an adapter for a real
provider (Twilio, Telnyx, ...) written next to it. It records every message it is asked to send and can
simulate a shopper's reply, which it delivers to the hub's inbound webhook signed with HMAC-SHA256. Like
the other sandboxes it imports nothing from cannasync outside ``cannasync.sandboxes``; like them it stands
behind the sandbox kit's gateway (``sandboxes/_kit``: faults, request counts, control routes).

Wire format
-----------
Every ``/v1/...`` route needs ``Authorization: Bearer <api key>`` (default key ``sms-demo-key``); a missing
or wrong key answers 401 ``{"error": "Invalid API key"}`` (with ``WWW-Authenticate: Bearer``). Errors are
``{"error": "<message>"}``: 400 for a body that is not a JSON object, 404 for an unknown message or route,
405 for a wrong method, 422 for a field that fails validation (the message names the field).

* ``POST /v1/messages`` ``{"to", "from"?, "body", "reference"?}`` sends one message:

  - ``to``: an E.164 number, ``+`` then 8 to 15 digits, the first not 0 (``+15550001111``); else 422;
  - ``from``: the sender (a number or an alphanumeric sender id, at most 20 characters); default: the
    gateway's own number, ``+15550100100`` unless ``create_app(number=...)`` says otherwise;
  - ``body``: a non-blank string of at most 1600 characters; else 422;
  - ``reference``: the client's own reference (at most 255 characters), echoed and searchable.

  It answers 201 ``{"id": "SM000001", "status": "queued", "to", "from", "body", "reference",
  "created_at", "delivered_at": null}``.
* ``GET /v1/messages/{id}`` → 200 the message as it is now (``status`` ``delivered``, ``delivered_at``
  set); unknown → 404.
* ``GET /v1/messages?to=&reference=`` → 200 ``{"data": [...]}``: the messages sent, oldest first,
  optionally only those to a number and/or with a reference (exact matches; no paging). This lets a
  client that crashed after sending find out whether its message went.

Inbound replies (gateway → hub)
-------------------------------
The gateway is configured with an inbound webhook URL and a signing secret (``create_app(inbound_url=...,
signing_secret="sms-demo-secret")`` or ``POST /_sandbox/config``). ``POST /_sandbox/reply`` ``{"from",
"body", "to"?}`` stands for a shopper texting back: the gateway POSTs

``{"id": "MO000001", "from": "+1...", "to": "<the number replied to>", "body": "YES", "received_at"}``

to the inbound URL as JSON (compact, ``separators=(",", ":")``), with the header
``X-SMS-Signature: <hex HMAC-SHA256(signing secret, raw request body)>`` (see ``signature``). A receiver
checks it over the exact bytes it received, before parsing them.

Control routes (no auth, under ``/_sandbox/``; the hub never calls them)
-----------------------------------------------------------------------
* ``GET health`` → ``{"ok": true}``.
* ``GET config`` → ``{"inbound_url", "signing_secret", "number"}``; ``POST config`` ``{"inbound_url"?,
  "signing_secret"?}`` changes what it is given (``inbound_url`` an http(s) URL or null, the secret a
  non-empty string) and answers the new config.
* ``POST reply`` ``{"from", "body", "to"?}`` delivers a reply synchronously and answers
  ``{"reply": {...}, "delivered_to": url, "status_code": n, "response": <the hub's body>, "error": null}``.
* ``GET messages`` / ``DELETE messages``: every message sent, oldest first / forget them.
* ``GET replies`` / ``DELETE replies``: the inbound log (every delivery attempt, oldest first, each
  ``{"reply", "delivered_to", "signature", "status_code", "response", "error", "delivered_at"}``) / forget.
* ``GET|POST|DELETE faults``: ``{"method"?, "path_prefix"? (default "/v1/"), "status", "count"? (default
  1), "retry_after"?, "after"?}`` answers that status with ``{"error": "Injected fault"}`` (and
  ``Retry-After`` when given) for the next ``count`` matching requests, after letting ``after`` through;
  ``{"mode": "delay", "delay_seconds"}`` waits before processing instead; the other kinds (resets, an answer
  cut off, a timeout after the send was recorded) are those of every sandbox (``sandboxes/_kit/faults.py``).
  Faults fire on ``/v1/...`` paths only, before authentication; a send a status fault refuses records
  nothing.
* ``GET|DELETE requests``: how many requests each route received (``{"POST /v1/messages": 3}``) / forget.

Choices (nothing here copies a real provider)
---------------------------------------------
1. Messages are ``delivered`` at once: the create response says ``queued`` (as providers do), and the
   message is already ``delivered`` with ``delivered_at`` set when read back. Nothing is ever ``failed``.
2. Ids are ``SM`` + 6 digits for messages sent and ``MO`` + 6 digits for replies, counting from 1, never
   reused (clearing the logs does not reset them). Timestamps are ISO 8601 UTC with milliseconds and ``Z``.
3. A trailing slash is optional everywhere (both forms are served, never redirected). Unknown body fields
   are ignored. The body's length is counted in characters; segments are not modelled.
4. A reply's ``to`` defaults to the ``from`` of the latest message sent to the replying number (the
   shopper answers the number that texted them), else the gateway's own number. ``from`` must be E.164
   and ``body`` follows the rules of a sent message. The gateway does not interpret replies (no STOP/HELP
   handling): that is the hub's job.
5. Inbound delivery is one attempt, no retries, with a 10 s timeout, made from a worker thread so the hub
   may call the gateway back (to send a confirmation) while it handles the reply. The control call
   answers 200 whatever status the hub returned; 502 (same body, ``status_code`` null, ``error`` set) if
   the hub could not be reached; 409 ``{"error": "No inbound_url is configured"}`` (nothing delivered or
   logged) without an inbound URL. ``response`` is the hub's JSON body, its text if not JSON, or null if
   empty. Every attempt is logged, failed ones included.
6. The API key is compared in constant time; the default secret and key are demo values, printed in this
   docstring on purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Mapping
from typing import Any

import httpx2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from cannasync.sandboxes._kit import app as _app
from cannasync.sandboxes._kit import faults as _faults
from cannasync.sandboxes._kit.control import control_routes
from cannasync.sandboxes._kit.faults import Fault
from cannasync.sandboxes._kit.gateway import CONTROL, RequestCounts, VendorError, VendorRoute
from cannasync.sandboxes._kit.values import iso_ms, now

JSON = dict[str, Any]

API = "/v1"
DEFAULT_API_KEY = "sms-demo-key"
DEFAULT_SIGNING_SECRET = "sms-demo-secret"
DEFAULT_NUMBER = "+15550100100"
SIGNATURE_HEADER = "X-SMS-Signature"
MAX_BODY_CHARS = 1600
MAX_SENDER_CHARS = 20
MAX_REFERENCE_CHARS = 255
INBOUND_TIMEOUT = 10.0

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


class ApiError(VendorError):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message}, status_code=self.status, headers=self.headers)


def signature(secret: str, body: bytes) -> str:
    """The ``X-SMS-Signature`` of ``body``: hex HMAC-SHA256 keyed with the signing secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------------------
# Body validation


def _e164(value: object, name: str) -> str:
    if not isinstance(value, str) or not _E164.match(value.strip()):
        raise ApiError(422, f"{name} must be an E.164 phone number (+ and 8 to 15 digits, e.g. +15550001111)")
    return value.strip()


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, "body must be a non-empty string")
    if len(value) > MAX_BODY_CHARS:
        raise ApiError(422, f"body must be at most {MAX_BODY_CHARS} characters")
    return value


def _optional_str(body: JSON, name: str, max_chars: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_chars:
        raise ApiError(422, f"{name} must be a non-empty string of at most {max_chars} characters")
    return value


def _parse_url(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise ApiError(422, "inbound_url must be an http(s) URL or null")
    return value


async def _json_object(request: Request) -> JSON:
    return await _app.json_object(request, lambda message: ApiError(400, message))


# --------------------------------------------------------------------------------------------------
# Faults


def parse_fault(body: JSON) -> Fault:
    """Validate a ``POST /_sandbox/faults`` body (the kinds and fields: sandboxes/_kit/faults.py)."""
    return _faults.parse_fault(body, default_prefix=f"{API}/", invalid=lambda message: ApiError(422, message))


# --------------------------------------------------------------------------------------------------
# State


class SmsSandbox:
    """The gateway's in-memory state: configuration, messages sent, replies delivered and faults.

    Every public method takes ``lock``; stored records are replaced, never mutated, so a record handed
    out is a stable snapshot.
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        inbound_url: str | None = None,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        number: str = DEFAULT_NUMBER,
    ) -> None:
        if not api_key or not signing_secret:
            raise ValueError("api_key and signing_secret must not be empty")
        try:
            self.inbound_url = _parse_url(inbound_url)
            self.number = _e164(number, "number")
        except ApiError as error:
            raise ValueError(error.message) from None
        self.lock = threading.Lock()
        self.api_key = api_key
        self.signing_secret = signing_secret
        self._messages: dict[str, JSON] = {}
        self._next_message = 1
        self._replies: list[JSON] = []
        self._next_reply = 1
        self.faults = _faults.Faults()
        self.requests = RequestCounts()

    # -- auth ------------------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), self.api_key.encode()):
            raise ApiError(401, "Invalid API key", {"WWW-Authenticate": "Bearer"})

    # -- configuration ---------------------------------------------------------------------------

    def config(self) -> JSON:
        with self.lock:
            return {"inbound_url": self.inbound_url, "signing_secret": self.signing_secret, "number": self.number}

    def configure(self, body: JSON) -> JSON:
        """Apply the ``inbound_url`` and/or ``signing_secret`` given (validated first, then all at once)."""
        changes: JSON = {}
        if "inbound_url" in body:
            changes["inbound_url"] = _parse_url(body["inbound_url"])
        if "signing_secret" in body:
            secret = body["signing_secret"]
            if not isinstance(secret, str) or not secret:
                raise ApiError(422, "signing_secret must be a non-empty string")
            changes["signing_secret"] = secret
        with self.lock:
            for name, value in changes.items():
                setattr(self, name, value)
        return self.config()

    # -- messages --------------------------------------------------------------------------------

    def send(self, to: str, sender: str | None, body: str, reference: str | None) -> JSON:
        """Record a message; answer it as queued (it is stored already delivered, choice 1)."""
        with self.lock:
            message_id = f"SM{self._next_message:06d}"
            self._next_message += 1
            stamp = iso_ms(now())
            queued = {
                "id": message_id,
                "status": "queued",
                "to": to,
                "from": sender or self.number,
                "body": body,
                "reference": reference,
                "created_at": stamp,
                "delivered_at": None,
            }
            self._messages[message_id] = {**queued, "status": "delivered", "delivered_at": stamp}
            return queued

    def message(self, message_id: str) -> JSON:
        with self.lock:
            message = self._messages.get(message_id)
            if message is None:
                raise ApiError(404, f"Message {message_id} not found")
            return message

    def messages(self, to: str | None = None, reference: str | None = None) -> list[JSON]:
        with self.lock:
            return [
                message
                for message in self._messages.values()
                if (to is None or message["to"] == to) and (reference is None or message["reference"] == reference)
            ]

    def clear_messages(self) -> None:
        with self.lock:
            self._messages.clear()

    # -- replies ---------------------------------------------------------------------------------

    def new_reply(self, sender: str, body: str, to: str | None) -> tuple[JSON, str, str]:
        """The reply record, and the URL and secret to deliver it with (409 without an inbound URL)."""
        with self.lock:
            if self.inbound_url is None:
                raise ApiError(409, "No inbound_url is configured")
            if to is None:
                sent = [m for m in self._messages.values() if m["to"] == sender]
                to = sent[-1]["from"] if sent else self.number
            reply = {
                "id": f"MO{self._next_reply:06d}",
                "from": sender,
                "to": to,
                "body": body,
                "received_at": iso_ms(now()),
            }
            self._next_reply += 1
            return reply, self.inbound_url, self.signing_secret

    def log_reply(self, entry: JSON) -> None:
        with self.lock:
            self._replies.append(entry)

    def replies(self) -> list[JSON]:
        with self.lock:
            return list(self._replies)

    def clear_replies(self) -> None:
        with self.lock:
            self._replies.clear()


def _deliver(reply: JSON, url: str, secret: str) -> JSON:
    """POST one reply to the hub, signed; the log entry of the attempt (never raises)."""
    raw = json.dumps(reply, separators=(",", ":")).encode()
    signed = signature(secret, raw)
    entry: JSON = {
        "reply": reply,
        "delivered_to": url,
        "signature": signed,
        "status_code": None,
        "response": None,
        "error": None,
        "delivered_at": iso_ms(now()),
    }
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signed, "User-Agent": "cannasync-sms-sandbox"}
    try:
        with httpx2.Client(timeout=INBOUND_TIMEOUT, trust_env=False) as client:
            response = client.post(url, content=raw, headers=headers)
    except Exception as error:  # whatever the receiver does, the attempt is logged
        entry["error"] = f"{type(error).__name__}: {error}"
        return entry
    entry["status_code"] = response.status_code
    if response.content:
        try:
            entry["response"] = response.json()
        except ValueError:
            entry["response"] = response.text
    return entry


# --------------------------------------------------------------------------------------------------
# Endpoints


class _Api:
    def __init__(self, sandbox: SmsSandbox) -> None:
        self.sandbox = sandbox

    async def send(self, request: Request) -> Response:
        body = await _json_object(request)
        message = self.sandbox.send(
            _e164(body.get("to"), "to"),
            _optional_str(body, "from", MAX_SENDER_CHARS),
            _text(body.get("body")),
            _optional_str(body, "reference", MAX_REFERENCE_CHARS),
        )
        return JSONResponse(message, status_code=201)

    async def get_message(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.message(request.path_params["message_id"]))

    async def list_messages(self, request: Request) -> Response:
        params = request.query_params
        return JSONResponse({"data": self.sandbox.messages(params.get("to"), params.get("reference"))})

    # -- control ---------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def get_config(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.config())

    async def set_config(self, request: Request) -> Response:
        return JSONResponse(self.sandbox.configure(await _json_object(request)))

    async def reply(self, request: Request) -> Response:
        body = await _json_object(request)
        sender = _e164(body.get("from"), "from")
        text = _text(body.get("body"))
        to = _optional_str(body, "to", MAX_SENDER_CHARS)
        reply, url, secret = self.sandbox.new_reply(sender, text, to)
        entry = await run_in_threadpool(_deliver, reply, url, secret)
        self.sandbox.log_reply(entry)
        answer = {key: entry[key] for key in ("reply", "delivered_to", "status_code", "response", "error")}
        return JSONResponse(answer, status_code=502 if entry["status_code"] is None else 200)

    async def all_messages(self, request: Request) -> Response:
        return JSONResponse({"data": self.sandbox.messages()})

    async def clear_messages(self, request: Request) -> Response:
        self.sandbox.clear_messages()
        return Response(status_code=204)

    async def all_replies(self, request: Request) -> Response:
        return JSONResponse({"data": self.sandbox.replies()})

    async def clear_replies(self, request: Request) -> Response:
        self.sandbox.clear_replies()
        return Response(status_code=204)


def _vendor_routes(api: _Api) -> list[VendorRoute]:
    vendor = [
        ("POST", f"{API}/messages", api.send),
        ("GET", f"{API}/messages", api.list_messages),
        ("GET", f"{API}/messages/{{message_id}}", api.get_message),
    ]
    return [
        VendorRoute(Route(path, endpoint, methods=[method]), f"{method} {path}") for method, path, endpoint in vendor
    ]


def _control_routes(api: _Api) -> list[Route]:
    return [
        Route(f"{CONTROL}/health", api.health, methods=["GET"]),
        Route(f"{CONTROL}/config", api.get_config, methods=["GET"]),
        Route(f"{CONTROL}/config", api.set_config, methods=["POST"]),
        Route(f"{CONTROL}/reply", api.reply, methods=["POST"]),
        Route(f"{CONTROL}/messages", api.all_messages, methods=["GET"]),
        Route(f"{CONTROL}/messages", api.clear_messages, methods=["DELETE"]),
        Route(f"{CONTROL}/replies", api.all_replies, methods=["GET"]),
        Route(f"{CONTROL}/replies", api.clear_replies, methods=["DELETE"]),
        *control_routes(
            faults=api.sandbox.faults, counts=api.sandbox.requests, parse_fault=parse_fault, read_json=_json_object
        ),
    ]


def _is_api(path: str) -> bool:
    return path == API or path.startswith(f"{API}/")


def _http_error(request: Request, exc: HTTPException) -> Response:
    message = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


def create_app(
    *,
    api_key: str = DEFAULT_API_KEY,
    inbound_url: str | None = None,
    signing_secret: str = DEFAULT_SIGNING_SECRET,
    number: str = DEFAULT_NUMBER,
    sandbox: SmsSandbox | None = None,
) -> Starlette:
    """The SMS gateway as an ASGI app; its state is ``app.state.sandbox`` (an ``SmsSandbox``).

    Pass ``sandbox`` to serve an existing state (the other arguments are then ignored).
    """
    state = sandbox or SmsSandbox(
        api_key=api_key, inbound_url=inbound_url, signing_secret=signing_secret, number=number
    )
    api = _Api(state)
    vendor = _vendor_routes(api)

    def guard(scope: Scope, route: VendorRoute | None) -> Scope:
        state.authenticate(Headers(scope=scope).get("authorization"))
        return scope

    return _app.build_app(
        state,
        [*(entry.route for entry in vendor), *_control_routes(api)],
        gateway={
            "routes": vendor,
            "counts": state.requests,
            "faults": state.faults,
            "refuse": lambda status, headers: ApiError(status, "Injected fault", headers).response(),
            "guard": guard,
            "is_api": _is_api,
            "strip_slash": True,
        },
        http_error=_http_error,
    )


def run(
    host: str,
    port: int,
    *,
    api_key: str = DEFAULT_API_KEY,
    inbound_url: str | None = None,
    signing_secret: str = DEFAULT_SIGNING_SECRET,
) -> None:
    """Serve the gateway with uvicorn until interrupted (used by ``cannasync sandbox sms``)."""
    _app.serve(create_app(api_key=api_key, inbound_url=inbound_url, signing_secret=signing_secret), host, port)
