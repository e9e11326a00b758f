"""The LeafLink sandbox's state: every resource's reads and writes on one store."""

from __future__ import annotations

from cannasync.sandboxes.leaflink.customers import Customers
from cannasync.sandboxes.leaflink.marketplace import Marketplace
from cannasync.sandboxes.leaflink.products import Products


class LeafLinkSandbox(Marketplace, Products, Customers):
    """The sandbox's in-memory state (``store.Store``) with the reads and writes of every resource: products,
    orders and their line items, customers, and the buyers' and sellers' actions in LeafLink's UI."""
