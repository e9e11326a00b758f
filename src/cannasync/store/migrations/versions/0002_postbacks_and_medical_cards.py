"""integrations.webhook_token (the secret in a vendor's postback URL); customers.medical_id_expiration

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_token", sa.String(length=64), nullable=True))
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("medical_id_expiration", sa.String(length=10), nullable=True))
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM integrations"))]
    for integration_id in ids:
        connection.execute(
            sa.text("UPDATE integrations SET webhook_token = :token WHERE id = :id"),
            {"token": secrets.token_urlsafe(32), "id": integration_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("medical_id_expiration")
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_column("webhook_token")
