"""How records look through the API. Credentials never appear here: only whether they are saved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from cannasync.connectors.registry import vendor
from cannasync.domain import limits
from cannasync.domain.catalog import available_quantity
from cannasync.flows.shopper_messages import order_page_path
from cannasync.store.orders import CONTACT_FIELDS
from cannasync.store.tables import (
    Drift,
    Hold,
    Integration,
    Order,
    OrderEvent,
    OrderMessage,
    OutboxMessage,
    Product,
    QuarantinedRecord,
    RecordChange,
    Schedule,
    Store,
    SyncRun,
)


def _at(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(amount: Decimal) -> str:
    """``15``, ``70.87``: a decimal without trailing zeros or an exponent."""
    return f"{amount.normalize():f}"


def _limit(limit: limits.Limit, state_amount: Decimal | None) -> dict[str, Any]:
    return {
        "key": limit.key,
        "label": limit.label,
        "measure": limit.measure.value,
        "amount": _plain(limit.amount),
        "state_amount": _plain(state_amount) if state_amount is not None else None,
        "counts": {kind.value: str(factor) for kind, factor in limit.counts.items()},
    }


def purchase_limits(row: Store) -> dict[str, Any]:
    """The limits an order at this store is held to, each with the state's own amount beside it."""
    state = (row.address or {}).get("state") or None
    table = limits.states().get(state or "")
    result: dict[str, Any] = {"state": state, "state_name": table.name if table else None}
    for customer in limits.Customer:
        law = {limit.key: limit.amount for limit in limits.limits_for(state, customer)}
        result[customer.value] = [
            _limit(limit, law.get(limit.key)) for limit in limits.limits_for(state, customer, row.limit_overrides)
        ]
    result["overrides"] = row.limit_overrides or {}
    return result


def store(row: Store, channels_ready: Mapping[str, bool] | None = None) -> dict[str, Any]:
    """A store's settings; ``channels_ready`` says whether its order messages could go out now, by channel."""
    return {
        "id": row.id,
        "name": row.name,
        "timezone": row.timezone,
        "timezone_chosen": row.timezone_chosen,
        "randomized_order_numbers": row.randomized_order_numbers,
        "address": row.address,
        "phone": row.phone,
        "hours": row.hours or {},
        "pickup_enabled": row.pickup_enabled,
        "delivery_enabled": row.delivery_enabled,
        "delivery_fee_cents": row.delivery_fee_cents,
        "delivery_minimum_cents": row.delivery_minimum_cents,
        "order_sms_enabled": row.order_sms_enabled,
        "order_email_enabled": row.order_email_enabled,
        **({"order_channels_ready": dict(channels_ready)} if channels_ready is not None else {}),
        "purchase_limits": purchase_limits(row),
    }


def integration(row: Integration, schedules: list[Schedule] | None = None) -> dict[str, Any]:
    spec = vendor(row.vendor)
    return {
        "id": row.id,
        "store_id": row.store_id,
        "vendor": row.vendor,
        "title": spec.title,
        "enabled": row.enabled,
        "settings": row.settings,
        "name": row.name,
        # Where the vendor must send what it pushes to us; the last part is this integration's secret.
        "inbound_path": (
            f"/hooks/{row.vendor}/{row.id}/{row.webhook_token}" if spec.receives_calls and row.webhook_token else None
        ),
        # False once disconnected: the credentials were erased, the history and settings kept.
        "connected": bool(row.credentials),
        "credentials": {"saved": bool(row.credentials), "fields": list(spec.credentials.model_fields)},
        "schedules": [
            {"flow": s.flow, "every_seconds": s.interval_seconds, "next_run_at": _at(s.next_run_at)}
            for s in schedules or []
        ],
    }


def run(row: SyncRun) -> dict[str, Any]:
    return {
        "id": row.id,
        "integration_id": row.integration_id,
        "flow": row.flow,
        "trigger": row.trigger,
        "status": row.status,
        "queued_at": _at(row.queued_at),
        "started_at": _at(row.started_at),
        "finished_at": _at(row.finished_at),
        "complete_read": row.complete_read,
        "pages": row.pages,
        "seen": row.seen,
        "counts": row.counts,
        "error": row.error,
    }


def quarantined(row: QuarantinedRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "external_id": row.external_id,
        "reason": row.reason,
        "payload": row.payload,
        "first_seen_at": _at(row.first_seen_at),
        "last_seen_at": _at(row.last_seen_at),
    }


def product(row: Product) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "brand": row.brand,
        "category": row.category,
        "pos_category": row.pos_category,
        "subcategory": row.subcategory,
        "strain_type": row.strain_type,
        "description": row.description,
        "sku": row.sku,
        "images": row.images,
        "cannabinoids": row.cannabinoids,
        "terpenes": row.terpenes,
        "rec_price_cents": row.rec_price_cents,
        "med_price_cents": row.med_price_cents,
        "price_tiers": row.price_tiers,
        "net_weight": row.net_weight,
        "net_weight_unit": row.net_weight_unit,
        "pos_quantity": row.pos_quantity,
        "held_quantity": row.held_quantity,
        "available_quantity": available_quantity(row.pos_quantity, row.held_quantity),
        "visible": row.visible,
        "updated_at": _at(row.updated_at),
    }


