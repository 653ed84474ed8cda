"""products, grants and work groups (OR-06, OR-07, OR-08)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('products',
    sa.Column('product_type', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=100), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('provisioned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('product_type', 'product_id')
    )
    op.create_index('ix_products_org_id', 'products', ['org_id'])
    op.create_table('grants',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('holder_kind', sa.String(length=20), nullable=False),
    sa.Column('holder_id', sa.String(length=36), nullable=True),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('product_type', sa.String(length=40), nullable=True),
    sa.Column('product_id', sa.String(length=100), nullable=True),
    sa.Column('rights', sa.JSON(), nullable=False),
    sa.Column('granted_by', sa.String(length=36), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_grants_org_id', 'grants', ['org_id'])
    op.create_table('work_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_work_groups_org_id', 'work_groups', ['org_id'])
    op.create_table('work_group_members',
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['work_groups.id'], ),
    sa.PrimaryKeyConstraint('group_id', 'user_id')
    )
    op.create_index('ix_work_group_members_org_id', 'work_group_members', ['org_id'])


def downgrade() -> None:
    op.drop_index('ix_work_group_members_org_id', 'work_group_members')
    op.drop_table('work_group_members')
    op.drop_index('ix_work_groups_org_id', 'work_groups')
    op.drop_table('work_groups')
    op.drop_index('ix_grants_org_id', 'grants')
    op.drop_table('grants')
    op.drop_index('ix_products_org_id', 'products')
    op.drop_table('products')
