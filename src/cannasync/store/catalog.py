"""Products, the store's category table, and holds against stock."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    TextClause,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, aliased

from cannasync.domain import catalog as model
from cannasync.domain import holds as hold_rules
from cannasync.domain.orders import OrderStatus
from cannasync.domain.variants import size_order, variant_key
from cannasync.store import history
from cannasync.store.db import is_postgres, rowcount
from cannasync.store.tables import Binding, CategoryMapping, Hold, Order, Product
from cannasync.store.types import utcnow
from cannasync.vocab import singular_forms

PRODUCT = "product"
#: The fingerprint of a product the store edited (``PATCH /products/{id}``): no POS record has it, so the next sync
#: rewrites what the POS owns.
EDITED_BY_STORE = "edited by the store"
#: Available quantities at or below this (and above zero) count as low stock on the products screen.
LOW_STOCK = 5

StockLevel = Literal["in", "out", "low"]


@dataclass(frozen=True, slots=True)
class BoundProduct:
    id: int
    fingerprint: str
    visible: bool


class OutOfStock(Exception):
    def __init__(self, product_id: int, name: str, wanted: int, available: int) -> None:
        super().__init__(f"only {available} of {name!r} available, {wanted} requested")
        self.product_id = product_id
        self.name = name
        self.wanted = wanted
        self.available = available


def _potencies(values: Sequence[model.Potency]) -> list[dict[str, Any]]:
    return [{"name": p.name, "value": str(p.value), "unit": p.unit.value} for p in values]


def _tiers(values: Sequence[model.PriceTier]) -> list[dict[str, Any]]:
    return [{**asdict(tier), "quantity": str(tier.quantity)} for tier in values]


class Catalog:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the store's category table ---
    def category_map(self, store_id: int) -> dict[str, str]:
        rows = self.session.execute(
            select(CategoryMapping.pos_category, CategoryMapping.category).where(CategoryMapping.store_id == store_id)
        )
        return {pos: category for pos, category in rows}

    def set_category_map(self, store_id: int, mapping: Mapping[str, str]) -> int:
        """Replace the store's table and re-categorise its products at once; how many products changed category.

        A product moves only if it shows what the old table made of its POS category: one whose category the
        store edited by hand keeps it. One UPDATE per POS category whose mapping changed (a store has tens).
        """
        before = self.category_map(store_id)
        self.session.query(CategoryMapping).filter(CategoryMapping.store_id == store_id).delete()
        self.session.add_all(
            CategoryMapping(store_id=store_id, pos_category=pos, category=category) for pos, category in mapping.items()
        )
        self.session.flush()
        pos_names = self.session.scalars(select(Product.pos_category).where(Product.store_id == store_id).distinct())
        moved = 0
        for pos in list(pos_names):
            old, new = model.map_category(pos, before), model.map_category(pos, mapping)
            if old == new:
                continue
            changed = self.session.execute(
                update(Product)
                .where(Product.store_id == store_id, Product.pos_category == pos, Product.category == old)
                .values(category=new, updated_at=utcnow())
            )
            moved += rowcount(changed)
        return moved

    def category_bases(self, store_id: int) -> dict[str, list[str]]:
        """Each POS category's top-level POS categories (``base_category``), most products first."""
        rows = self.session.execute(
            select(Product.pos_category, Product.base_category, func.count())
            .where(Product.store_id == store_id, Product.base_category.is_not(None))
            .group_by(Product.pos_category, Product.base_category)
            .order_by(Product.pos_category, func.count().desc(), Product.base_category)
        )
        bases: dict[str, list[str]] = {}
        for pos, base, _ in rows:
            if base is not None:  # the query leaves no NULL out, but the column may hold one
                bases.setdefault(pos, []).append(base)
        return bases

    # --- sync writes ---
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

    # --- reads ---
    def product(self, product_id: int) -> Product | None:
        return self.session.get(Product, product_id)

    def products_by_id(self, product_ids: Collection[int]) -> dict[int, Product]:
        """These products, by id, in one query (an id with no product is left out)."""
        if not product_ids:
            return {}
        rows = self.session.scalars(select(Product).where(Product.id.in_(list(set(product_ids)))))
        return {row.id: row for row in rows}

    def products(
        self,
        store_id: int,
        *,
        include_hidden: bool = False,
        category: str | None = None,
        search: str | None = None,
        limit: int = 50,
        offset: int = 0,
        brand: str | None = None,
        strain_type: str | None = None,
        stock: StockLevel | None = None,
        low_stock: int = LOW_STOCK,
        only_hidden: bool = False,
    ) -> tuple[list[Product], int]:
        """A page of the store's products and how many match in all (the page is never the whole catalogue).

        ``search`` looks in the name, brand and SKU; ``stock`` filters on what is available (POS sellable less open
        holds): ``out`` none, ``low`` 1 to ``low_stock``, ``in`` at least one. ``only_hidden`` lists the products a
        sync hid (gone from the POS) and implies ``include_hidden``.
        """
        query = select(Product).where(Product.store_id == store_id)
        if only_hidden:
            query = query.where(Product.visible.is_(False))
        elif not include_hidden:
            query = query.where(Product.visible.is_(True))
        if category:
            query = query.where(func.lower(Product.category) == category.lower())
        if brand:
            query = query.where(func.lower(Product.brand) == brand.lower())
        if strain_type:
            query = query.where(func.lower(Product.strain_type) == strain_type.lower())
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(
                    Product.name.ilike(pattern, escape="\\"),
                    Product.brand.ilike(pattern, escape="\\"),
                    Product.sku.ilike(pattern, escape="\\"),
                )
            )
        if stock is not None:
            query = query.where(_stock_condition(stock, low_stock))
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(query.order_by(Product.name, Product.id).limit(limit).offset(offset))
        return list(rows), total

    def product_facets(self, store_id: int) -> dict[str, list[str]]:
        """The distinct categories, brands, strain types and POS categories of a store's products (for filters)."""
        facets: dict[str, list[str]] = {}
        for name, column in (
            ("categories", Product.category),
            ("pos_categories", Product.pos_category),
            ("brands", Product.brand),
            ("strain_types", Product.strain_type),
        ):
            values = self.session.scalars(
                select(column).where(Product.store_id == store_id, column.is_not(None)).distinct().order_by(column)
            )
            facets[name] = [value for value in values if value]
        return facets

    # --- holds ---
    def take(self, product_id: int, quantity: int) -> None:
        """Take ``quantity`` out of what is available, atomically; raises OutOfStock when it is not there.

        One conditional UPDATE: the database re-checks the condition under its row lock, so two checkouts racing
        for the last unit cannot both succeed, on PostgreSQL or SQLite. ``record_hold`` says for which order.
        """
        taken = self.session.execute(
            update(Product)
            .where(
                Product.id == product_id,
                Product.visible.is_(True),
                available_sql() >= quantity,
            )
            .values(held_quantity=Product.held_quantity + quantity)
        )
        if rowcount(taken) != 1:
            product = self.session.get(Product, product_id)
            if product is not None:
                self.session.refresh(product)
            name = product.name if product else str(product_id)
            available = model.available_quantity(product.pos_quantity, product.held_quantity) if product else 0
            raise OutOfStock(product_id, name, quantity, available if product and product.visible else 0)

    def record_hold(self, order_id: int, product_id: int, quantity: int) -> None:
        self.session.add(Hold(order_id=order_id, product_id=product_id, quantity=quantity))

    def release_holds(self, order_id: int, reason: str) -> int:
        """Give back what an order holds; safe to call twice (a released hold is never released again)."""
        released = 0
        holds = self.session.scalars(select(Hold).where(Hold.order_id == order_id, Hold.released_at.is_(None)))
        for hold in list(holds):
            claimed = self.session.execute(
                update(Hold)
                .where(Hold.id == hold.id, Hold.released_at.is_(None))
                .values(released_at=utcnow(), release_reason=reason)
            )
            if rowcount(claimed) == 1:
                self.session.execute(
                    update(Product)
                    .where(Product.id == hold.product_id)
                    .values(held_quantity=Product.held_quantity - hold.quantity)
                )
                released += hold.quantity
        self.session.expire_all()
        return released

    def release_for_status(self, order_id: int, status: OrderStatus) -> int:
        """Give back what an order holds when ``status`` ends its holds (``domain.holds``); how much was released."""
        reason = hold_rules.release_on_status(status)
        return self.release_holds(order_id, reason) if reason else 0

    def release_at_push(self, order_id: int, *, counted_at_push: bool, keep_holding: bool) -> int:
        """Give back what a just-pushed order holds when its POS counts the stock from now (``domain.holds``)."""
        reason = hold_rules.release_on_push(counted_at_push=counted_at_push, keep_holding=keep_holding)
        return self.release_holds(order_id, reason) if reason else 0

    def hold_again(self, order_id: int, wanted: Mapping[int, int]) -> None:
        """Hold an order's quantities once more (a store that wants its stock kept after the POS counted it).

        Each product is taken with the same conditional UPDATE as checkout, so it only succeeds if the stock is
        still there; on OutOfStock the caller's transaction must roll back, so no product is left half-held.
        """
        for product_id, quantity in sorted(wanted.items()):
            self.take(product_id, quantity)
            self.record_hold(order_id, product_id, quantity)
        self.session.flush()

    def is_holding(self, order_id: int) -> bool:
        """Whether any of the order's stock is held right now."""
        held = select(Hold.id).where(Hold.order_id == order_id, Hold.released_at.is_(None)).limit(1)
        return self.session.scalar(held) is not None

    def holds(self, order_id: int) -> list[Hold]:
        return list(self.session.scalars(select(Hold).where(Hold.order_id == order_id).order_by(Hold.id)))

    def open_holds_of(self, product_id: int, limit: int = 50) -> list[tuple[Hold, int, str]]:
        """What a product's held count is made of: each open hold with its order's id and number, oldest first."""
        rows = self.session.execute(
            select(Hold, Order.id, Order.number)
            .join(Order, Order.id == Hold.order_id)
            .where(Hold.product_id == product_id, Hold.released_at.is_(None))
            .order_by(Hold.id)
            .limit(limit)
        )
        return [(hold, order_id, number) for hold, order_id, number in rows]


