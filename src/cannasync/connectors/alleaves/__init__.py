"""Alleaves POS: token auth per location, inventory by area, patients, orders and statuses.

Alleaves publishes no API reference: the wire format is our own design, documented at the top of
``cannasync.sandboxes.alleaves``. Every Alleaves-specific shape lives in this package and that sandbox, so a
real specification replaces it in one place.
"""
