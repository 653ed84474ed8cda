"""DO-01: an auth code whose validity ended is replaced at the registry once (retired_at), found by
an index; transfer locks are ended by the index on their end

Revision ID: domains_0006_finish
Revises: domains_0005_manage
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = 'domains_0006_finish'
down_revision = 'domains_0005_manage'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("domain_auth_codes") as batch:
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_domain_auth_codes_due", "domain_auth_codes", ["retired_at", "valid_until"])
    op.create_index("ix_domain_transfer_locks_locked_until", "domain_transfer_locks", ["locked_until"])


def downgrade() -> None:
    op.drop_index("ix_domain_transfer_locks_locked_until", table_name="domain_transfer_locks")
    op.drop_index("ix_domain_auth_codes_due", table_name="domain_auth_codes")
    with op.batch_alter_table("domain_auth_codes") as batch:
        batch.drop_column("retired_at")
