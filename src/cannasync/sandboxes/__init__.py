"""Local imitations of the vendors' APIs; they stand for the vendor and import nothing else from cannasync."""
