"""The roles a person has in an organization (OR-02), named once for the whole suite.

Contracts name the same four values (`contracts/common.yaml#/components/schemas/Role`); a unit test
keeps the two equal. Framework-free, so every domain may use it.
"""
from __future__ import annotations

LEGAL_REPRESENTATIVE = "legal_representative"
ADMINISTRATOR = "administrator"
COLLABORATOR = "collaborator"
EXTERNAL = "external"  # restricted rights, left out of organization-wide sharing (OR-02)

ROLES = (LEGAL_REPRESENTATIVE, ADMINISTRATOR, COLLABORATOR, EXTERNAL)

# Who runs the organization: they change roles (OR-05), invite (OR-03), require 2FA (OR-10), block
# (OR-13) and remove members (OR-09), and reach every product of the organization (OR-07).
MANAGING_ROLES = (LEGAL_REPRESENTATIVE, ADMINISTRATOR)


def manages_organization(role: str | None) -> bool:
    return role in MANAGING_ROLES
