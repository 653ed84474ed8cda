"""organization details: postal address, phone, VAT ID, register number (OR-14)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = (("street", 200), ("house_number", 20), ("postcode", 20), ("town", 100), ("phone", 40), ("vat_id", 40),
           ("commercial_register", 60))


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
