"""delegated access (ID-13): organizations' names for the consent page, the organizations a person may pick

Revision ID: identity_0010_oauth_orgs
Revises: identity_0009_oauth
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'identity_0010_oauth_orgs'
down_revision = 'identity_0009_oauth'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('known_organizations',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id'))
    with op.batch_alter_table('oauth_consents') as batch:
        batch.add_column(sa.Column('org_choices', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('oauth_consents') as batch:
        batch.drop_column('org_choices')
    op.drop_table('known_organizations')
