"""lifecycle: the renewal warranty, each domain's next due day, the notices sent and the renewals asked

Revision ID: domains_0004_lifecycle
Revises: domains_0003_orders
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'domains_0004_lifecycle'
down_revision = 'domains_0003_orders'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.add_column(sa.Column('renewal_warranty', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_domains_due_on', ['due_on', 'id'], unique=False)
        batch_op.create_index('ix_domains_status_expires_at', ['status', 'expires_at'], unique=False)
    # every domain there is is looked at by the first scan
    op.execute(sa.text("UPDATE domains SET due_on = CURRENT_DATE WHERE status <> 'released'"))

    op.create_table('domain_notices',
    sa.Column('domain_id', sa.String(length=36), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('notice', sa.String(length=20), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'expires_on', 'notice')
    )
    op.create_table('domain_renewals',
    sa.Column('domain_id', sa.String(length=36), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('renewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('renewed_until', sa.Date(), nullable=True),
    sa.Column('on_warranty', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'expires_on')
    )


def downgrade() -> None:
    op.drop_table('domain_renewals')
    op.drop_table('domain_notices')
    with op.batch_alter_table('domains', schema=None) as batch_op:
        batch_op.drop_index('ix_domains_status_expires_at')
        batch_op.drop_index('ix_domains_due_on')
        batch_op.drop_column('due_on')
        batch_op.drop_column('renewal_warranty')
