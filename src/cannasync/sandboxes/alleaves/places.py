"""The Alleaves sandbox's well-known locations and their inventory areas (the same for every seed).

Locations ``"ALV-1001"`` "Evergreen Dispensary — Main St" (412 Main St, Vancouver, WA 98660,
low-quantity threshold 3, areas AREA-RET Retail, AREA-VLT Vault, AREA-QTN Quarantine, AREA-BCK Back Room,
AREA-DSP Display) and ``"ALV-1002"`` "Evergreen Dispensary — Riverside" (1801 E Riverside Ave, Spokane,
WA 99202, threshold 5, the same areas but no Display). Both ``America/Los_Angeles``.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

LOCATIONS: tuple[JSON, ...] = (
    {
        "location_id": "ALV-1001",
        "name": "Evergreen Dispensary \u2014 Main St",
        "timezone": "America/Los_Angeles",
        "address": {"line1": "412 Main St", "city": "Vancouver", "state": "WA", "postcode": "98660"},
        "low_quantity_threshold": 3,
        "menu_types": ["recreational", "medical"],
    },
    {
        "location_id": "ALV-1002",
        "name": "Evergreen Dispensary \u2014 Riverside",
        "timezone": "America/Los_Angeles",
        "address": {"line1": "1801 E Riverside Ave", "city": "Spokane", "state": "WA", "postcode": "99202"},
        "low_quantity_threshold": 5,
        "menu_types": ["recreational", "medical"],
    },
)
MAIN, RIVERSIDE = "ALV-1001", "ALV-1002"

RETAIL, VAULT, QUARANTINE, BACK_ROOM, DISPLAY = "AREA-RET", "AREA-VLT", "AREA-QTN", "AREA-BCK", "AREA-DSP"
_AREA_NAMES: dict[str, tuple[str, bool]] = {
    RETAIL: ("Retail", True),
    VAULT: ("Vault", True),
    QUARANTINE: ("Quarantine", False),
    BACK_ROOM: ("Back Room", True),
    DISPLAY: ("Display", True),
}
#: Location id → its inventory areas (``{"area_id", "name", "sellable"}``), in the order served. Area ids are
#: shared by the locations; Riverside has no Display area.
AREAS: dict[str, tuple[JSON, ...]] = {
    location_id: tuple(
        {"area_id": area_id, "name": _AREA_NAMES[area_id][0], "sellable": _AREA_NAMES[area_id][1]}
        for area_id in area_ids
    )
    for location_id, area_ids in (
        (MAIN, (RETAIL, VAULT, QUARANTINE, BACK_ROOM, DISPLAY)),
        (RIVERSIDE, (RETAIL, VAULT, QUARANTINE, BACK_ROOM)),
    )
}
#: Location id → its low-quantity threshold (generated stock is spread around it).
THRESHOLDS: dict[str, int] = {location["location_id"]: location["low_quantity_threshold"] for location in LOCATIONS}
