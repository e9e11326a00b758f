"""Flowhub POS: v0 inventory, v1 customers, Order Ahead orders with status postbacks."""
