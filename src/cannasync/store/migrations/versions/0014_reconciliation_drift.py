"""reconciliation: the differences each reconcile run found, per-record history, and a daily reconcile schedule

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import cannasync.store.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DAY = 86_400


def upgrade() -> None:
    op.create_table(
        "drift",
        sa.Column("id", _ID, nullable=False),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("integration_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", _ID, nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("ours", sa.JSON(), nullable=False),
        sa.Column("theirs", sa.JSON(), nullable=False),
        sa.Column("since", cannasync.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cause", sa.String(length=40), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("repair", sa.String(length=20), nullable=False),
        sa.Column("repair_detail", sa.Text(), nullable=False),
        sa.Column("created_at", cannasync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_runs.id"], name=op.f("fk_drift_run_id_sync_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_drift_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift")),
    )
    op.create_index("ix_drift_run", "drift", ["run_id", "kind"])
    op.create_index("ix_drift_integration", "drift", ["integration_id", "id"])
    op.create_table(
        "record_changes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("run_id", _ID, nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("at", cannasync.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_runs.id"], name=op.f("fk_record_changes_run_id_sync_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_changes")),
    )
    op.create_index("ix_record_changes_subject", "record_changes", ["subject", "subject_id", "id"])
    # Every POS connection already running its menu sync, every loyalty source already pulling and every LeafLink
    # link already bridging gets the daily reconciliation, first due a day from now
    # (a new connection gets it when it is saved, flows/integrations.py).
    schedules = sa.table(
        "schedules",
        sa.column("integration_id", _ID),
        sa.column("flow", sa.String),
        sa.column("interval_seconds", sa.Integer),
        sa.column("next_run_at", cannasync.store.types.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT s.integration_id, s.next_run_at FROM schedules s JOIN integrations i ON i.id = s.integration_id "
            "WHERE ((s.flow = 'menu_sync' AND i.vendor IN ('flourish', 'flowhub', 'alleaves')) "
            "OR (s.flow = 'loyalty_pull' AND i.vendor = 'flourish_loyalty') "
            "OR (s.flow = 'wholesale_sync' AND i.vendor = 'leaflink')) AND NOT EXISTS "
            "(SELECT 1 FROM schedules r WHERE r.integration_id = s.integration_id AND r.flow = 'reconcile')"
        )
    ).all()
    if rows:
        later = datetime.now(UTC) + timedelta(seconds=_DAY)
        op.bulk_insert(
            schedules,
            [
                {
                    "integration_id": integration_id,
                    "flow": "reconcile",
                    "interval_seconds": _DAY,
                    "next_run_at": later if next_run_at is not None else None,
                }
                for integration_id, next_run_at in rows
            ],
        )


def downgrade() -> None:
    op.execute("DELETE FROM schedules WHERE flow = 'reconcile'")
    op.drop_index("ix_record_changes_subject", table_name="record_changes")
    op.drop_table("record_changes")
    op.drop_index("ix_drift_integration", table_name="drift")
    op.drop_index("ix_drift_run", table_name="drift")
    op.drop_table("drift")
