"""idempotency keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
from alembic import op

from portico_kernel import idempotency


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    idempotency.create_table(op)


def downgrade() -> None:
    idempotency.drop_table(op)
