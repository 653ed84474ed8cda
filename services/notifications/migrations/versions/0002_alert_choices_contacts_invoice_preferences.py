"""alert choices (ID-04), organizations' contacts (OR-17), invoice notification preferences (BI-16)

Revision ID: notifications_0002
Revises: 0001
Create Date: 2026-11-26 03:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'notifications_0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_choices',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('new_sign_in_location', sa.Boolean(), nullable=False),
    sa.Column('wrong_password', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('contacts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_org_id'), ['org_id'], unique=False)
    op.create_table('invoice_preferences',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('legal_representatives', sa.Boolean(), nullable=False),
    sa.Column('administrators', sa.Boolean(), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('contacts', sa.JSON(), nullable=False),
    sa.Column('extra_addresses', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id')
    )


def downgrade() -> None:
    op.drop_table('invoice_preferences')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_org_id'))
    op.drop_table('contacts')
    op.drop_table('alert_choices')
