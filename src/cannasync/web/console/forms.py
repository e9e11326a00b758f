"""Integration forms drawn from each vendor's own pydantic models, and read back into the dicts flows expect.

The connector's models are the one description of what a vendor needs (field, type, help text, warning); the
console draws from them, so a new vendor gets its card without a template of its own.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, SecretStr
from starlette.datastructures import FormData

_ACRONYMS = {"id": "ID", "ids": "IDs", "url": "URL", "api": "API", "sms": "SMS", "otd": "OTD"}

#: Settings a merchant rarely changes (where the vendor is, how patiently and how fast it is called): they sit
#: under a collapsed "Advanced", out of the way of the switches that change what syncs.
ADVANCED = frozenset({"base_url", "token_url", "timeout_seconds", "requests_per_second"})


def label(name: str) -> str:
    parts = [_ACRONYMS.get(part, part) for part in name.split("_")]
    text = " ".join(parts)
    return text[:1].upper() + text[1:]


@dataclass
class FieldView:
    name: str
    label: str
    help: str
    kind: str  # checkbox | text | number | select | multi | lines | secret | connection
    value: Any = None
    required: bool = False
    options: list[str] = field(default_factory=list)
    warning: str | None = None
    #: Where the form draws it: "credentials", "settings" or "advanced" (a collapsed section of its own).
    section: str = "settings"
    #: What was wrong with the value last submitted, shown beside the field.
    error: str | None = None
    #: (value, label) pairs of a "connection" field: another of the organization's integrations, by name.
    choices: list[tuple[str, str]] = field(default_factory=list)


def _unwrapped(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` → (X, True)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0], True
    return annotation, False


def _kind(annotation: Any) -> tuple[str, list[str]]:
    inner, _ = _unwrapped(annotation)
    origin = typing.get_origin(inner)
    if inner is bool:
        return "checkbox", []
    if inner is SecretStr:
        return "secret", []
    if inner in (int, float):
        return "number", []
    if origin is Literal:
        return "select", [str(a) for a in typing.get_args(inner)]
    if origin is list:
        (item,) = typing.get_args(inner) or (str,)
        if typing.get_origin(item) is Literal:
            return "multi", [str(a) for a in typing.get_args(item)]
        return "text", []  # comma-separated
    if origin is dict:
        return "lines", []  # one "key = value" per line
    return "text", []


def _warning(model: type[BaseModel], name: str) -> str | None:
    extra = model.model_fields[name].json_schema_extra
    return str(extra["warning"]) if isinstance(extra, dict) and "warning" in extra else None


def describe(
    model: type[BaseModel],
    values: dict[str, Any] | None,
    *,
    skip: tuple[str, ...] = (),
    section: str = "settings",
    warning: Callable[[type[BaseModel], str], str | None] = _warning,
) -> list[FieldView]:
    """The fields of a vendor model as the form shows them, filled with ``values`` (never pass secrets)."""
    shown = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        kind, options = _kind(info.annotation)
        value = (values or {}).get(name, None if info.is_required() else info.get_default(call_default_factory=True))
        if kind == "text" and isinstance(value, list):
            value = ", ".join(map(str, value))
        if kind == "lines" and isinstance(value, dict):
            value = "\n".join(f"{k} = {v}" for k, v in value.items())
        shown.append(
            FieldView(
                name=name,
                label=label(name),
                help=info.description or "",
                kind=kind,
                value=None if kind == "secret" else value,
                required=info.is_required(),
                options=options,
                warning=warning(model, name),
                section="advanced" if section == "settings" and name in ADVANCED else section,
            )
        )
    return shown


def read_settings(model: type[BaseModel], form: FormData, *, prefix: str = "settings.") -> dict[str, Any]:
    """A submitted settings form as a dict for the vendor's model (which then validates it and names mistakes).

    Unchecked checkboxes send nothing, so every boolean the form drew (``present.<name>``) reads False when absent.
    """
    found: dict[str, Any] = {}
    drawn = set(form.getlist("present"))
    for name, info in model.model_fields.items():
        key = prefix + name
        kind, _ = _kind(info.annotation)
        _, optional = _unwrapped(info.annotation)
        if kind == "checkbox":
            if name in drawn:
                found[name] = form.get(key) == "on"
            continue
        if kind == "multi":
            if name in drawn:
                found[name] = [str(v) for v in form.getlist(key)]
            continue
        if key not in form:
            continue
        raw = str(form.get(key, "")).strip()
        inner, _ = _unwrapped(info.annotation)
        if kind == "text" and typing.get_origin(inner) is list:
            found[name] = [part.strip() for part in raw.split(",") if part.strip()]
        elif kind == "lines":
            pairs = [line.split("=", 1) for line in raw.splitlines() if line.strip()]
            found[name] = {k.strip(): v.strip() for k, v in (p if len(p) == 2 else (p[0], "") for p in pairs)}
        elif raw == "" and (optional or not info.is_required()):
            found[name] = None if optional else info.get_default(call_default_factory=True)
        else:
            found[name] = raw
    return found


def read_credentials(model: type[BaseModel], form: FormData, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """Credentials are write-only: a blank field keeps what is saved; None when nothing new was typed."""
    typed = {
        name: str(form.get(f"credentials.{name}", "")).strip()
        for name in model.model_fields
        if str(form.get(f"credentials.{name}", "")).strip()
    }
    if not typed:
        return None
    return {**(stored or {}), **typed}


def typed_credentials(model: type[BaseModel], form: FormData) -> dict[str, str]:
    """What was typed into the credentials fields that are not secret (a username, a client id), to fill them in
    again when a save is refused: retyping them is needless, and they are the ones to check."""
    return {
        name: str(form.get(f"credentials.{name}", "")).strip()
        for name, info in model.model_fields.items()
        if _kind(info.annotation)[0] != "secret" and str(form.get(f"credentials.{name}", "")).strip()
    }
