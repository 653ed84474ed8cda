"""Wires identity together once per process: database, unit of work, event handlers, hasher."""
from __future__ import annotations

from functools import lru_cache

from portico_kernel.config import env
from portico_kernel.service import Service

from .adapters.hashing import Argon2Hasher
from .adapters.orm import metadata
from .adapters.sms import FileSmsSender, sms_sender_from_environment
from .adapters.unit_of_work import IdentityUnitOfWork
from .domain.two_factor import WebAuthnSite
from .domain import closure, events, memberships


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("identity", metadata, uow_class=IdentityUnitOfWork, events=events, handlers={
        "MemberJoined": memberships.on_member_joined,
        "MemberLeft": memberships.on_member_left,
        "MemberRoleChanged": memberships.on_member_role_changed,
        "MemberBlocked": memberships.on_member_blocked,
        "OrganizationCreated": memberships.on_organization_created,
        "OrganizationDetailsChanged": memberships.on_organization_details_changed,
        "PersonalDataErased": closure.on_personal_data_erased,
    })


@lru_cache(maxsize=1)
def hasher() -> Argon2Hasher:
    return Argon2Hasher()


@lru_cache(maxsize=1)
def sms_sender() -> FileSmsSender:
    return sms_sender_from_environment()


@lru_cache(maxsize=1)
def webauthn_site() -> WebAuthnSite:
    return WebAuthnSite(rp_id=env("PORTICO_WEBAUTHN_RP_ID", "localhost"), rp_name="Portico",
                        origin=env("PORTICO_WEBAUTHN_ORIGIN", "http://localhost:8080"))
