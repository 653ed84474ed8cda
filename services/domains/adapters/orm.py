from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, LargeBinary, MetaData, String, Table, false
from sqlalchemy.orm import registry

from portico_kernel.access_model import access_table
from portico_kernel.db import UtcDateTime, messaging_tables
from portico_kernel.secrets import EncryptedString

from ..domain.documents import Document
from ..domain.model import Domain
from ..domain.orders import DomainOrder

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)

domains = Table(
    "domains", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("name", String(253), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("auto_renew", Boolean, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # DO-04 … DO-07: the renewal warranty, and the next day the scheduler looks at the domain
    Column("renewal_warranty", Boolean, nullable=False, server_default=false()),
    Column("due_on", Date, nullable=True),
    # the daily expiry scan: a range over this index, batch by batch (never every row)
    Index("ix_domains_due_on", "due_on", "id"),
    Index("ix_domains_status_expires_at", "status", "expires_at"),
)

# DO-04: each notice is sent once per domain and term (its expiry); the unique key is what makes a second
# scheduler, or one restarted after a crash, send nothing twice.
domain_notices = Table(
    "domain_notices", metadata,
    Column("domain_id", String(36), primary_key=True),
    Column("expires_on", Date, primary_key=True),
    Column("notice", String(20), primary_key=True),
    Column("sent_at", UtcDateTime, nullable=False),
)

# DO-06, DO-07: a domain's renewal for the term that ends on `expires_on`, asked of billing once
# (invoice reference domain-renewal:<domain_id>:<expires_on>) and done at the registry once.
domain_renewals = Table(
    "domain_renewals", metadata,
    Column("domain_id", String(36), primary_key=True),
    Column("expires_on", Date, primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("years", Integer, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(20), nullable=False),  # auto_renew, warranty, customer
    Column("status", String(20), nullable=False),  # requested, paid, renewed
    Column("requested_at", UtcDateTime, nullable=False),
    Column("paid_at", UtcDateTime, nullable=True),
    Column("renewed_at", UtcDateTime, nullable=True),
    Column("renewed_until", Date, nullable=True),
    Column("on_warranty", Boolean, nullable=False, server_default=false()),  # renewed before it was paid (DO-06)
)

# DO-02, DO-03: registrations and transfers in, from the order to the registry's answer.
domain_orders = Table(
    "domain_orders", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("domain", String(253), nullable=False),
    Column("years", Integer, nullable=False),
    Column("price_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("registrant", JSON, nullable=True),
    Column("auth_code", EncryptedString(500), nullable=True),  # the losing registrar's code, encrypted, until used
    Column("reason", String(500), nullable=True),
    Column("domain_id", String(36), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=True, index=True),
    # the name while the order is open (NULL once done): one open order per name
    Column("open_name", String(253), nullable=True, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# --- managing a domain (DO-01): name servers, contacts, auth codes, changes of owner ----------------

member_access = access_table(metadata)  # who may manage which domain (orgs' MemberAccessChanged)

domain_nameservers = Table(
    "domain_nameservers", metadata,
    Column("domain_id", String(36), primary_key=True),
    Column("host", String(253), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("addresses", JSON, nullable=False),  # glue, only for hosts inside the domain's zone
)

domain_contacts = Table(
    "domain_contacts", metadata,
    Column("domain_id", String(36), primary_key=True),
    Column("role", String(20), primary_key=True),  # registrant, admin, tech, billing
    Column("handle", String(16), nullable=False),  # the contact's id at the registry
    Column("contact_id", String(36)),  # the organization's contact, when chosen from them
    Column("name", String(255), nullable=False),
    Column("email", String(320), nullable=False),
)

org_contacts = Table(  # read model of orgs' ContactAdded/ContactRemoved
    "org_contacts", metadata,
    Column("contact_id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("purpose", String(40), nullable=False),
    Column("name", String(255), nullable=False),
    Column("email", String(320), nullable=False),
)

org_addresses = Table(  # read model of orgs' OrganizationCreated/OrganizationDetailsChanged
    "org_addresses", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("country", String(2)),
    Column("street", String(200)),
    Column("house_number", String(200)),
    Column("postcode", String(200)),
    Column("town", String(200)),
    Column("language", String(5)),
)

registry_contacts = Table(  # an organization's contact made a contact object at a registry, once
    "registry_contacts", metadata,
    Column("registry", String(60), primary_key=True),
    Column("contact_id", String(36), primary_key=True),
    Column("handle", String(16), nullable=False),
    Column("org_id", String(36), nullable=False),
)

auth_codes = Table(
    "domain_auth_codes", metadata,
    Column("domain_id", String(36), primary_key=True),
    Column("code_hash", String(200), nullable=False),  # argon2id; the code itself is never stored
    Column("issued_at", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime),
    Column("issued_by", String(36)),
    # DO-01: replaced at the registry by an unknown code once its validity ended (once per code)
    Column("retired_at", UtcDateTime, nullable=True),
    Index("ix_domain_auth_codes_due", "retired_at", "valid_until"),
)

owner_changes = Table(
    "domain_owner_changes", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("domain_id", String(36), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("registrant", JSON, nullable=False),
    Column("requested_by", String(36)),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("status", String(20), nullable=False),
    Column("confirmed_at", UtcDateTime),
)

transfer_locks = Table(
    "domain_transfer_locks", metadata,
    Column("domain_id", String(36), primary_key=True),
    Column("locked_until", UtcDateTime, nullable=False, index=True),  # DO-01: the scheduler ends locks by it
    Column("reason", String(20), nullable=False),
)

# The currency each organization is invoiced in (billing's BillingAccountOpened): orders are priced in it.
org_currencies = Table(
    "org_currencies", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("currency", String(3), nullable=False),
)

# Documents a TLD asks of a registrant (DO-02), kept here.
registrant_documents = Table(
    "registrant_documents", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("type", String(40), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

mapper_registry.map_imperatively(Domain, domains)
mapper_registry.map_imperatively(DomainOrder, domain_orders)
mapper_registry.map_imperatively(Document, registrant_documents)
