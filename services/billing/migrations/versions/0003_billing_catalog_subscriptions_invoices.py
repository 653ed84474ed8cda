"""the organization's details, subscriptions, invoices numbered per series, vouchers, member access

Revision ID: billing_0003
Revises: 0002
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa

from portico_kernel import access_model


revision = 'billing_0003'
down_revision = '0002'
branch_labels = None
depends_on = None

DETAILS = ("name", "org_type", "country", "street", "house_number", "postcode", "town", "vat_id")
LENGTHS = {"name": 200, "org_type": 20, "country": 2, "street": 200, "house_number": 20, "postcode": 20,
           "town": 100, "vat_id": 40}


def upgrade() -> None:
    with op.batch_alter_table('billing_accounts') as batch:
        for column in DETAILS:
            batch.add_column(sa.Column(column, sa.String(LENGTHS[column]), nullable=True))
    op.create_table('invoice_series',
                    sa.Column('series', sa.String(20), primary_key=True),
                    sa.Column('last_sequence', sa.Integer(), nullable=False))
    op.create_table('invoices',
                    sa.Column('id', sa.String(36), primary_key=True),
                    sa.Column('number', sa.String(40), nullable=False, unique=True),
                    sa.Column('org_id', sa.String(36), nullable=False),
                    sa.Column('kind', sa.String(20), nullable=False),
                    sa.Column('currency', sa.String(3), nullable=False),
                    sa.Column('status', sa.String(20), nullable=False),
                    sa.Column('issued_on', sa.Date(), nullable=False),
                    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('due_on', sa.Date(), nullable=False),
                    sa.Column('vat_rate', sa.String(20), nullable=False),
                    sa.Column('reverse_charge', sa.Boolean(), nullable=False),
                    sa.Column('notes', sa.JSON(), nullable=False),
                    sa.Column('net_minor', sa.BigInteger(), nullable=False),
                    sa.Column('vat_minor', sa.BigInteger(), nullable=False),
                    sa.Column('total_minor', sa.BigInteger(), nullable=False),
                    sa.Column('paid_minor', sa.BigInteger(), nullable=False),
                    sa.Column('credit_note_of', sa.String(40), nullable=True),
                    sa.Column('customer', sa.JSON(), nullable=False),
                    sa.Column('supplier', sa.JSON(), nullable=False),
                    sa.Column('reference', sa.String(120), nullable=True),
                    sa.UniqueConstraint('org_id', 'reference', name='uq_invoices_org_reference'))
    op.create_index('ix_invoices_org_issued', 'invoices', ['org_id', 'issued_at', 'id'])
    op.create_table('invoice_lines',
                    sa.Column('invoice_id', sa.String(36), sa.ForeignKey('invoices.id'), primary_key=True),
                    sa.Column('position', sa.Integer(), primary_key=True),
                    sa.Column('description', sa.String(300), nullable=False),
                    sa.Column('net_minor', sa.BigInteger(), nullable=False),
                    sa.Column('vat_rate', sa.String(20), nullable=False),
                    sa.Column('product_id', sa.String(60), nullable=True),
                    sa.Column('subscription_id', sa.String(36), nullable=True))
    op.create_table('subscriptions',
                    sa.Column('id', sa.String(36), primary_key=True),
                    sa.Column('org_id', sa.String(36), nullable=False),
                    sa.Column('product_id', sa.String(60), nullable=False),
                    sa.Column('plan_id', sa.String(60), nullable=False),
                    sa.Column('frequency', sa.String(10), nullable=False),
                    sa.Column('started_on', sa.Date(), nullable=False),
                    sa.Column('add_on_ids', sa.JSON(), nullable=False),
                    sa.Column('next_plan_id', sa.String(60), nullable=True),
                    sa.Column('next_frequency', sa.String(10), nullable=True),
                    sa.Column('promo_codes', sa.JSON(), nullable=False),
                    sa.Column('status', sa.String(10), nullable=False),
                    sa.Column('auto_renew', sa.Boolean(), nullable=False),
                    sa.Column('trial_ends_on', sa.Date(), nullable=True),
                    sa.Column('ended_on', sa.Date(), nullable=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False))
    op.create_index('ix_subscriptions_org_created', 'subscriptions', ['org_id', 'created_at', 'id'])
    op.create_table('vouchers',
                    sa.Column('code', sa.String(40), primary_key=True),
                    sa.Column('percent', sa.Integer(), nullable=True),
                    sa.Column('amount_minor', sa.BigInteger(), nullable=True),
                    sa.Column('currency', sa.String(3), nullable=True),
                    sa.Column('product_ids', sa.JSON(), nullable=False),
                    sa.Column('max_uses', sa.Integer(), nullable=True),
                    sa.Column('uses', sa.Integer(), nullable=False),
                    sa.Column('valid_from', sa.Date(), nullable=True),
                    sa.Column('valid_until', sa.Date(), nullable=True),
                    sa.Column('created_by', sa.String(36), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False))
    op.create_table('free_options',
                    sa.Column('id', sa.String(36), primary_key=True),
                    sa.Column('org_id', sa.String(36), nullable=False),
                    sa.Column('product_id', sa.String(60), nullable=False),
                    sa.Column('add_on_id', sa.String(60), nullable=False),
                    sa.Column('granted_by', sa.String(36), nullable=False),
                    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('used_on', sa.String(36), nullable=True))
    op.create_index('ix_free_options_org_id', 'free_options', ['org_id'])
    access_model.create_table(op)


def downgrade() -> None:
    op.drop_table('member_access')
    op.drop_index('ix_free_options_org_id', table_name='free_options')
    op.drop_table('free_options')
    op.drop_table('vouchers')
    op.drop_index('ix_subscriptions_org_created', table_name='subscriptions')
    op.drop_table('subscriptions')
    op.drop_table('invoice_lines')
    op.drop_index('ix_invoices_org_issued', table_name='invoices')
    op.drop_table('invoices')
    op.drop_table('invoice_series')
    with op.batch_alter_table('billing_accounts') as batch:
        for column in reversed(DETAILS):
            batch.drop_column(column)
