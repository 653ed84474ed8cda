"""grants and token families of applications that identity revoked (ID-13)

Revision ID: gateway_0005_oauth
Revises: 0004
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'gateway_0005_oauth'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oauth_revocations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_oauth_revocations_until', 'oauth_revocations', ['until'])


def downgrade() -> None:
    op.drop_table('oauth_revocations')