def order_summary(row: Order) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "status": row.status,
        "fulfillment": row.fulfillment,
        "is_medical": row.is_medical,
        "total_cents": row.total_cents,
        "pos_order_id": row.pos_order_id,
        "placed_at": _at(row.placed_at),
    }


def contact(row: Order) -> dict[str, Any]:
    """The contact typed with this order: another order by a shopper with the same phone never changes it."""
    stored = row.contact or {field: getattr(row.customer, field) for field in CONTACT_FIELDS}
    return {field: stored.get(field) for field in CONTACT_FIELDS}


def order(
    row: Order,
    events: list[OrderEvent],
    holds: list[Hold],
    pushes: list[OutboxMessage],
    messages: Sequence[OrderMessage] = (),
) -> dict[str, Any]:
    return {
        **order_summary(row),
        # Where the shopper follows the order (the link its messages carry), under the hub's public address.
        "shopper_page": order_page_path(row.store_id, row.page_key) if row.page_key else None,
        "customer": {
            "id": row.customer_id,
            **contact(row),
            "needs_id_verification": row.customer.needs_id_verification,
        },
        "lines": [
            {
                "product_id": line.product_id,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price_cents": line.unit_price_cents,
                "discount_cents": line.discount_cents,
                "total_cents": line.quantity * line.unit_price_cents - line.discount_cents,
                "tier": (
                    {"label": line.tier_label, "quantity": line.tier_quantity, "unit": line.tier_unit}
                    if line.tier_label is not None
                    else None
                ),
            }
            for line in row.lines
        ],
        "offers": [
            {
                "label": o.label,
                "kind": o.kind,
                "value": o.value,
                "line": o.line_position,
                "amount_cents": o.amount_cents,
            }
            for o in row.offers
        ],
        "fees": row.fees,
        "subtotal_cents": row.subtotal_cents,
        "discount_cents": row.discount_cents,
        "fees_cents": row.fees_cents,
        "notes": row.notes,
        "delivery_address": row.delivery_address,
        "window_start": _at(row.window_start),
        "window_end": _at(row.window_end),
        "pos_status": row.pos_status,
        "push_error": row.push_error,
        "push_reference": row.push_reference,
        "attention": row.attention,
        "keep_holding": row.keep_holding,
        "holds": [
            {
                "product_id": h.product_id,
                "quantity": h.quantity,
                "released_at": _at(h.released_at),
                "release_reason": h.release_reason,
            }
            for h in holds
        ],
        "history": [
            {
                "at": _at(e.at),
                "kind": e.kind,
                "source": e.source,
                "from": e.from_status,
                "to": e.to_status,
                "detail": e.detail,
            }
            for e in events
        ],
        "push_attempts": [
            {
                "state": m.state,
                "attempts": m.attempts,
                "outcome_unknown": m.outcome_unknown,
                "last_error": m.last_error,
                "next_attempt_at": _at(m.next_attempt_at),
            }
            for m in pushes
        ],
        "messages": [
            {
                "event": m.event,
                "channel": m.channel,
                "to": m.recipient,
                "state": m.state,
                "detail": m.detail,
                "queued_at": _at(m.created_at),
                "sent_at": _at(m.sent_at),
            }
            for m in messages
        ],
    }


def drift(row: Drift) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "subject": row.subject,
        "subject_id": row.subject_id,
        "external_id": row.external_id,
        "label": row.label,
        "ours": row.ours,
        "theirs": row.theirs,
        "since": _at(row.since),
        "cause": row.cause,
        "explanation": row.explanation,
        "repair": row.repair,
        "repair_detail": row.repair_detail,
    }


def reconciliation(run_row: SyncRun | None, rows: list[Drift]) -> dict[str, Any]:
    """The last reconciliation of an integration: its run, and each difference it found (none: ``run`` is null)."""
    return {"run": run(run_row) if run_row else None, "differences": [drift(row) for row in rows]}


def record_change(row: RecordChange, run_row: SyncRun | None) -> dict[str, Any]:
    return {
        "at": _at(row.at),
        "changes": {name: {"from": old, "to": new} for name, (old, new) in row.changes.items()},
        "run_id": row.run_id,
        "flow": run_row.flow if run_row else None,
        "trigger": run_row.trigger if run_row else None,
        # A change with neither (a run since deleted, or a path that names nobody) was still the hub's own.
        "by": row.actor
        or (f"{run_row.flow.replace('_', ' ')} run {run_row.id} ({run_row.trigger})" if run_row else "the hub"),
    }
