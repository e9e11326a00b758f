"""The loyalty program against a POS (seed 002): shoppers and sales in, points, opt-ins, rewards at the POS.

One module per use case: ``source`` (the flows' names, the source's switches, the profile hash), ``pull`` (the
scheduled read of shoppers and sales), ``dates`` (the program's dates and earning rule), ``signups`` (our form,
the POS given the new customer, contact edits), ``opt_in`` (SMS double opt-in) and ``rewards`` (rewards at the
POS, redemptions). Callers import from here, as before the split.
"""

from __future__ import annotations

from cannasync.flows.loyalty.dates import preview_dates, set_dates, set_earning
from cannasync.flows.loyalty.opt_in import record_reply, send_opt_in_requests
from cannasync.flows.loyalty.pull import pull
from cannasync.flows.loyalty.rewards import add_reward, create_reward, redeem, redeemable
from cannasync.flows.loyalty.signups import FROZEN_RECHECK, Signup, edit_contact, push_signup, signup
from cannasync.flows.loyalty.source import (
    BATCH,
    CREATE_SHOPPER,
    OPT_IN,
    OPT_IN_INTERVAL,
    PULL,
    PULL_INTERVAL,
    frozen,
    profile_hash,
    settings_changed,
)

__all__ = [
    "BATCH",
    "CREATE_SHOPPER",
    "FROZEN_RECHECK",
    "OPT_IN",
    "OPT_IN_INTERVAL",
    "PULL",
    "PULL_INTERVAL",
    "Signup",
    "add_reward",
    "create_reward",
    "edit_contact",
    "frozen",
    "preview_dates",
    "profile_hash",
    "pull",
    "push_signup",
    "record_reply",
    "redeem",
    "redeemable",
    "send_opt_in_requests",
    "set_dates",
    "set_earning",
    "settings_changed",
    "signup",
]
