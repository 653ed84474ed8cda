"""payments, prepaid movements, invoices' payment methods, quotes; the prepaid balance never below zero

Revision ID: billing_pay_0010
Revises: billing_0004
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'billing_pay_0010'
down_revision = 'billing_0004'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending' AND invoice_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.create_check_constraint('ck_billing_accounts_balance_not_negative', 'balance_minor >= 0')
    op.create_table('payments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('invoice_id', sa.String(length=36), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('card_minor', sa.BigInteger(), nullable=False),
    sa.Column('prepaid_minor', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('provider_reference', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.CheckConstraint('card_minor >= 0 AND prepaid_minor >= 0', name='ck_payments_amounts'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_payments_invoice', 'payments', ['invoice_id', 'created_at'])
    op.create_index('ix_payments_org', 'payments', ['org_id', 'created_at', 'id'])
    op.create_index('ix_payments_pending', 'payments', ['status', 'created_at'])
    op.create_index('uq_payments_pending_invoice', 'payments', ['invoice_id'], unique=True,
                    sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_table('prepaid_movements',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance_after_minor', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('invoice_id', sa.String(length=36), nullable=True),
    sa.Column('payment_id', sa.String(length=36), nullable=True),
    sa.CheckConstraint('balance_after_minor >= 0', name='ck_prepaid_movements_balance_not_negative'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_prepaid_movements_org', 'prepaid_movements', ['org_id', 'at', 'id'])
    op.create_table('quotes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('vat_rate', sa.String(length=20), nullable=False),
    sa.Column('reverse_charge', sa.Boolean(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('customer', sa.JSON(), nullable=False),
    sa.Column('supplier', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('invoice_id', sa.String(length=36), nullable=True),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_index('ix_quotes_org', 'quotes', ['org_id', 'created_at', 'id'])
    op.create_table('invoice_payment_methods',
    sa.Column('invoice_id', sa.String(length=36), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id']),
    sa.PrimaryKeyConstraint('invoice_id')
    )


def downgrade() -> None:
    op.drop_table('invoice_payment_methods')
    op.drop_index('ix_quotes_org', table_name='quotes')
    op.drop_table('quotes')
    op.drop_index('ix_prepaid_movements_org', table_name='prepaid_movements')
    op.drop_table('prepaid_movements')
    for name in ('uq_payments_pending_invoice', 'ix_payments_pending', 'ix_payments_org', 'ix_payments_invoice'):
        op.drop_index(name, table_name='payments')
    op.drop_table('payments')
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.drop_constraint('ck_billing_accounts_balance_not_negative', type_='check')
