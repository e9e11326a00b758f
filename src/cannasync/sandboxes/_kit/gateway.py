"""What stands in front of every sandbox's endpoints, in the order a real vendor's edge works through a request.

1. The request is counted under its route's key (``GET /v1/orders/{id}``), so a test can assert from the vendor's
   side how many calls were made, control routes included.
2. Control routes (``/_sandbox/...``) go straight through: no faults, no authentication, no rate limit.
3. An injected fault (``faults.py``) may answer, slow or drop the request before the vendor sees it.
4. The vendor's own guard runs: authentication, its rate limit, its permission rules. It raises the vendor's
   error (a :class:`VendorError`) or returns the scope the endpoints read (the account, the session …).
5. The endpoints run; an after-commit fault may then break the answer.

Each sandbox supplies only what differs: which paths are its API, how a route is keyed, its guard and the
wording of its errors.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from cannasync.sandboxes._kit import faults as _faults

CONTROL = "/_sandbox"


class VendorError(Exception):
    """An error the sandbox answers in its vendor's own shape; each sandbox's ``ApiError`` derives from it."""

    def response(self) -> Response:
        raise NotImplementedError


@dataclass(frozen=True)
class VendorRoute:
    """A route the gateway counts, with its request-count key and the guard it needs (a vendor's own tag)."""

    route: BaseRoute
    key: str
    auth: str = "required"


def is_control(path: str) -> bool:
    return path == CONTROL or path.startswith(CONTROL + "/")


class RequestCounts:
    """How many requests each route received, as the vendor's access log would say."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


#: ``guard(scope, route)``: the vendor's authentication, rate limit and permissions for one API request. It raises
#: a :class:`VendorError` to refuse, or returns the scope to hand on (with what the endpoints need added).
Guard = Callable[[Scope, VendorRoute | None], Scope]
#: ``refuse(status, headers)``: the vendor's answer to an injected ``status`` fault.
Refusal = Callable[[int, dict[str, str]], Response]


def no_guard(scope: Scope, route: VendorRoute | None) -> Scope:
    return scope


class Gateway:
    """The ASGI middleware every sandbox puts in front of its routes (see the module docstring for the order)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[VendorRoute],
        counts: RequestCounts,
        faults: _faults.Faults,
        refuse: Refusal,
        guard: Guard = no_guard,
        is_api: Callable[[str], bool] = lambda path: not is_control(path),
        strip_slash: bool = False,
        partial_match: bool = False,
        count_as: Callable[[Scope, VendorRoute], str] | None = None,
    ) -> None:
        """``is_api(path)``: the paths faults and the guard apply to (others go straight through).
        ``strip_slash``: serve ``/x`` and ``/x/`` alike (the path as sent stays in ``sandbox.original_path``).
        ``partial_match``: count a request whose path matches a route but whose method does not (it still reaches
        the router, which answers 405).
        ``count_as(scope, route)``: the key a request is counted under, when it is not the route's own ``key``
        (LeafLink's log names the method the request came with, also on a 405 and on a HEAD)."""
        self.app = app
        self.routes = routes
        self.counts = counts
        self.faults = faults
        self.refuse = refuse
        self.guard = guard
        self.is_api = is_api
        self.strip_slash = strip_slash
        self.partial_match = partial_match
        self.count_as = count_as

    def match(self, scope: Scope) -> VendorRoute | None:
        partial: VendorRoute | None = None
        for entry in self.routes:
            found = entry.route.matches(scope)[0]
            if found is Match.FULL:
                return entry
            if found is Match.PARTIAL and partial is None and self.partial_match:
                partial = entry
        return partial

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path: str = scope["path"]
        if self.strip_slash:
            scope = {**scope, "path": raw_path.rstrip("/") or "/", "sandbox.original_path": raw_path}
        path: str = scope["path"]
        route = self.match(scope)
        if route is not None:
            self.counts.add(route.key if self.count_as is None else self.count_as(scope, route))
        if not self.is_api(path):
            await self.app(scope, receive, send)
            return

        paths = (raw_path, path) if raw_path != path else (path,)
        fault = self.faults.take(scope["method"], *paths)
        if fault is not None and await _faults.before(fault, scope, receive, send, self.refuse):
            return
        try:
            scope = self.guard(scope, route)
        except VendorError as error:
            await error.response()(scope, receive, send)
            return
        await _faults.deliver(fault, self.app, scope, receive, send)
