"""Who is signed in to the console, and the CSRF check every state-changing form goes through.

The session cookie is HttpOnly and SameSite=Lax; on top of that each form carries the session's CSRF token (htmx
requests send it as ``X-CSRF-Token``, set once on <body>), because SameSite alone leaves same-site subdomains and
old browsers open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from cannasync.api.deps import Db
from cannasync.domain.tokens import same_secret

COOKIE = "cannasync_session"


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    organization_id: int
    email: str
    csrf_token: str


class SignInRequired(Exception):
    """Raised for a page that needs a signed-in merchant; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in first")
        self.next_path = next_path


class CsrfRejected(Exception):
    """A form came back without this session's token: answered 403, nothing changed."""


def current_viewer(request: Request, db: Db) -> Viewer | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    with db.uow() as uow:
        found = uow.users.session_for(token)
        if found is None:
            return None
        row, user = found
        return Viewer(user.id, user.organization_id, user.email, row.csrf_token)


def signed_in(request: Request, db: Db) -> Viewer:
    viewer = current_viewer(request, db)
    if viewer is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    request.state.viewer = viewer
    return viewer


async def csrf_checked(request: Request, viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    """For POST routes: the token must come back in the form (``csrf_token``) or the ``X-CSRF-Token`` header."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not same_secret(sent, viewer.csrf_token):
        raise CsrfRejected()
    return viewer


Merchant = Annotated[Viewer, Depends(signed_in)]
MerchantForm = Annotated[Viewer, Depends(csrf_checked)]
