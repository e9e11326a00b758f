"""A loyalty source: the loyalty flows' names, the source's switches (use last backup, Sync Personas) and
the profile hash that keeps our own writes from echoing back."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from cannasync.connectors.registry import LOYALTY_SOURCES, loyalty_options
from cannasync.store.types import utcnow

PULL = "loyalty_pull"
PULL_INTERVAL = timedelta(minutes=15)  # the seed promises 24 h, the source usually 4 h: a quarter of an hour
OPT_IN = "sms_opt_in"
OPT_IN_INTERVAL = timedelta(hours=24)
CREATE_SHOPPER = "create_shopper"
BATCH = 50


def profile_hash(first: str, last: str, email: str | None, phone: str | None, born: date | None) -> str:
    """What a POS profile says about the contact fields; equal hashes mean nothing to exchange (no echoes)."""
    text = "\x1f".join([first, last, email or "", phone or "", born.isoformat() if born else ""])
    return hashlib.sha256(text.encode()).hexdigest()


def frozen(vendor: str, settings: Mapping[str, Any]) -> bool:
    """Whether a connection is a loyalty source switched to "use last backup" (``LoyaltyOptions.frozen``): it is
    never called again, not even to check its credentials. Any other vendor's connection is never frozen."""
    return vendor in LOYALTY_SOURCES and loyalty_options(vendor, settings).frozen


def settings_changed(state: Mapping[str, Any], before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The source's sync state once its settings go from ``before`` to ``after`` (saved in the same transaction).

    Sync Personas applies "from the day it is enabled": the moment is recorded when the switch is saved, so a POS
    edit made between switching it on and the next pull is synced; switching it off forgets the moment.
    """
    updated = dict(state)
    if not after.get("sync_personas"):
        updated.pop("personas_since", None)
    elif not before.get("sync_personas") or "personas_since" not in updated:
        # Whole milliseconds, the POS's own precision: an edit stamped in the same millisecond as the switch
        # counts as after it. (Whole seconds dated an edit made up to a second *before* the switch after it.)
        now = utcnow()
        updated["personas_since"] = now.replace(microsecond=now.microsecond // 1000 * 1000).isoformat()
    return updated
