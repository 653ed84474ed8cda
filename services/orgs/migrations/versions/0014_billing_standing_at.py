"""when billing last said what an organization owes and holds (OR-15): an older word arriving late
changes nothing

Revision ID: orgs_0014_billing_standing_at
Revises: 0013
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'orgs_0014_billing_standing_at'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing_standing_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('billing_standing_at')
