"""What a reconciliation read and found: one tally shared by every part of the run."""

from __future__ import annotations

from dataclasses import dataclass, field

from cannasync.domain.drift import Difference, Repair


@dataclass(slots=True)
class ReconcileCounts:
    """What a reconciliation read and found; ``as_dict`` is the run's counts."""

    products: int = 0
    orders: int = 0
    differences: int = 0
    repaired: int = 0
    needs_person: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, differences: list[Difference]) -> None:
        for difference in differences:
            self.differences += 1
            self.by_kind[difference.kind.value] = self.by_kind.get(difference.kind.value, 0) + 1
            if difference.repair == Repair.REPAIRED:
                self.repaired += 1
            elif difference.repair == Repair.NEEDS_PERSON:
                self.needs_person += 1

    def as_dict(self) -> dict[str, int]:
        return {
            "products": self.products,
            "orders": self.orders,
            "differences": self.differences,
            "repaired": self.repaired,
            "needs_person": self.needs_person,
            **{f"drift_{kind}": count for kind, count in sorted(self.by_kind.items())},
        }
