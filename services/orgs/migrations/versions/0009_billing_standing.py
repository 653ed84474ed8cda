"""what billing says an organization owes and holds (OR-15); resellers (OR-19)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unpaid_invoices', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('prepaid_balance_minor', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('is_reseller', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('is_reseller')
        batch_op.drop_column('prepaid_balance_minor')
        batch_op.drop_column('unpaid_invoices')
