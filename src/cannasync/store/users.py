"""Console users and their browser sessions.

Passwords are hashed with scrypt (memory-hard, in the standard library) and a per-user salt; a session cookie is a
random token whose SHA-256 digest is the only thing stored, alongside the CSRF token every form must send back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cannasync.store.accounts import token_digest
from cannasync.store.once import get_or_create
from cannasync.store.tables import SignInFailure, User, WebSession
from cannasync.store.types import utcnow

SESSION_LIFETIME = timedelta(days=7)
# Failed sign-ins allowed in a window before that account, or that address, must wait for the window to pass.
# Five per account stops guessing one password; twenty per address lets an office share a login page.
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_LIMITS = {"account": 5, "address": 20}
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


class Users:
    def __init__(self, session: Session) -> None:
        self.session = session

    def set_user(self, organization_id: int, email: str, password: str) -> User:
        """Create the user, or give an existing one (same e-mail) this password."""
        email = email.strip().lower()
        digest = hash_password(password)
        user, _ = get_or_create(
            self.session, User, {"email": email}, {"organization_id": organization_id, "password_hash": digest}
        )
        user.password_hash = digest
        self.session.flush()
        return user

    def authenticate(self, email: str, password: str) -> User | None:
        user = self.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            hash_password(password)  # spend the same time whether or not the e-mail exists
            return None
        return user if password_matches(password, user.password_hash) else None

    def open_session(self, user: User, now: datetime | None = None) -> tuple[str, WebSession]:
        """Returns the cookie value (shown once) and the stored session."""
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        row = WebSession(
            user_id=user.id,
            digest=token_digest(token),
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
        self.session.add(row)
        self.session.flush()
        return token, row

    def session_for(self, token: str, now: datetime | None = None) -> tuple[WebSession, User] | None:
        row = self.session.scalar(select(WebSession).where(WebSession.digest == token_digest(token)))
        if row is None or row.expires_at <= (now or utcnow()):
            return None
        user = self.session.get(User, row.user_id)
        return (row, user) if user is not None else None

    def close_session(self, token: str) -> None:
        self.session.execute(delete(WebSession).where(WebSession.digest == token_digest(token)))

    # --- the sign-in throttle ---
    def throttled_until(self, email: str, address: str, now: datetime | None = None) -> datetime | None:
        """When the account or the address may try again, if either has used up its failures in the window."""
        now = now or utcnow()
        since = now - THROTTLE_WINDOW
        until: datetime | None = None
        for scope, key in (("account", email.strip().lower()), ("address", address)):
            recent = self.session.execute(
                select(func.count(), func.min(SignInFailure.at)).where(
                    SignInFailure.scope == scope, SignInFailure.key == key, SignInFailure.at > since
                )
            ).one()
            count, oldest = int(recent[0]), recent[1]
            if count >= THROTTLE_LIMITS[scope] and oldest is not None:
                free_at = oldest + THROTTLE_WINDOW
                until = free_at if until is None else max(until, free_at)
        return until

    def record_failure(self, email: str, address: str, now: datetime | None = None) -> None:
        now = now or utcnow()
        self.session.add(SignInFailure(scope="account", key=email.strip().lower()[:320], at=now))
        self.session.add(SignInFailure(scope="address", key=address[:320], at=now))
        # Old rows are no use to the throttle: each failure clears what has left the window, so the table stays small.
        self.session.execute(delete(SignInFailure).where(SignInFailure.at <= now - THROTTLE_WINDOW))
        self.session.flush()

    def clear_failures(self, email: str) -> None:
        """A right password forgives the account's earlier mistakes (not the address's)."""
        self.session.execute(
            delete(SignInFailure).where(SignInFailure.scope == "account", SignInFailure.key == email.strip().lower())
        )
