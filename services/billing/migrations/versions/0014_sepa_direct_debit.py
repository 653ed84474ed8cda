"""SEPA direct debit: mandates, exports of collections with their pain.008 files, each invoice collected once

Revision ID: billing_sepa_0014
Revises: billing_bank_0013
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'billing_sepa_0014'
down_revision = 'billing_bank_0013'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table('sepa_mandates',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('reference', sa.String(length=35), nullable=False),
    sa.Column('account_holder', sa.String(length=70), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=True),
    sa.Column('scheme', sa.String(length=4), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    op.create_index('ix_sepa_mandates_org', 'sepa_mandates', ['org_id', 'created_at', 'id'])
    op.create_index('uq_sepa_mandates_active_org', 'sepa_mandates', ['org_id'], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.create_table('direct_debit_exports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_direct_debit_exports_created', 'direct_debit_exports', ['created_at', 'id'])
    op.create_table('direct_debit_files',
    sa.Column('export_id', sa.String(length=36), nullable=False),
    sa.Column('scheme', sa.String(length=4), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['export_id'], ['direct_debit_exports.id']),
    sa.PrimaryKeyConstraint('export_id', 'scheme')
    )
    op.create_table('direct_debit_collections',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('export_id', sa.String(length=36), nullable=False),
    sa.Column('invoice_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('mandate_id', sa.String(length=36), nullable=False),
    sa.Column('scheme', sa.String(length=4), nullable=False),
    sa.Column('sequence_type', sa.String(length=4), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('collection_date', sa.Date(), nullable=False),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=False),
    sa.ForeignKeyConstraint(['export_id'], ['direct_debit_exports.id']),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id']),
    sa.ForeignKeyConstraint(['mandate_id'], ['sepa_mandates.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('invoice_id')
    )
    op.create_index('ix_direct_debit_collections_mandate', 'direct_debit_collections', ['mandate_id'])
    op.create_index('ix_direct_debit_collections_export', 'direct_debit_collections', ['export_id'])
    op.create_index('ix_direct_debit_collections_end_to_end', 'direct_debit_collections', ['end_to_end_id'])


def downgrade() -> None:
    for name in ('ix_direct_debit_collections_end_to_end', 'ix_direct_debit_collections_export',
                 'ix_direct_debit_collections_mandate'):
        op.drop_index(name, table_name='direct_debit_collections')
    op.drop_table('direct_debit_collections')
    op.drop_table('direct_debit_files')
    op.drop_index('ix_direct_debit_exports_created', table_name='direct_debit_exports')
    op.drop_table('direct_debit_exports')
    op.drop_index('uq_sepa_mandates_active_org', table_name='sepa_mandates')
    op.drop_index('ix_sepa_mandates_org', table_name='sepa_mandates')
    op.drop_table('sepa_mandates')
