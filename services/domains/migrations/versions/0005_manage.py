"""managing a domain (DO-01): name servers, contacts, auth codes, changes of owner, transfer locks,
the read models of organizations' contacts and addresses, and members' product access

Revision ID: domains_0005_manage
Revises: domains_0003_orders
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from portico_kernel import access_model

revision = 'domains_0005_manage'
down_revision = 'domains_0004_lifecycle'
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    access_model.create_table(op)
    op.create_table("domain_nameservers",
                    sa.Column("domain_id", sa.String(36), nullable=False), sa.Column("host", sa.String(253), nullable=False),
                    sa.Column("position", sa.Integer(), nullable=False), sa.Column("addresses", sa.JSON(), nullable=False),
                    sa.PrimaryKeyConstraint("domain_id", "host"))
    op.create_table("domain_contacts",
                    sa.Column("domain_id", sa.String(36), nullable=False), sa.Column("role", sa.String(20), nullable=False),
                    sa.Column("handle", sa.String(16), nullable=False), sa.Column("contact_id", sa.String(36)),
                    sa.Column("name", sa.String(255), nullable=False), sa.Column("email", sa.String(320), nullable=False),
                    sa.PrimaryKeyConstraint("domain_id", "role"))
    op.create_table("org_contacts",
                    sa.Column("contact_id", sa.String(36), primary_key=True), sa.Column("org_id", sa.String(36), nullable=False),
                    sa.Column("purpose", sa.String(40), nullable=False), sa.Column("name", sa.String(255), nullable=False),
                    sa.Column("email", sa.String(320), nullable=False))
    op.create_index("ix_org_contacts_org_id", "org_contacts", ["org_id"])
    op.create_table("org_addresses",
                    sa.Column("org_id", sa.String(36), primary_key=True), sa.Column("name", sa.String(255), nullable=False),
                    sa.Column("country", sa.String(2)), sa.Column("street", sa.String(200)),
                    sa.Column("house_number", sa.String(200)), sa.Column("postcode", sa.String(200)),
                    sa.Column("town", sa.String(200)), sa.Column("language", sa.String(5)))
    op.create_table("registry_contacts",
                    sa.Column("registry", sa.String(60), nullable=False), sa.Column("contact_id", sa.String(36), nullable=False),
                    sa.Column("handle", sa.String(16), nullable=False), sa.Column("org_id", sa.String(36), nullable=False),
                    sa.PrimaryKeyConstraint("registry", "contact_id"))
    op.create_table("domain_auth_codes",
                    sa.Column("domain_id", sa.String(36), primary_key=True), sa.Column("code_hash", sa.String(200), nullable=False),
                    _at("issued_at"), _at("valid_until", True), sa.Column("issued_by", sa.String(36)))
    op.create_table("domain_owner_changes",
                    sa.Column("id", sa.String(36), primary_key=True), sa.Column("org_id", sa.String(36), nullable=False),
                    sa.Column("domain_id", sa.String(36), nullable=False),
                    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
                    sa.Column("registrant", sa.JSON(), nullable=False), sa.Column("requested_by", sa.String(36)),
                    _at("requested_at"), _at("expires_at"), sa.Column("status", sa.String(20), nullable=False),
                    _at("confirmed_at", True))
    op.create_index("ix_domain_owner_changes_domain_id", "domain_owner_changes", ["domain_id"])
    op.create_table("domain_transfer_locks",
                    sa.Column("domain_id", sa.String(36), primary_key=True), _at("locked_until"),
                    sa.Column("reason", sa.String(20), nullable=False))


def downgrade() -> None:
    for table in ("domain_transfer_locks", "domain_owner_changes", "domain_auth_codes", "registry_contacts",
                  "org_addresses", "org_contacts", "domain_contacts", "domain_nameservers", "member_access"):
        op.drop_table(table)
