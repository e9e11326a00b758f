"""Credentials at rest: encrypted with MultiFernet, so keys can be rotated by putting a new one first."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretsUnreadable(Exception):
    """Stored credentials cannot be decrypted with the configured keys (a key was removed or changed)."""


class SecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, secret: Mapping[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(dict(secret), sort_keys=True).encode())

    def open(self, sealed: bytes) -> dict[str, Any]:
        try:
            return dict(json.loads(self._fernet.decrypt(sealed)))
        except InvalidToken:
            raise SecretsUnreadable("stored credentials cannot be decrypted with the configured keys") from None

    def rotate(self, sealed: bytes) -> bytes:
        return self._fernet.rotate(sealed)
