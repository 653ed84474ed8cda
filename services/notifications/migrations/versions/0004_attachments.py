"""a file sent with an email (BI-13: invoices as CSV): its name, and its content until it is sent

Revision ID: notifications_0004
Revises: notifications_0003
Create Date: 2026-11-26 05:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'notifications_0004'
down_revision = 'notifications_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('emails', sa.Column('attachment_name', sa.String(length=100), nullable=True))
    op.add_column('emails', sa.Column('attachment', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('emails', 'attachment')
    op.drop_column('emails', 'attachment_name')
