"""What a menu sync writes: a page of mapped products at a time, the products a complete read no longer
returned, and the image links it fetches."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from cannasync.domain import catalog as model
from cannasync.domain.variants import variant_key
from cannasync.store import history
from cannasync.store.catalog.products import PRODUCT
from cannasync.store.db import is_postgres
from cannasync.store.tables import Binding, Product
from cannasync.store.types import utcnow

#: The fingerprint of a product the store edited (``PATCH /products/{id}``): no POS record has it, so the next sync
#: rewrites what the POS owns.
EDITED_BY_STORE = "edited by the store"


@dataclass(frozen=True, slots=True)
class BoundProduct:
    id: int
    fingerprint: str
    visible: bool


def _potencies(values: Sequence[model.Potency]) -> list[dict[str, Any]]:
    return [{"name": p.name, "value": str(p.value), "unit": p.unit.value} for p in values]


def _tiers(values: Sequence[model.PriceTier]) -> list[dict[str, Any]]:
    return [{**asdict(tier), "quantity": str(tier.quantity)} for tier in values]


class CatalogSync:
    def __init__(self, session: Session) -> None:
        self.session = session

    def bound_fingerprints(self, integration_id: int, external_ids: Collection[str]) -> dict[str, BoundProduct]:
        """What the store holds for these POS ids: just enough to tell whether anything must be written."""
        rows = self.session.execute(
            select(Binding.external_id, Product.id, Product.fingerprint, Product.visible)
            .join(Product, Product.id == Binding.internal_id)
            .where(
                Binding.integration_id == integration_id,
                Binding.kind == PRODUCT,
                Binding.external_id.in_(list(external_ids)),
            )
        )
        return {external_id: BoundProduct(id, fingerprint, visible) for external_id, id, fingerprint, visible in rows}

    def save_page(
        self,
        *,
        store_id: int,
        integration_id: int,
        products: Sequence[tuple[model.Product, str]],
        run_id: int,
        store_owned: frozenset[model.FieldGroup] = frozenset(),
    ) -> list[str]:
        """Write a page of mapped products (each with its store category) where anything the POS decides changed.

        Returns created, updated or unchanged for each. A new product gets every field; on an existing one, the
        groups in ``store_owned`` keep what the store has (its own edits). One query reads what the page needs
        to compare; the changed products are then written as one batch (an UPDATE executemany by id, an INSERT of
        the new rows and one of their bindings), so a page costs a handful of statements, not one per item.
        """
        bound = self.bound_fingerprints(integration_id, [product.external_id for product, _ in products])
        # The store's category is part of what it shows: a new mapping must rewrite the product.
        fingerprints = [
            hashlib.sha256(f"{product.fingerprint(store_owned)}\x1f{category}".encode()).hexdigest()
            for product, category in products
        ]
        outcomes: list[str] = []
        # The page's batch of changes: one multi-row statement each (an executemany), never one per product.
        created: list[tuple[str, dict[str, Any]]] = []  # (external id, the new row)
        updated: list[dict[str, Any]] = []  # each with the product's "id"
        now = utcnow()
        for (product, category), fingerprint in zip(products, fingerprints, strict=True):
            known = bound.get(product.external_id)
            if known is not None and known.fingerprint == fingerprint and known.visible == product.listed:
                outcomes.append("unchanged")
                continue
            values = _values(product, category, store_owned if known is not None else frozenset(), now)
            values.update(fingerprint=fingerprint, last_seen_run_id=run_id)
            if known is None:
                created.append((product.external_id, _new_row(values, store_id, integration_id, now)))
                outcomes.append("created")
            else:
                updated.append({"id": known.id, **values})
                outcomes.append("updated")
        changes = history.updates(self.session, updated, run_id)  # read before the rows are written
        self._update_rows(updated)
        self._insert_rows(integration_id, created)
        history.record(self.session, changes)
        return outcomes

    def _update_rows(self, rows: list[dict[str, Any]]) -> None:
        """UPDATE the changed products of a page by primary key, one executemany per set of columns written
        (the same for every row of a page but for the vendor's optional terpenes and images)."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(row), []).append(row)
        table = Product.__table__
        for columns, batch in by_columns.items():
            # Core, not the ORM's bulk UPDATE: the ORM splits a batch wherever the rows' None values differ.
            statement = (
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values({column: bindparam(column) for column in columns if column != "id"})
            )
            self.session.execute(statement, [{**row, "row_id": row["id"]} for row in batch])

    def _insert_rows(self, integration_id: int, rows: list[tuple[str, dict[str, Any]]]) -> None:
        """INSERT a page's new products and their bindings: two multi-row statements, the new ids matched back."""
        if not rows:
            return
        # Core tables, not the ORM's bulk INSERT: the ORM splits a batch wherever the rows' None values differ.
        # The ids come back matched by fingerprint, which names the external id and so differs between the page's
        # products: asking for them in parameter order would make SQLite insert one row at a time.
        products, bindings = Product.__table__, Binding.__table__
        statement = insert(products).returning(products.c.fingerprint, products.c.id)
        returned = self.session.execute(statement, [row for _, row in rows])
        by_fingerprint = {fingerprint: id_ for fingerprint, id_ in returned}
        ids = [by_fingerprint[row["fingerprint"]] for _, row in rows]
        self.session.execute(
            insert(bindings),
            [
                {"integration_id": integration_id, "kind": PRODUCT, "external_id": external_id, "internal_id": id_}
                for (external_id, _), id_ in zip(rows, ids, strict=True)
            ],
        )

    def refresh_statistics(self) -> None:
        """Have PostgreSQL re-read the product and binding tables' statistics now, after a sync created many rows.

        Its plans for the next sync's per-page lookups are made from them: planned against the empty tables a first
        sync started from, the lookup of a page's bindings took 19 ms instead of 3 (10,000 items, measured), for
        every page of the sync that followed, until autovacuum got round to the tables. SQLite plans by its indexes.
        """
        if is_postgres(self.session.get_bind()):
            self.session.execute(text("ANALYZE products, bindings"))

    def hide_missing(self, integration_id: int, seen_external_ids: Collection[str], run_id: int | None = None) -> int:
        """Hide the products a complete read did not return. Only ever called after a complete read."""
        visible = self.session.execute(
            select(Binding.external_id, Product.id)
            .join(Product, Product.id == Binding.internal_id)
            .where(Binding.integration_id == integration_id, Binding.kind == PRODUCT, Product.visible.is_(True))
        )
        gone = [product_id for external_id, product_id in visible if external_id not in seen_external_ids]
        for start in range(0, len(gone), 500):
            self.session.execute(
                update(Product)
                .where(Product.id.in_(gone[start : start + 500]))
                .values(visible=False, fingerprint="hidden", updated_at=utcnow())
            )
        history.record(self.session, history.hidden(gone, run_id))
        return len(gone)

    def needing_images(self, integration_id: int, fetched_before: datetime, limit: int) -> list[tuple[int, str]]:
        """Visible products whose image links are missing or about to expire, as (product id, external id)."""
        rows = self.session.execute(
            select(Product.id, Binding.external_id)
            .join(Binding, and_(Binding.internal_id == Product.id, Binding.kind == PRODUCT))
            .where(
                Product.integration_id == integration_id,
                Binding.integration_id == integration_id,
                Product.visible.is_(True),
                (Product.images_fetched_at.is_(None)) | (Product.images_fetched_at < fetched_before),
            )
            .order_by(Product.id)
            .limit(limit)
        )
        return [(product_id, external_id) for product_id, external_id in rows]

    def set_images(self, product_id: int, images: Sequence[str]) -> None:
        self.session.execute(
            update(Product).where(Product.id == product_id).values(images=list(images), images_fetched_at=utcnow())
        )


def _values(product: model.Product, category: str, owned: frozenset[model.FieldGroup], now: datetime) -> dict[str, Any]:
    """The columns of a product's row that the POS decides, leaving out the groups the store owns."""
    values: dict[str, Any] = {
        "name": product.name,
        "brand": product.brand,
        "strain_type": product.strain_type.value if product.strain_type else None,
        "sku": product.sku,
        "base_category": product.base_category,
        "net_weight": str(product.net_weight) if product.net_weight is not None else None,
        "net_weight_unit": product.net_weight_unit if product.net_weight is not None else None,
        "variant_key": variant_key(product.name, product.brand, product.category),
        "pos_quantity": product.pos_quantity,
        "visible": product.listed,
        "updated_at": now,
    }
    if model.FieldGroup.CATEGORY not in owned:
        values.update(pos_category=product.category, category=category, subcategory=product.subcategory)
    if model.FieldGroup.DESCRIPTION not in owned:
        values["description"] = product.description
    if model.FieldGroup.POTENCY not in owned:
        values["cannabinoids"] = _potencies(product.cannabinoids)
    if product.terpenes is not None and model.FieldGroup.TERPENES not in owned:
        values["terpenes"] = _potencies(product.terpenes)
    if product.images is not None and model.FieldGroup.IMAGES not in owned:
        values["images"] = list(product.images)
        values["images_fetched_at"] = now
    if model.FieldGroup.PRICES not in owned:
        values.update(
            rec_price_cents=product.rec_price_cents,
            med_price_cents=product.med_price_cents,
            price_tiers=_tiers(product.price_tiers),
        )
    return values


def _new_row(values: dict[str, Any], store_id: int, integration_id: int, now: datetime) -> dict[str, Any]:
    """A new product's row: every column given (a multi-row INSERT takes the same columns for every row), with
    what the POS did not send (terpenes, images) at the column's default."""
    return {
        "terpenes": [],
        "images": [],
        "images_fetched_at": None,
        **values,
        "store_id": store_id,
        "integration_id": integration_id,
        "held_quantity": 0,
        "created_at": now,
    }
