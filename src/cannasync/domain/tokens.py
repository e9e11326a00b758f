"""Comparing a secret someone sent with the one we hold, whatever they sent.

``hmac.compare_digest`` raises ``TypeError`` for a ``str`` with non-ASCII characters, so a forged header such as
``X-CSRF-Token: é`` would end as a 500 instead of a refusal. Both sides are compared as UTF-8 bytes instead
(lone surrogates passed through, so even one of those compares rather than raises), still in constant time.
"""

from __future__ import annotations

import hmac


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def same_secret(given: str | bytes | None, expected: str | bytes) -> bool:
    """True only when ``given`` is exactly ``expected``; never raises for what a stranger may send."""
    if given is None or not expected:
        return False
    return hmac.compare_digest(_bytes(given), _bytes(expected))
