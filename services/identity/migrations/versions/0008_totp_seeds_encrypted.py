"""authenticator apps' TOTP seeds encrypted at rest (PORTICO_SECRET_KEYS)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa

from portico_kernel.secrets import keyring


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

factors = sa.table('second_factors', sa.column('id', sa.String), sa.column('secret', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('second_factors', schema=None) as batch_op:
        batch_op.alter_column('secret', type_=sa.String(length=400), existing_type=sa.String(length=64))
    connection = op.get_bind()
    for factor_id, seed in connection.execute(sa.select(factors.c.id, factors.c.secret)
                                              .where(factors.c.secret.is_not(None))).all():
        connection.execute(sa.update(factors).where(factors.c.id == factor_id)
                           .values(secret=keyring().encrypt(seed)))


def downgrade() -> None:
    connection = op.get_bind()
    for factor_id, token in connection.execute(sa.select(factors.c.id, factors.c.secret)
                                               .where(factors.c.secret.is_not(None))).all():
        connection.execute(sa.update(factors).where(factors.c.id == factor_id)
                           .values(secret=keyring().decrypt(token)))
    with op.batch_alter_table('second_factors', schema=None) as batch_op:
        batch_op.alter_column('secret', type_=sa.String(length=64), existing_type=sa.String(length=400))
