"""The whole web application: the REST API plus the console and the store, served by one ``cannasync serve``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from cannasync.api.app import create_app
from cannasync.api.edge import method_not_allowed
from cannasync.jobs.scheduler import Dispatcher
from cannasync.store.uow import Database
from cannasync.web import console, shop
from cannasync.web.pages import STATIC, render
from cannasync.web.session import CsrfRejected, SignInRequired


def create_site(db: Database, dispatcher: Dispatcher, **api_options: Any) -> FastAPI:
    app = create_app(db, dispatcher, **api_options)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (*console.routers, *shop.routers):
        app.include_router(router)

    def sign_in_first(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInRequired)
        target = "/console/sign-in?next=" + quote(error.next_path, safe="/")
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})  # htmx follows it as a full page
        return RedirectResponse(target, status_code=303)

    def csrf_rejected(request: Request, _error: Exception) -> HTMLResponse:
        return render(
            request,
            "error.html",
            status_code=403,
            title="This form has expired",
            message="The page was open too long or came from elsewhere. Reload the page and try again.",
        )

    async def console_not_found(request: Request, error: Exception) -> Response:
        """A person following a stale link in the console gets a page that says so, not the API's JSON; htmx requests
        and every other path keep the API's answer."""
        assert isinstance(error, StarletteHTTPException)
        page = request.url.path == "/console" or request.url.path.startswith("/console/")
        if error.status_code == 404 and page and not request.headers.get("hx-request"):
            detail = str(error.detail) if error.detail and error.detail != "Not Found" else "page not found"
            return render(
                request,
                "error.html",
                status_code=404,
                title="Not found",
                message=detail[:1].upper() + detail[1:] + ": it may have been removed, or the link is out of date.",
                home="/console",
            )
        return await method_not_allowed(request, error)

    app.add_exception_handler(SignInRequired, sign_in_first)
    app.add_exception_handler(CsrfRejected, csrf_rejected)
    app.add_exception_handler(StarletteHTTPException, console_not_found)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/console", status_code=303)

    return app