def available_sql(entity: Any = Product) -> ColumnElement[int]:
    """``domain.catalog.available_quantity`` in SQL, the one place the store writes it: what the POS can sell less
    what open orders hold (a row at or below 0 is sold out)."""
    difference: ColumnElement[int] = entity.pos_quantity - entity.held_quantity
    return difference


def _stock_condition(stock: StockLevel, low_stock: int) -> ColumnElement[bool]:
    available = available_sql()
    if stock == "out":
        return available <= 0
    if stock == "low":
        return and_(available > 0, available <= low_stock)
    return available > 0


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


# --- the storefront's menu -----------------------------------------------------------------------------------
# Kept apart from ``Catalog.products`` (the API's list): the menu filters on lab values inside the JSON columns,
# which needs a little SQL per dialect, and only ever shows what a shopper can buy.

#: How much of THCa counts as THC once heated (the decarboxylation factor labs print "Total THC" with).
THCA_TO_THC = 0.877

MENU_SORTS = ("name", "price_low", "price_high", "potency")


@dataclass(frozen=True, slots=True)
class MenuFilter:
    """What a shopper narrowed the menu to; every field is optional.

    ``thc_min``/``thc_max`` are Total THC in percent (flower, vapes: at least min, under max); ``thc_mg_min``/
    ``thc_mg_max`` are a unit's THC in mg as its label prints it (edibles, tinctures: over min, up to max).
    Prices are the adult-use price in cents (at least min, under max).
    """

    category: str | None = None
    strain_type: str | None = None
    thc_min: float | None = None
    thc_max: float | None = None
    thc_mg_min: float | None = None
    thc_mg_max: float | None = None
    terpene: str | None = None
    search: str | None = None
    brand: str | None = None
    price_min_cents: int | None = None
    price_max_cents: int | None = None
    sort: str = "name"


