from __future__ import annotations

from sqlalchemy import JSON, Boolean, LargeBinary, Column, ForeignKey, Integer, MetaData, String, Table, false, text
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import (BillingAddress, Contact, Grant, Logo, Seat, Invitation, Member, Organization, Person, Product, ResellerLink, TwoFactorStatus,
                            WorkGroup, WorkGroupMember)

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)

organizations = Table(
    "organizations", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(20), nullable=False),
    Column("country", String(2)),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("two_factor_required", Boolean, nullable=False, default=False, server_default=false()),
    Column("link_days", Integer, nullable=False, default=60, server_default=text("60")),
    Column("street", String(200)),
    Column("house_number", String(20)),
    Column("postcode", String(20)),
    Column("town", String(100)),
    Column("phone", String(40)),
    Column("vat_id", String(40)),
    Column("commercial_register", String(60)),
    Column("is_reseller", Boolean, nullable=False, default=False, server_default=false()),
    Column("unpaid_invoices", Integer, nullable=False, default=0, server_default=text("0")),
    Column("prepaid_balance_minor", Integer, nullable=False, default=0, server_default=text("0")),
    Column("billing_standing_at", UtcDateTime, nullable=True),
)

members = Table(
    "members", metadata,
    Column("org_id", String(36), ForeignKey("organizations.id"), primary_key=True),
    Column("user_id", String(36), primary_key=True, index=True),
    Column("role", String(40), nullable=False),
    Column("email", String(320), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("joined_at", UtcDateTime, nullable=False),
    Column("blocked_at", UtcDateTime),
    Column("blocked_by", String(36)),
)

people = Table(
    "people", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("language", String(5), nullable=False, default="en", server_default="en"),
)

people_two_factor = Table(
    "people_two_factor", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

reseller_links = Table(
    "reseller_links", metadata,
    Column("reseller_org_id", String(36), ForeignKey("organizations.id"), primary_key=True),
    Column("customer_org_id", String(36), ForeignKey("organizations.id"), primary_key=True, index=True),
    Column("linked_by", String(36), nullable=False),
    Column("linked_at", UtcDateTime, nullable=False),
)

invitations = Table(
    "invitations", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("email", String(320), nullable=False),
    Column("email_key", String(320), nullable=False),
    Column("role", String(40), nullable=False),
    Column("invited_by", String(36), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(20), nullable=False),
    Column("sent_count", Integer, nullable=False),
    Column("accepted_by", String(36)),
    Column("finished_at", UtcDateTime),
    Column("product_access", JSON, nullable=False, default=list),
)

# OR-06..OR-08: products as their services announced them, grants, work groups
products = Table(
    "products", metadata,
    Column("product_type", String(40), primary_key=True),
    Column("product_id", String(100), primary_key=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("provisioned_at", UtcDateTime, nullable=False),
    Column("locked", Boolean, nullable=False, default=False, server_default=false()),
    Column("maintenance", Boolean, nullable=False, default=False, server_default=false()),
)

grants = Table(
    "grants", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("holder_kind", String(20), nullable=False),
    Column("holder_id", String(36)),
    Column("scope", String(20), nullable=False),
    Column("product_type", String(40)),
    Column("product_id", String(100)),
    Column("rights", JSON, nullable=False),
    Column("granted_by", String(36), nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
)

work_groups = Table(
    "work_groups", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

work_group_members = Table(
    "work_group_members", metadata,
    Column("group_id", String(36), ForeignKey("work_groups.id"), primary_key=True),
    Column("user_id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("added_at", UtcDateTime, nullable=False),
)

contacts = Table(
    "contacts", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("purpose", String(30), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("phone", String(40)),
    Column("created_at", UtcDateTime, nullable=False),
)

billing_addresses = Table(
    "billing_addresses", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("recipient", String(200), nullable=False),
    Column("street", String(200), nullable=False),
    Column("house_number", String(20)),
    Column("postcode", String(20), nullable=False),
    Column("town", String(100), nullable=False),
    Column("country", String(2), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

logos = Table(
    "logos", metadata,
    Column("org_id", String(36), ForeignKey("organizations.id"), primary_key=True),
    Column("content_type", String(20), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

seats = Table(
    "seats", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("product_type", String(40), nullable=False),
    Column("product_id", String(100), nullable=False),
    Column("valid_until", UtcDateTime, nullable=False),
    Column("holder_id", String(36)),
    Column("created_at", UtcDateTime, nullable=False),
)

mapper_registry.map_imperatively(Seat, seats)
mapper_registry.map_imperatively(Logo, logos)
mapper_registry.map_imperatively(Contact, contacts)
mapper_registry.map_imperatively(BillingAddress, billing_addresses)
mapper_registry.map_imperatively(Invitation, invitations)
mapper_registry.map_imperatively(Product, products)
mapper_registry.map_imperatively(Grant, grants)
mapper_registry.map_imperatively(WorkGroup, work_groups)
mapper_registry.map_imperatively(WorkGroupMember, work_group_members)
mapper_registry.map_imperatively(Organization, organizations)
mapper_registry.map_imperatively(Member, members)
mapper_registry.map_imperatively(Person, people)
mapper_registry.map_imperatively(ResellerLink, reseller_links)
mapper_registry.map_imperatively(TwoFactorStatus, people_two_factor)
