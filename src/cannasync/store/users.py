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

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cannasync.store.accounts import token_digest
from cannasync.store.once import get_or_create
from cannasync.store.tables import User, WebSession
from cannasync.store.throttle import Throttle
from cannasync.store.types import utcnow

SESSION_LIFETIME = timedelta(days=7)
# Failed sign-ins allowed in the throttle's window (store/throttle.py, 15 minutes) before that account, or that
# address, must wait for it to pass. Five per account stops guessing one password; twenty per address lets an
# office share a login page.
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
        keys = [("account", email.strip().lower()), ("address", address)]
        return Throttle(self.session).until(keys, THROTTLE_LIMITS, now)

    def record_failure(self, email: str, address: str, now: datetime | None = None) -> None:
        Throttle(self.session).record([("account", email.strip().lower()), ("address", address)], now)

    def clear_failures(self, email: str) -> None:
        """A right password forgives the account's earlier mistakes (not the address's)."""
        Throttle(self.session).forgive("account", email.strip().lower())
