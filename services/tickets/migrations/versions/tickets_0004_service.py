"""service: support codes and their lookups (TI-05), service level clocks (TI-04, BI-18), emergencies
(TI-03, BI-17), sealed sensitive data and its readings (TI-02)

Revision ID: tickets_0004_service
Revises: tickets_0003_threads
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'tickets_0004_service'
down_revision = 'tickets_0003_threads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('support_codes',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('code_sealed', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('org_id'),
    sa.UniqueConstraint('digest')
    )
    op.create_table('support_code_lookups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('looked_up_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.String(length=10), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('support_code_lookups', schema=None) as batch_op:
        batch_op.create_index('ix_support_code_lookups_staff', ['staff_id', 'looked_up_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_code_lookups_org_id'), ['org_id'], unique=False)
    op.create_table('ticket_service_levels',
    sa.Column('ticket_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('ticket_number', sa.String(length=40), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('plan', sa.String(length=10), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pauses', sa.JSON(), nullable=False),
    sa.Column('first_responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_response_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    with op.batch_alter_table('ticket_service_levels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_service_levels_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_service_levels_next_check_at'), ['next_check_at'], unique=False)
    op.create_table('service_level_alerts',
    sa.Column('ticket_id', sa.String(length=36), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('emitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('ticket_id', 'stage')
    )
    op.create_table('ticket_emergencies',
    sa.Column('ticket_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    with op.batch_alter_table('ticket_emergencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_emergencies_org_id'), ['org_id'], unique=False)
    op.create_table('ticket_sensitive_data',
    sa.Column('ticket_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('written_by', sa.String(length=36), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    with op.batch_alter_table('ticket_sensitive_data', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_sensitive_data_org_id'), ['org_id'], unique=False)
    op.create_table('sensitive_data_readings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('ticket_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('reader_id', sa.String(length=36), nullable=False),
    sa.Column('reader_kind', sa.String(length=10), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sensitive_data_readings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sensitive_data_readings_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_sensitive_data_readings_ticket', ['ticket_id', 'read_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sensitive_data_readings', schema=None) as batch_op:
        batch_op.drop_index('ix_sensitive_data_readings_ticket')
        batch_op.drop_index(batch_op.f('ix_sensitive_data_readings_org_id'))
    op.drop_table('sensitive_data_readings')
    with op.batch_alter_table('ticket_sensitive_data', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_sensitive_data_org_id'))
    op.drop_table('ticket_sensitive_data')
    with op.batch_alter_table('ticket_emergencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_emergencies_org_id'))
    op.drop_table('ticket_emergencies')
    op.drop_table('service_level_alerts')
    with op.batch_alter_table('ticket_service_levels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_service_levels_next_check_at'))
        batch_op.drop_index(batch_op.f('ix_ticket_service_levels_org_id'))
    op.drop_table('ticket_service_levels')
    with op.batch_alter_table('support_code_lookups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_code_lookups_org_id'))
        batch_op.drop_index('ix_support_code_lookups_staff')
    op.drop_table('support_code_lookups')
    op.drop_table('support_codes')