@dataclass(frozen=True, slots=True)
class MenuFacets:
    """What the menu can be narrowed by, from what is in stock: categories with counts, strain types, terpenes,
    brands."""

    categories: list[tuple[str, int]]
    strain_types: list[str]
    terpenes: list[str]
    brands: list[str] = field(default_factory=list)


def _lab_percent(postgres: bool, column: str, name: str, unit: str = "%") -> str:
    """SQL for one named lab value in ``unit`` from a products JSON list, or NULL (names and units are ours)."""
    if postgres:
        return (
            f"(SELECT CAST(e->>'value' AS DOUBLE PRECISION) FROM json_array_elements(products.{column}) AS e "
            f"WHERE e->>'name' = '{name}' AND e->>'unit' = '{unit}' LIMIT 1)"
        )
    return (
        f"(SELECT CAST(json_extract(e.value, '$.value') AS REAL) FROM json_each(products.{column}) AS e "
        f"WHERE json_extract(e.value, '$.name') = '{name}' AND json_extract(e.value, '$.unit') = '{unit}' LIMIT 1)"
    )


def thc_mg_sql(postgres: bool) -> ColumnElement[float]:
    """A unit's THC in mg as its label prints it (edibles, tinctures), NULL for products measured in percent."""
    return literal_column(_lab_percent(postgres, "cannabinoids", "THC", "mg"), type_=Float())


