"""where the answer to an email goes (Reply-To: a ticket's own address, TI-01)

Revision ID: notifications_0005_reply_to
Revises: notifications_0004
Create Date: 2026-11-26 10:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'notifications_0005_reply_to'
down_revision = 'notifications_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('emails', sa.Column('reply_to', sa.String(length=320), nullable=True))


def downgrade() -> None:
    op.drop_column('emails', 'reply_to')
