"""delegated access (ID-13): OAuth clients, grants, consents, codes, token families, refresh tokens

Revision ID: identity_0009_oauth
Revises: 0008
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'identity_0009_oauth'
down_revision = '0008'
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('oauth_clients',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('pairwise_salt', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('secret_rotated_at', When, nullable=True),
    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_oauth_clients_org_id', 'oauth_clients', ['org_id'])
    op.create_table('oauth_grants',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=True),
    sa.Column('client_id', sa.String(length=36), sa.ForeignKey('oauth_clients.id'), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('last_used_at', When, nullable=True),
    sa.Column('revoked_at', When, nullable=True),
    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_oauth_grants_user_id', 'oauth_grants', ['user_id'])
    op.create_index('ix_oauth_grants_org_id', 'oauth_grants', ['org_id'])
    op.create_table('oauth_consents',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=True),
    sa.Column('amr', sa.JSON(), nullable=False),
    sa.Column('auth_time', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('expires_at', When, nullable=False),
    sa.Column('used_at', When, nullable=True),
    sa.PrimaryKeyConstraint('token_hash'))
    op.create_table('oauth_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=True),
    sa.Column('grant_id', sa.String(length=36), nullable=False),
    sa.Column('family_id', sa.String(length=36), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2000), nullable=False),
    sa.Column('scope', sa.String(length=1000), nullable=False),
    sa.Column('amr', sa.JSON(), nullable=False),
    sa.Column('auth_time', sa.Integer(), nullable=False),
    sa.Column('expires_at', When, nullable=False),
    sa.Column('nonce', sa.String(length=500), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=10), nullable=True),
    sa.Column('used_at', When, nullable=True),
    sa.PrimaryKeyConstraint('code_hash'))
    op.create_table('oauth_token_families',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('grant_id', sa.String(length=36), nullable=True),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('org_id', sa.String(length=36), nullable=True),
    sa.Column('scope', sa.String(length=1000), nullable=False),
    sa.Column('amr', sa.JSON(), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('revoked_at', When, nullable=True),
    sa.Column('revoked_reason', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_oauth_token_families_grant_id', 'oauth_token_families', ['grant_id'])
    op.create_table('oauth_refresh_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.String(length=36), sa.ForeignKey('oauth_token_families.id'), nullable=False),
    sa.Column('issued_at', When, nullable=False),
    sa.Column('expires_at', When, nullable=False),
    sa.Column('spent_at', When, nullable=True),
    sa.PrimaryKeyConstraint('token_hash'))
    op.create_index('ix_oauth_refresh_tokens_family_id', 'oauth_refresh_tokens', ['family_id'])


def downgrade() -> None:
    for table in ('oauth_refresh_tokens', 'oauth_token_families', 'oauth_codes', 'oauth_consents', 'oauth_grants',
                  'oauth_clients'):
        op.drop_table(table)
