"""invoices carry the reference a bank transfer paying them carries

Revision ID: billing_0011
Revises: billing_pay_0010
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'billing_0011'
down_revision = 'billing_pay_0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_reference', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint('uq_invoices_payment_reference', ['payment_reference'])


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint('uq_invoices_payment_reference', type_='unique')
        batch_op.drop_column('payment_reference')
