"""Every flow the hub runs, named once: its function, the capability its connector needs, how often it runs, and
whether a run can resume a lost one's read. The outbox's senders are named here too, by message kind.

The jobs look a run's flow up here to run it; connecting a vendor schedules each of the vendor's flows
(``VendorSpec.scheduled_flows``) at the interval given here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Protocol

from cannasync.connectors.base import (
    Connector,
    InventorySource,
    ShopperSource,
    SmsGateway,
    StatusSource,
    WholesaleMarket,
)
from cannasync.flows import loyalty, menu_sync, order_push, order_status, reconcile, wholesale
from cannasync.flows.checkout import PUSH_ORDER
from cannasync.store.accounts import IntegrationConfig
from cannasync.store.uow import Database


class Counted(Protocol):
    """What a run returns: its counts, as the run's record keeps them."""

    def as_dict(self) -> dict[str, int]: ...


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    #: Runs one run to its end: (database, connector, the integration's configuration, run id) → the counts.
    run: Callable[[Database, Any, IntegrationConfig, int], Counted]
    #: The capability the integration's connector must have (a runtime-checkable protocol); None: any connector
    #: (the flow asks which of several it has).
    needs: type | None
    interval: timedelta
    #: The first run waits one interval: right after connecting there is nothing to compare yet.
    deferred: bool = False
    #: A run taken over from a lost one resumes its read from the checkpoint, and then reads only the rest.
    resumable: bool = False
    #: Errors that end a run with their own message, like a vendor's: a setup mistake, not a crash.
    refusals: tuple[type[Exception], ...] = ()


#: A wholesale bridge that names no usable supplier connection: the merchant's setup to fix.
BRIDGE_REFUSED: tuple[type[Exception], ...] = (wholesale.BridgeMisconfigured,)


def _flows(*flows: Flow) -> Mapping[str, Flow]:
    return MappingProxyType({flow.name: flow for flow in flows})


FLOWS = _flows(
    Flow(menu_sync.FLOW, menu_sync.run, InventorySource, menu_sync.INTERVAL, resumable=True),
    Flow(order_status.FLOW, order_status.run, StatusSource, order_status.INTERVAL),
    Flow(loyalty.PULL, loyalty.pull, ShopperSource, loyalty.PULL_INTERVAL),
    Flow(loyalty.OPT_IN, loyalty.send_opt_in_requests, SmsGateway, loyalty.OPT_IN_INTERVAL),
    Flow(wholesale.FLOW, wholesale.run, WholesaleMarket, wholesale.INTERVAL, refusals=BRIDGE_REFUSED),
    # A marketplace link's reconciliation reads its bridge's supplier as the wholesale sync does: refused alike.
    Flow(reconcile.FLOW, reconcile.run, None, reconcile.INTERVAL, deferred=True, refusals=BRIDGE_REFUSED),
)

#: Sends one outbox message: (database, connector, configuration, message id, status postback URL) → the outcome.
Sender = Callable[[Database, Connector, IntegrationConfig, int, str | None], str]

#: Outbox message kinds and the flow that sends each.
SENDERS: Mapping[str, Sender] = MappingProxyType(
    {PUSH_ORDER: order_push.push, loyalty.CREATE_SHOPPER: loyalty.push_signup}
)


class UnknownFlow(KeyError):
    pass


def flow(name: str) -> Flow:
    try:
        return FLOWS[name]
    except KeyError:
        raise UnknownFlow(f"unknown flow {name!r}; known: {', '.join(sorted(FLOWS))}") from None
