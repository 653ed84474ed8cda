"""domain orders (DO-02, DO-03), the organizations' currencies, registrant documents

Revision ID: domains_0003_orders
Revises: 0002
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'domains_0003_orders'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('domain_orders',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('price_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('registrant', sa.JSON(), nullable=True),
    sa.Column('auth_code', sa.String(length=500), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('domain_id', sa.String(length=36), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('open_name', sa.String(length=253), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_name')
    )
    with op.batch_alter_table('domain_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_domain_orders_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_domain_orders_next_attempt_at'), ['next_attempt_at'], unique=False)
    op.create_table('org_currencies',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('org_id')
    )
    op.create_table('registrant_documents',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('registrant_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrant_documents_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('registrant_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrant_documents_org_id'))
    op.drop_table('registrant_documents')
    op.drop_table('org_currencies')
    with op.batch_alter_table('domain_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_domain_orders_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_domain_orders_org_id'))
    op.drop_table('domain_orders')