def _search_terms(search: str) -> list[str]:
    """What a shopper typed, singular and plural ("gummy" finds "Gummies", "vapes" finds "Vape"), as LIKE patterns
    (a shopper's % or _ is a character, not a wildcard)."""
    forms = singular_forms(search)
    forms += [f"{form[:-1]}ies" if form.endswith("y") else f"{form}s" for form in forms]
    escaped = (form.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for form in forms)
    return [f"%{form}%" for form in dict.fromkeys(escaped)]


def total_thc_sql(postgres: bool) -> ColumnElement[float]:
    """Total THC in percent (THC + 0.877 x THCa), NULL when the product has no percent THC values (edibles)."""
    thc, thca = _lab_percent(postgres, "cannabinoids", "THC"), _lab_percent(postgres, "cannabinoids", "THCa")
    return literal_column(
        f"(CASE WHEN {thc} IS NULL AND {thca} IS NULL THEN NULL "
        f"ELSE COALESCE({thc}, 0) + {THCA_TO_THC} * COALESCE({thca}, 0) END)",
        type_=Float(),
    )


def _has_terpene(postgres: bool, name: str) -> TextClause:
    if postgres:
        sql = (
            "EXISTS (SELECT 1 FROM json_array_elements(products.terpenes) AS e "
            "WHERE lower(e->>'name') = lower(:menu_terpene))"
        )
    else:
        sql = (
            "EXISTS (SELECT 1 FROM json_each(products.terpenes) AS e "
            "WHERE lower(json_extract(e.value, '$.name')) = lower(:menu_terpene))"
        )
    return text(sql).bindparams(menu_terpene=name)


def _in_stock(store_id: int, entity: Any = Product) -> ColumnElement[bool]:
    return and_(
        entity.store_id == store_id,
        entity.visible.is_(True),
        available_sql(entity) > 0,
    )


def _column_filters(entity: Any, wanted: MenuFilter) -> list[ColumnElement[bool]]:
    """The filters on a product's own columns (not its lab values), for ``entity``: the products table or an alias."""
    found: list[ColumnElement[bool]] = []
    if wanted.category:
        found.append(func.lower(entity.category) == wanted.category.lower())
    if wanted.strain_type:
        found.append(func.lower(entity.strain_type) == wanted.strain_type.lower())
    if wanted.brand:
        found.append(func.lower(entity.brand) == wanted.brand.lower())
    if wanted.price_min_cents is not None:
        found.append(entity.rec_price_cents >= wanted.price_min_cents)
    if wanted.price_max_cents is not None:
        found.append(entity.rec_price_cents < wanted.price_max_cents)
    if wanted.search and wanted.search.strip():
        # The name, brand, strain type and every category word: "indica", "gummy", "live resin" all find things.
        columns = (
            entity.name,
            entity.brand,
            entity.strain_type,
            entity.category,
            entity.pos_category,
            entity.subcategory,
        )
        found.append(
            or_(*(column.ilike(pattern, escape="\\") for pattern in _search_terms(wanted.search) for column in columns))
        )
    return found


