"""The store's category table: which of its own categories each POS category shows as."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cannasync.domain import catalog as model
from cannasync.store.db import rowcount
from cannasync.store.tables import CategoryMapping, Product
from cannasync.store.types import utcnow


class CategoryTable:
    def __init__(self, session: Session) -> None:
        self.session = session

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
