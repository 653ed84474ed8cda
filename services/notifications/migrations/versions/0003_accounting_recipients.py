"""invoice mails to the members who hold the accounting right (BI-15, BI-16): their access, and the choice

Revision ID: notifications_0003
Revises: notifications_0002
Create Date: 2026-11-26 05:05:00
"""
from alembic import op
import sqlalchemy as sa

from portico_kernel import access_model

revision = 'notifications_0003'
down_revision = 'notifications_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    access_model.create_table(op)
    op.add_column('invoice_preferences', sa.Column('accounting', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('invoice_preferences', 'accounting')
    op.drop_table('member_access')
