"""Flourish POS (External API v1/v2): menu, customers, retail orders, statuses."""
