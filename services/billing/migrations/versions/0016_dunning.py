"""dunning: the steps unpaid invoices took, and which invoice keeps which subscription suspended

Revision ID: billing_dunning_0016
Revises: billing_docs_0012
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa



revision = 'billing_dunning_0016'
down_revision = 'billing_docs_0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'dunning_steps',
        sa.Column('invoice_id', sa.String(length=36), sa.ForeignKey('invoices.id'), primary_key=True),
        sa.Column('level', sa.Integer(), primary_key=True),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('suspend_on', sa.Date(), nullable=True),
    )
    op.create_table(
        'suspension_holds',
        sa.Column('invoice_id', sa.String(length=36), sa.ForeignKey('invoices.id'), primary_key=True),
        sa.Column('subscription_id', sa.String(length=36), primary_key=True),
        sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_suspension_holds_subscription', 'suspension_holds', ['subscription_id', 'released_at'])
    op.create_index('ix_invoices_unpaid_due', 'invoices', ['status', 'due_on'])


def downgrade() -> None:
    op.drop_index('ix_invoices_unpaid_due', table_name='invoices')
    op.drop_index('ix_suspension_holds_subscription', table_name='suspension_holds')
    op.drop_table('suspension_holds')
    op.drop_table('dunning_steps')
