"""Text from outside (a vendor's record) made fit to store and show.

Two things a JSON string may hold cannot be stored: a NUL character (PostgreSQL refuses it in text) and a lone
UTF-16 surrogate (``"\\ud800"`` parses, but is no character, cannot be encoded as UTF-8 and breaks a JSON column).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean(value: str) -> str:
    """``value`` without NUL characters, and with each lone surrogate replaced by U+FFFD (a paired one joined)."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if _SURROGATE.search(value):
        # A pair given as two escapes is one character: join it; what is left alone is replaced.
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        value = _SURROGATE.sub(REPLACEMENT, value)
    return value


def is_clean(value: str) -> bool:
    return "\x00" not in value and not _SURROGATE.search(value)


def json_safe(value: Any, depth: int = 0) -> Any:
    """Something read from outside, as a JSON column takes it on every database: NaN and infinities as strings
    (PostgreSQL refuses them), strings and keys cleaned, anything that is not JSON as its repr, nesting cut at 64."""
    if depth > 64:
        return "(nested too deep)"
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, bool | int) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Decimal):  # a streamed answer's numbers: a float when one can hold it, else its text
        number = float(value)
        return number if math.isfinite(number) else str(value)
    if isinstance(value, Mapping):
        return {clean(str(key)): json_safe(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item, depth + 1) for item in value]
    return clean(repr(value))
