"""Persistence: tables, repositories, the unit of work, bindings, the outbox and the migrations."""
