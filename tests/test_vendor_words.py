"""Vendor words (Flourish, Flowhub, Alleaves, LeafLink) belong to the connectors (issue 17): a flow, the store, the
API and the console speak of "the POS" and "the marketplace", or ask the vendor registry for a display name.

The test reads every file under ``src/cannasync`` (code, templates, data) and looks for the vendor names in it, in
any case. Outside the places that name vendors by right (``ALLOWED``), none may, apart from the published names
pinned in ``PUBLISHED``.
"""

from __future__ import annotations

import re
from pathlib import Path

import cannasync

SOURCE = Path(cannasync.__file__).parent
VENDOR_WORDS = re.compile(r"flourish|flowhub|alleaves|leaflink", re.IGNORECASE)

#: Where vendors are named by right, and why.
ALLOWED: dict[str, str] = {
    "connectors/": "each vendor's own package (its wire formats, status tables, settings), and the vendor registry "
    "(connectors/registry.py) that names them once for everyone else",
    "sandboxes/": "stand-ins for the vendors' APIs, in their words",
    "cli/demo/": "the demo tells each vendor's story against its sandbox",
    "store/migrations/versions/": "history: the schema as it was (0005 made vendor-named wholesale columns, 0018 "
    "renames them; 0014 scheduled the connections then known by vendor)",
}

#: Names a client reads that name a vendor, by file, and why they stay: renaming them would break whoever reads them.
PUBLISHED: dict[str, tuple[str, ...]] = {
    # GET /api/v1/integrations/{id}/wholesale-orders (README): the answer's field names; the demo's JSON summary
    # carries them too, and issue 17 keeps that summary the same.
    "api/wholesale.py": ("leaflink_number", "leaflink_status", "flourish_order_id", "flourish_status"),
}


def vendor_words() -> dict[str, int]:
    """Each file outside ``ALLOWED`` that names a vendor → how many times."""
    found = {}
    for path in sorted(SOURCE.rglob("*")):
        relative = path.relative_to(SOURCE).as_posix()
        if not path.is_file() or "__pycache__" in relative or relative.startswith(tuple(ALLOWED)):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in PUBLISHED.get(relative, ()):
            text = text.replace(f'"{name}"', "")
        count = len(VENDOR_WORDS.findall(text))
        if count:
            found[relative] = count
    return found


def test_no_vendor_word_outside_the_connectors() -> None:
    assert vendor_words() == {}, "vendor names (and how often) outside connectors/, sandboxes/ and the registry"


def test_every_published_name_is_still_published() -> None:
    """An exception that no longer matches anything is removed, not kept for a name that might come back."""
    stale = {
        relative: [name for name in names if f'"{name}"' not in (SOURCE / relative).read_text(encoding="utf-8")]
        for relative, names in PUBLISHED.items()
    }
    assert {relative: names for relative, names in stale.items() if names} == {}
