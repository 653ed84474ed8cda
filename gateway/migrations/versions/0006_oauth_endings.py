"""when a person's applications lost their ground in an organization (ID-13)

Revision ID: gateway_0006_oauth_endings
Revises: gateway_0005_oauth
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'gateway_0006_oauth_endings'
down_revision = 'gateway_0005_oauth'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oauth_member_endings',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('ended', sa.Boolean(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id', 'user_id'))


def downgrade() -> None:
    op.drop_table('oauth_member_endings')
