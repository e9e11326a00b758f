"""Who may call: Flourish's API keys.

* Auth by ``x-api-key`` or legacy ``Authorization: Basic base64(username:key)``: a missing or unknown
  key/username answers 401 ``{"error": "Invalid or expired API key"}``; a known but inactive key answers
  403 ``{"error": "API key is not active"}``. Defaults: username ``demo``, active key ``demo-key``,
  inactive key ``inactive-key``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.wire import ApiError

#: Default credentials: API key → (username, active).
DEFAULT_CREDENTIALS: Mapping[str, tuple[str, bool]] = {
    "demo-key": ("demo", True),
    "inactive-key": ("demo", False),
}


class AuthMixin(StateBase):
    """Authentication by ``x-api-key`` or HTTP Basic."""

    def authenticate(self, api_key: str | None, authorization: str | None) -> None:
        """Raise the 401/403 Flourish answers, or return when the caller may proceed."""
        username: str | None = None
        if api_key:
            key = api_key.strip()
        elif authorization and authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise ApiError(401, "Invalid or expired API key") from None
            username, _, key = decoded.partition(":")
        else:
            raise ApiError(401, "Invalid or expired API key")
        known = self.credentials.get(key)
        if known is None or (username is not None and username != known[0]):
            raise ApiError(401, "Invalid or expired API key")
        if not known[1]:
            raise ApiError(403, "API key is not active")
