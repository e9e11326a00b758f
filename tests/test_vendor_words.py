"""Vendor words (Flourish, Flowhub, Alleaves, LeafLink) belong to the connectors (issue 17): a flow, the store, the
API and the console speak of "the POS" and "the marketplace", or ask the vendor registry for a display name.

The test reads every file under ``src/cannasync`` (code, templates, data) and counts the vendor names in it, in any
case. Outside the places that legitimately name vendors, only the files pinned in ``STILL_TO_MOVE`` may, and no more
often than pinned: the list can only shrink (delete a file's entry once it is clean).
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

#: issue 17: still to move. Files outside the places above that still name a vendor, and how many times.
#: (The wholesale bridge's flow, domain, store, reconciliation and webhook hand-over are clean; the wholesale
#: console pages and the order-pairs API still name their vendors, the latter in public field names.)
STILL_TO_MOVE: dict[str, int] = {
    "api/wholesale.py": 4,
}


def vendor_words() -> dict[str, int]:
    """Each file outside ``ALLOWED`` that names a vendor → how many times."""
    found = {}
    for path in sorted(SOURCE.rglob("*")):
        relative = path.relative_to(SOURCE).as_posix()
        if not path.is_file() or "__pycache__" in relative or relative.startswith(tuple(ALLOWED)):
            continue
        count = len(VENDOR_WORDS.findall(path.read_text(encoding="utf-8", errors="replace")))
        if count:
            found[relative] = count
    return found


def test_no_vendor_word_outside_the_connectors_beyond_what_is_pinned() -> None:
    found = vendor_words()
    grown = {
        name: (count, STILL_TO_MOVE.get(name, 0)) for name, count in found.items() if count > STILL_TO_MOVE.get(name, 0)
    }
    assert grown == {}, "vendor names (found, allowed) outside connectors/, sandboxes/ and the registry"


def test_the_pinned_list_only_names_files_that_still_need_it() -> None:
    found = vendor_words()
    assert sorted(name for name in STILL_TO_MOVE if name not in found) == []


def test_the_wholesale_bridge_names_no_vendor() -> None:
    found = vendor_words()
    bridge = [
        "domain/wholesale.py",
        "flows/wholesale.py",
        "flows/reconcile/wholesale_bridge.py",
        "store/wholesale.py",
        "store/tables.py",
        "api/hooks.py",
    ]
    assert {name: found[name] for name in bridge if name in found} == {}
