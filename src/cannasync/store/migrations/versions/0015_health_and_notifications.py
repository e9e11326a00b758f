"""health tells the truth: credential state, paused flows, vendor calls per run, intake errors, incidents and
operator notifications (sent through the outbox, so its integration becomes optional)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import cannasync.store.types
from cannasync.store.migration_ops import drop_columns

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = cannasync.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_problem", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("credential_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("credential_until", _AT, nullable=True))
        batch_op.add_column(sa.Column("credential_noted_at", _AT, nullable=True))
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_at", _AT, nullable=True))
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calls", sa.JSON(), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("integration_id", existing_type=_ID, nullable=True)
    op.create_table(
        "intake_errors",
        sa.Column("id", _ID, nullable=False),
        sa.Column("integration_id", _ID, nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_intake_errors_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_errors")),
    )
    op.create_index("ix_intake_errors_integration_at", "intake_errors", ["integration_id", "received_at"])
    op.create_table(
        "notification_settings",
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("email_to", sa.String(length=1000), nullable=False),
        sa.Column("email_from", sa.String(length=254), nullable=False),
        sa.Column("smtp_host", sa.String(length=253), nullable=False),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("smtp_security", sa.String(length=10), nullable=False),
        sa.Column("smtp_username", sa.String(length=254), nullable=False),
        sa.Column("webhook_url", sa.String(length=2000), nullable=False),
        sa.Column("secrets", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_notification_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_notification_settings")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("open_key", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", _AT, nullable=False),
        sa.Column("last_seen_at", _AT, nullable=False),
        sa.Column("escalated_at", _AT, nullable=True),
        sa.Column("resolved_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_incidents_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("organization_id", "open_key", name=op.f("uq_incidents_organization_id")),
    )
    op.create_index(op.f("ix_incidents_organization_id"), "incidents", ["organization_id"])
    op.create_table(
        "notifications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("incident_id", _ID, nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_notifications_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(op.f("ix_notifications_incident_id"), "notifications", ["incident_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notifications_incident_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_incidents_organization_id"), table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("notification_settings")
    op.drop_index("ix_intake_errors_integration_at", table_name="intake_errors")
    op.drop_table("intake_errors")
    op.execute("DELETE FROM outbox WHERE integration_id IS NULL")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("integration_id", existing_type=_ID, nullable=False)
    drop_columns("sync_runs", "calls")
    drop_columns("schedules", "paused_at")
    drop_columns("integrations", "credential_until", "credential_noted_at", "credential_note", "credential_problem")
