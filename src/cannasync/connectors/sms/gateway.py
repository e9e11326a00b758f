"""The SMS gateway connector: ``POST /v1/messages`` to send, signed JSON posts for replies."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cannasync.connectors.base import InboundMessage, Location, Options, Traits
from cannasync.connectors.http import MalformedAnswer, NotFound, VendorHttp, credential_key
from cannasync.connectors.values import ApiRoot, json_document
from cannasync.domain.sync import MappingError
from cannasync.domain.tokens import same_secret

SIGNATURE_HEADER = "x-sms-signature"


class SmsCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr = Field(min_length=1, description="The gateway's API key")
    signing_secret: SecretStr = Field(min_length=1, description="The secret the gateway signs replies with")


class SmsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: ApiRoot = Field(description="The gateway's API root")
    sender: str | None = Field(None, description="The number or short code texts come from")
    requests_per_second: float = Field(5.0, gt=0, description="Ceiling for sends")
    timeout_seconds: float = Field(15.0, gt=0, le=120)


class SmsGatewayConnector:
    vendor = "sms"
    traits = Traits()

    def __init__(self, credentials: SmsCredentials, settings: SmsSettings) -> None:
        self.settings = settings
        self.options = Options()
        key = credentials.api_key.get_secret_value()
        self._secret = credentials.signing_secret.get_secret_value().encode()
        self._http = VendorHttp(
            "SMS gateway",
            settings.base_url,
            headers={"Authorization": f"Bearer {key}"},
            limiter_key=credential_key(self.vendor, key),
            requests_per_second=settings.requests_per_second,
            timeout=settings.timeout_seconds,
        )

    def close(self) -> None:
        self._http.close()

    def locations(self) -> list[Location]:
        """Prove the key works: looking up a message that cannot exist must be a 404, not a 401."""
        with contextlib.suppress(NotFound):
            self._http.get_json("v1/messages/cannasync-connection-check")
        return []

    def send_sms(self, to: str, body: str, reference: str) -> str:
        message = {"to": to, "body": body, "reference": reference}
        if self.settings.sender:
            message["from"] = self.settings.sender
        return str(self._http.write_json("POST", "v1/messages", message)["id"])

    def sent_with_reference(self, reference: str) -> str | None:
        """``GET /v1/messages?reference=`` lists the texts sent with our reference (the gateway's documented way
        for a client that lost an answer to learn whether its text went: sandboxes/sms.py, "Wire format")."""

        def listed(answer: Any) -> list[Any]:
            if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
                raise MalformedAnswer(self._http.vendor, 'the message list is not {"data": [...]}')
            return list(answer["data"])

        found = self._http.get_json("v1/messages", params={"reference": reference}, expect=listed)
        ids = [str(message["id"]) for message in found if isinstance(message, dict) and message.get("id")]
        return ids[0] if ids else None

    def parse_inbound(self, raw_body: bytes, headers: Mapping[str, str]) -> InboundMessage:
        signature = {name.lower(): value for name, value in headers.items()}.get(SIGNATURE_HEADER, "")
        expected = hmac.new(self._secret, raw_body, hashlib.sha256).hexdigest()
        if not same_secret(signature, expected):
            raise MappingError("the reply's signature does not match")
        payload = json_document(raw_body, "the reply")
        try:
            return InboundMessage(sender=str(payload["from"]), body=str(payload["body"]), message_id=str(payload["id"]))
        except (ValueError, KeyError, TypeError):
            raise MappingError("the reply is not a JSON object with id, from and body") from None
