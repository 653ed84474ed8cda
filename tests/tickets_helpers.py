"""Tickets in tests: open one as a customer, and sign in as staff of a department."""
from __future__ import annotations

import base64
from functools import lru_cache

from tests.helpers import unique_email
from tests.test_principals import STAFF_PASSWORD, create_staff

# The platform role of each department's staff (services/tickets/data/departments.yaml).
DEPARTMENT_ROLES = {"sales": "platform:support-agent", "billing": "platform:billing-clerk",
                    "technical": "platform:support-agent", "domains": "platform:support-agent"}


def open_ticket(api, customer: dict, **fields) -> dict:
    """Opens a ticket as `customer` (a dict with "token", as api.customer_with_org() answers);
    `fields` overrides the defaults (subject, department, body, priority, …). Answers the ticket."""
    body = {"subject": "The website is slow", "department": "technical", "body": "Since this morning.", **fields}
    response = api.post("/v1/tickets", body, customer["token"])
    assert response.status_code == 201, response.text
    return response.json()


def staff_token(api, department: str = "technical", role: str | None = None) -> str:
    """An access token of a member of staff who works in `department` (or holds `role`)."""
    return _staff(api.base, role or DEPARTMENT_ROLES[department], api)


@lru_cache(maxsize=None)
def _staff_email(base: str, role: str) -> str:
    email = unique_email(role.split(":")[1])
    created = create_staff(email, role)
    assert created.returncode == 0, created.stderr
    return email


def _staff(base: str, role: str, api) -> str:
    return api.login(_staff_email(base, role), STAFF_PASSWORD)["access_token"]


def attachment(filename: str, content: bytes, content_type: str) -> dict:
    return {"filename": filename, "content_type": content_type, "content": base64.b64encode(content).decode()}
