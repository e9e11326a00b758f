"""Product reads: one product, a page of the store's list with its filters, and the list's facets."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cannasync.store.catalog.stock import LOW_STOCK, StockLevel, stock_condition
from cannasync.store.tables import Product

#: The binding kind of a product: its POS id ↔ our id (``store.bindings``).
PRODUCT = "product"


class Catalog:
    def __init__(self, session: Session) -> None:
        self.session = session

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
            query = query.where(stock_condition(stock, low_stock))
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
