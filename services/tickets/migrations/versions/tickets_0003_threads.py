"""tickets in departments, their threads and files; read models of products, people and memberships

Revision ID: tickets_0003_threads
Revises: 0002
Create Date: 2026-11-26

The first tickets table held no rows (nothing opened tickets before this revision): it is replaced.
"""
from alembic import op
import sqlalchemy as sa

from portico_kernel import access_model

revision = 'tickets_0003_threads'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_org_id')
    op.drop_table('tickets')
    op.create_table(
        'tickets',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('org_id', sa.String(36), nullable=False),
        sa.Column('number', sa.String(20), nullable=False),
        sa.Column('subject', sa.String(200), nullable=False),
        sa.Column('department', sa.String(40), nullable=False),
        sa.Column('opened_by', sa.String(36), nullable=False),
        sa.Column('reply_token', sa.String(64), nullable=False),
        sa.Column('priority', sa.String(10), nullable=False),
        sa.Column('emergency', sa.String(40), nullable=True),
        sa.Column('product_type', sa.String(40), nullable=True),
        sa.Column('product_id', sa.String(100), nullable=True),
        sa.Column('state', sa.String(10), nullable=False),
        sa.Column('assignee', sa.String(36), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number'),
        sa.UniqueConstraint('reply_token'),
    )
    op.create_index('ix_tickets_opened_by', 'tickets', ['opened_by'])
    op.create_index('ix_tickets_org_created', 'tickets', ['org_id', 'created_at', 'id'])
    op.create_index('ix_tickets_department_created', 'tickets', ['department', 'created_at', 'id'])
    op.create_table(
        'ticket_messages',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('ticket_id', sa.String(36), nullable=False),
        sa.Column('org_id', sa.String(36), nullable=False),
        sa.Column('author_kind', sa.String(10), nullable=False),
        sa.Column('author_id', sa.String(36), nullable=True),
        sa.Column('author_name', sa.String(200), nullable=True),
        sa.Column('author_email', sa.String(320), nullable=True),
        sa.Column('visibility', sa.String(10), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_ticket_messages_ticket_id', 'ticket_messages', ['ticket_id'])
    op.create_index('ix_ticket_messages_author_id', 'ticket_messages', ['author_id'])
    op.create_table(
        'ticket_attachments',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('message_id', sa.String(36), nullable=False),
        sa.Column('ticket_id', sa.String(36), nullable=False),
        sa.Column('org_id', sa.String(36), nullable=False),
        sa.Column('filename', sa.String(200), nullable=False),
        sa.Column('content_type', sa.String(100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_ticket_attachments_message_id', 'ticket_attachments', ['message_id'])
    op.create_index('ix_ticket_attachments_ticket_id', 'ticket_attachments', ['ticket_id'])
    op.create_table(
        'ticket_counters',
        sa.Column('series', sa.String(20), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('series'),
    )
    op.create_table(
        'products',
        sa.Column('org_id', sa.String(36), nullable=False),
        sa.Column('product_type', sa.String(40), nullable=False),
        sa.Column('product_id', sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint('org_id', 'product_type', 'product_id'),
    )
    op.create_table(
        'people',
        sa.Column('user_id', sa.String(36), nullable=False),
        sa.Column('email_key', sa.String(320), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_index('ix_people_email_key', 'people', ['email_key'])
    op.create_table(
        'memberships',
        sa.Column('org_id', sa.String(36), nullable=False),
        sa.Column('user_id', sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint('org_id', 'user_id'),
    )
    op.create_index('ix_memberships_user_id', 'memberships', ['user_id'])
    op.create_table(
        'deleted_organizations',
        sa.Column('org_id', sa.String(36), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('purge_after', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('org_id'),
    )
    op.create_index('ix_deleted_organizations_purge_after', 'deleted_organizations', ['purge_after'])
    access_model.create_table(op)


def downgrade() -> None:
    op.drop_table('member_access')
    for table in ('deleted_organizations', 'memberships', 'people', 'products', 'ticket_counters',
                  'ticket_attachments', 'ticket_messages', 'tickets'):
        op.drop_table(table)
    op.create_table(
        'tickets',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('org_id', sa.String(36), nullable=False),
        sa.Column('subject', sa.String(200), nullable=False),
        sa.Column('department', sa.String(60), nullable=False),
        sa.Column('opened_by', sa.String(36), nullable=False),
        sa.Column('priority', sa.String(10), nullable=False),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_tickets_org_id', 'tickets', ['org_id'])
