"""What stands between a client and the Alleaves endpoints: the bearer token's session, then its rate limit.

The kit's gateway (``sandboxes/_kit/gateway.py``) works through a request in this order: it counts it
(``app.py``, choice 8); an injected fault may answer it (``control.py``, choice 6); then this guard checks
the bearer token (``auth.py``) and then the token's rolling minute. Unknown routes and wrong methods pass
the guard and are answered by the router, whatever the token (``errors.py``, choice 7).

* Rate limit: at most ``per_minute`` requests (600 by default) per access token in any rolling 60 seconds;
  past it, 429 ``rate_limited`` with ``Retry-After`` = whole seconds until one more request fits the window
  (at least 1). A refused request does not count, nor does one answered 401. The auth routes and
  image downloads are not rate-limited.

Control route (no auth, never rate-limited; the hub never calls it): ``GET|POST /_sandbox/rate-limit``
``{"per_minute": n}`` (null disables). A change keeps the requests already in each token's window.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from cannasync.sandboxes._kit.gateway import CONTROL, Guard, VendorRoute
from cannasync.sandboxes._kit.limits import RollingWindow
from cannasync.sandboxes._kit.values import integer
from cannasync.sandboxes.alleaves.auth import TokenState
from cannasync.sandboxes.alleaves.errors import ApiError, invalid
from cannasync.sandboxes.alleaves.wire import PUBLIC, json_object

RATE_WINDOW_SECONDS = 60.0


class TokenWindow(RollingWindow):
    """The kit's rolling window, whose limit the control route changes without forgetting the requests already in
    each token's window: lowering the limit takes effect at once, as it always has in this sandbox (the kit's
    ``set`` starts every window afresh)."""

    def change(self, allowance: int | None) -> None:
        with self._lock:
            self.allowance = allowance


def parse_per_minute(value: object) -> int | None:
    if value is None:
        return None
    per_minute = integer(value)
    if per_minute is None or per_minute < 1:
        raise invalid("per_minute must be an integer >= 1, or null to disable the limit")
    return per_minute


class AccessState(TokenState):
    """Who may call (``TokenState``) and how often: the rolling minute per access token."""

    rate: TokenWindow

    def _init_rate_limit(self, per_minute: int | None) -> None:
        self.rate = TokenWindow(parse_per_minute(per_minute), RATE_WINDOW_SECONDS)

    @property
    def rate_limit_per_minute(self) -> int | None:
        return self.rate.allowance

    def set_rate_limit(self, per_minute: int | None) -> None:
        self.rate.change(parse_per_minute(per_minute))


def guard(state: AccessState) -> Guard:
    """Alleaves' guard for the kit's gateway: the bearer token's session, then that token's rolling minute.

    Unknown routes and public ones pass untouched (the router answers an unknown one).
    """

    def check(scope: Scope, found: VendorRoute | None) -> Scope:
        if found is None or found.auth == PUBLIC:
            return scope
        session = state.authenticate(Headers(scope=scope).get("authorization"))
        retry_after = state.rate.admit(session.access_token)
        if retry_after is not None:
            raise ApiError(
                429,
                "rate_limited",
                f"More than {state.rate_limit_per_minute} requests in a minute; retry after {retry_after} seconds",
                {"Retry-After": str(retry_after)},
            )
        return {**scope, "sandbox.session": session}

    return check


def control(state: AccessState) -> list[Route]:
    async def get_rate_limit(request: Request) -> Response:
        return JSONResponse({"per_minute": state.rate_limit_per_minute})

    async def set_rate_limit(request: Request) -> Response:
        body = await json_object(request)
        if "per_minute" not in body:
            raise invalid("per_minute is required (an integer, or null to disable the limit)")
        state.set_rate_limit(body["per_minute"])
        return JSONResponse({"per_minute": state.rate_limit_per_minute})

    return [
        Route(f"{CONTROL}/rate-limit", get_rate_limit, methods=["GET"]),
        Route(f"{CONTROL}/rate-limit", set_rate_limit, methods=["POST"]),
    ]
