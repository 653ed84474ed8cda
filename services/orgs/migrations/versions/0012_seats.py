"""team-member seats (OR-16)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('seats',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('product_type', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=100), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('holder_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_seats_org_id', 'seats', ['org_id'])


def downgrade() -> None:
    op.drop_index('ix_seats_org_id', 'seats')
    op.drop_table('seats')
