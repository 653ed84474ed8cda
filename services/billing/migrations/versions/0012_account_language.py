"""billing accounts know their organization's language: the language of its invoices

Revision ID: billing_docs_0012
Revises: billing_0011
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'billing_docs_0012'
down_revision = 'billing_0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.drop_column('language')
