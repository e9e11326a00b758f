"""The storefront's menu: what a shopper can buy now, filtered, sorted and faceted in the database.

Kept apart from ``Catalog.products`` (the API's list): the menu filters on lab values inside the JSON columns,
which needs a little SQL per dialect, and only ever shows what a shopper can buy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Float, String, TextClause, and_, cast, func, literal_column, or_, select, text
from sqlalchemy.orm import aliased

from cannasync.domain.variants import size_order
from cannasync.store.catalog.products import Catalog
from cannasync.store.catalog.stock import available_sql
from cannasync.store.db import is_postgres
from cannasync.store.tables import Product
from cannasync.vocab import singular_forms

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
