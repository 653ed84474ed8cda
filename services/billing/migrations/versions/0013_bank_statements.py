"""bank statements and their entries, each kept once

Revision ID: billing_bank_0013
Revises: billing_dunning_0016
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'billing_bank_0013'
down_revision = 'billing_dunning_0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bank_statements',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('account_iban', sa.String(length=34), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=36), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('new_count', sa.Integer(), nullable=False),
    sa.Column('matched_count', sa.Integer(), nullable=False),
    sa.Column('unmatched_count', sa.Integer(), nullable=False),
    sa.Column('ignored_count', sa.Integer(), nullable=False),
    sa.Column('not_booked_count', sa.Integer(), nullable=False),
    sa.Column('known_entries', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id', 'content_hash', name='uq_bank_statements_file')
    )
    op.create_index('ix_bank_statements_imported', 'bank_statements', ['imported_at', 'id'])
    op.create_table('bank_entries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('entry_key', sa.String(length=140), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('direction', sa.String(length=6), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=True),
    sa.Column('reference', sa.String(length=40), nullable=True),
    sa.Column('remittance_text', sa.String(length=500), nullable=False),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=True),
    sa.Column('return_code', sa.String(length=4), nullable=True),
    sa.Column('return_reason', sa.String(length=300), nullable=False),
    sa.Column('debtor_name', sa.String(length=140), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=True),
    sa.Column('invoice_id', sa.String(length=36), nullable=True),
    sa.Column('to_invoice_minor', sa.BigInteger(), nullable=False),
    sa.Column('to_prepaid_minor', sa.BigInteger(), nullable=False),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('matched_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statements.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entry_key', name='uq_bank_entries_key')
    )
    op.create_index('ix_bank_entries_statement', 'bank_entries', ['statement_id', 'created_at', 'position', 'id'])
    op.create_index('ix_bank_entries_status', 'bank_entries', ['status', 'created_at', 'position', 'id'])


def downgrade() -> None:
    op.drop_index('ix_bank_entries_status', table_name='bank_entries')
    op.drop_index('ix_bank_entries_statement', table_name='bank_entries')
    op.drop_table('bank_entries')
    op.drop_index('ix_bank_statements_imported', table_name='bank_statements')
    op.drop_table('bank_statements')
