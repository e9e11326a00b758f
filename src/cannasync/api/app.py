"""The FastAPI application: routers under /api/v1 and one place that turns domain errors into 4xx answers."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cannasync.api import checks, hooks, integrations, loyalty, notifications, ops, orders, pos, stores, wholesale
from cannasync.api.contract import documented
from cannasync.api.correlation import CorrelationMiddleware
from cannasync.api.edge import DEFAULT_MAX_BODY_BYTES, BodyLimit, method_not_allowed, path_ids_in_range
from cannasync.connectors.http import AuthenticationFailed, NotFound, Rejected, Unavailable, VendorError
from cannasync.connectors.registry import UnknownVendor
from cannasync.domain.customers import InvalidCustomer
from cannasync.domain.loyalty import LoyaltyRefused, NotEnoughPoints, PosOwnsContact
from cannasync.domain.orders import InvalidOrder
from cannasync.flows.checkout import IdempotencyConflict, StatusConflict
from cannasync.flows.integrations import InvalidSettings
from cannasync.flows.stores import InvalidStore
from cannasync.jobs.scheduler import Dispatcher
from cannasync.store.catalog.holds import OutOfStock
from cannasync.store.uow import Database

_STATUS: list[tuple[type[Exception], int]] = [
    (InvalidOrder, 422),
    (InvalidCustomer, 422),
    (InvalidSettings, 422),
    (InvalidStore, 422),
    (IdempotencyConflict, 422),
    (OutOfStock, 409),
    (StatusConflict, 409),
    (UnknownVendor, 404),
    (NotEnoughPoints, 409),
    (PosOwnsContact, 409),
    (LoyaltyRefused, 422),
]


def _printable(value: object) -> str:
    """Text that JSON over UTF-8 can carry: a lone surrogate is written as its escape."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def _vendor_status(error: VendorError) -> int:
    if isinstance(error, AuthenticationFailed | Rejected | NotFound):
        return 422  # the vendor refused what the merchant gave us: theirs to fix
    if isinstance(error, Unavailable):
        return 503
    return 502


def create_app(
    db: Database,
    dispatcher: Dispatcher,
    *,
    broker_url: str | None = None,
    redis_url: str | None = None,
    broker_namespace: str = "cannasync",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The app. ``broker_url`` and ``redis_url`` (the shared rate limits' Redis), when given, are checked by /readyz
    and read by /metrics; the embedded mode has neither."""
    app = FastAPI(
        title="cannasync",
        version="0.1.0",
        description="Keeps a dispensary's online store in sync with its POS. Authenticate with "
        "`Authorization: Bearer <token>` (`cannasync token create`).",
        dependencies=[Depends(path_ids_in_range)],
    )
    app.state.db = db
    app.state.dispatcher = dispatcher
    app.state.ops = ops.Operations(db, broker_url=broker_url, redis_url=redis_url, broker_namespace=broker_namespace)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(CorrelationMiddleware)
    app.include_router(ops.router)
    for router in (
        stores.router,
        integrations.router,
        checks.router,
        orders.router,
        loyalty.router,
        wholesale.router,
        notifications.router,
    ):
        app.include_router(router, prefix="/api/v1")
    app.include_router(pos.router)
    app.include_router(hooks.router)

    for error_type, status in _STATUS:

        def handler(_request: Request, error: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"detail": str(error).strip("'\"")}, status_code=status)

        app.add_exception_handler(error_type, handler)

    def vendor_handler(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, VendorError)
        detail = f"{error.vendor} answered: {error.message}"
        if isinstance(error, AuthenticationFailed):
            detail = f"{error.vendor} refused these credentials ({error.message}); check them and save again"
        elif isinstance(error, Unavailable):
            detail = f"{error.vendor} cannot be reached right now ({error.message}); nothing was lost, try again"
        return JSONResponse({"detail": detail}, status_code=_vendor_status(error))

    app.add_exception_handler(VendorError, vendor_handler)

    def invalid_request(_request: Request, error: Exception) -> JSONResponse:
        """FastAPI's own 422, without echoing the input back: what was sent may not even be encodable (a lone
        surrogate), and a rejected field can be a secret. Each problem keeps its type, location and message."""
        assert isinstance(error, RequestValidationError)
        problems = [
            {
                "type": problem.get("type", "value_error"),
                "loc": [part if isinstance(part, int) else _printable(part) for part in problem.get("loc", ())],
                "msg": _printable(problem.get("msg", "")),
            }
            for problem in error.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, method_not_allowed)
    app.openapi = documented(app)  # type: ignore[method-assign]
    return app
