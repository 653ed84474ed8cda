"""the ledger: every movement of money a balanced posting

Revision ID: billing_0004
Revises: billing_0003
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'billing_0004'
down_revision = 'billing_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_postings',
                    sa.Column('id', sa.String(36), primary_key=True),
                    sa.Column('reason', sa.String(200), nullable=False),
                    sa.Column('invoice_id', sa.String(36), nullable=True),
                    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False))
    op.create_index('ix_ledger_postings_invoice_id', 'ledger_postings', ['invoice_id'])
    op.create_table('ledger_entries',
                    sa.Column('posting_id', sa.String(36), sa.ForeignKey('ledger_postings.id'), primary_key=True),
                    sa.Column('position', sa.Integer(), primary_key=True),
                    sa.Column('account', sa.String(80), nullable=False),
                    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
                    sa.Column('currency', sa.String(3), nullable=False))
    op.create_index('ix_ledger_entries_account', 'ledger_entries', ['account', 'currency'])


def downgrade() -> None:
    op.drop_index('ix_ledger_entries_account', table_name='ledger_entries')
    op.drop_table('ledger_entries')
    op.drop_index('ix_ledger_postings_invoice_id', table_name='ledger_postings')
    op.drop_table('ledger_postings')