def menu(catalog: Catalog, store_id: int, wanted: MenuFilter, *, limit: int, offset: int) -> tuple[list[Product], int]:
    """A page of the products a shopper can buy now (listed, in stock), narrowed by ``wanted``; and the total.

    Everything is filtered and sorted in the database, so a page costs the same with ten products or ten thousand.
    Sizes of one product are one card (``domain.variants``): of the sizes that match, the first synced leads (a
    product with no size part leads itself). Whether a row leads is one lookup on the (store, variant key) index,
    with the same column filters, so grouping keeps the page a single query. Lab-value filters (THC, terpene) are
    not repeated there: sizes of one product share their lab values.
    """
    postgres = is_postgres(catalog.session.get_bind())
    thc = total_thc_sql(postgres)
    conditions: list[ColumnElement[bool] | TextClause] = [_in_stock(store_id), *_column_filters(Product, wanted)]
    if wanted.thc_min is not None:
        conditions.append(thc >= wanted.thc_min)
    if wanted.thc_max is not None:
        conditions.append(thc < wanted.thc_max)
    if wanted.thc_mg_min is not None or wanted.thc_mg_max is not None:
        mg = thc_mg_sql(postgres)
        if wanted.thc_mg_min is not None:
            conditions.append(mg > wanted.thc_mg_min)
        if wanted.thc_mg_max is not None:
            conditions.append(mg <= wanted.thc_mg_max)
    if wanted.terpene:
        conditions.append(_has_terpene(postgres, wanted.terpene))
    sibling = aliased(Product)
    earlier = (
        select(sibling.id)
        .where(
            _in_stock(store_id, sibling),
            sibling.variant_key == Product.variant_key,
            sibling.id < Product.id,
            *_column_filters(sibling, wanted),
        )
        .limit(1)
    )
    conditions.append(or_(Product.variant_key.is_(None), ~earlier.exists()))
    query = select(Product).where(*conditions)
    total = catalog.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = {
        "price_low": (Product.rec_price_cents.asc(),),
        "price_high": (Product.rec_price_cents.desc(),),
        "potency": (thc.desc(),),
    }.get(wanted.sort, ())
    rows = catalog.session.scalars(query.order_by(*order, Product.name, Product.id).limit(limit).offset(offset))
    return list(rows), total


def sizes_of(catalog: Catalog, store_id: int, leads: Sequence[Product]) -> dict[int, list[Product]]:
    """The sizes a shopper can buy now of each product in ``leads`` that has others (lead id → its sizes, the
    lead included, smallest first): one query for a whole menu page."""
    keys = {row.variant_key for row in leads if row.variant_key}
    if not keys:
        return {}
    rows = catalog.session.scalars(select(Product).where(_in_stock(store_id), Product.variant_key.in_(list(keys))))
    by_key: dict[str, list[Product]] = {}
    for row in rows:
        by_key.setdefault(row.variant_key or "", []).append(row)
    found: dict[int, list[Product]] = {}
    for lead in leads:
        siblings = by_key.get(lead.variant_key or "", [])
        if len(siblings) > 1:
            found[lead.id] = sorted(siblings, key=lambda row: size_order(row.name))
    return found


def sells_medical(catalog: Catalog, store_id: int) -> bool:
    """Whether the store sells to medical patients: any product on its menu has a medical price."""
    found = select(Product.id).where(_in_stock(store_id), Product.med_price_cents.is_not(None)).limit(1)
    return catalog.session.scalar(found) is not None


def menu_facets(catalog: Catalog, store_id: int) -> MenuFacets:
    """The menu's filter choices, from what is in stock: grouped in the database, never a catalogue read."""
    session = catalog.session
    # A chip counts cards, as the menu does: sizes of one product (one variant key) are one card.
    cards = func.count(func.distinct(func.coalesce(Product.variant_key, "#" + cast(Product.id, String))))
    categories = session.execute(
        select(Product.category, cards)
        .where(_in_stock(store_id))
        .group_by(Product.category)
        .order_by(cards.desc(), Product.category)
    )
    strains = session.scalars(
        select(Product.strain_type).where(_in_stock(store_id), Product.strain_type.is_not(None)).distinct()
    )
    if is_postgres(session.get_bind()):
        names = "SELECT DISTINCT e->>'name' FROM products, json_array_elements(products.terpenes) AS e"
    else:
        names = "SELECT DISTINCT json_extract(e.value, '$.name') FROM products, json_each(products.terpenes) AS e"
    in_stock = _in_stock(store_id).compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    terpenes = session.scalars(text(f"{names} WHERE {in_stock}"))
    brands = session.scalars(
        select(Product.brand).where(_in_stock(store_id), Product.brand.is_not(None)).distinct().order_by(Product.brand)
    )
    return MenuFacets(
        categories=[(name, count) for name, count in categories],
        strain_types=sorted(s for s in strains if s),
        terpenes=sorted(t for t in terpenes if t),
        brands=[b for b in brands if b],
    )
