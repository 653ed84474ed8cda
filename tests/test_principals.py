"""Two kinds of principals sign in through the gateway: customers (members of organizations) and
the provider's staff, whose first administrator an operator creates with a command."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import claims_of, eventually, unique_email

STAFF_PASSWORD = "staff password of some length"


def create_staff(email: str, *roles: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "services.identity.entrypoints.admin", "create-staff", "--email", email,
               "--first-name", "Ada", "--last-name", "Admin"]
    for role in roles:
        command += ["--role", role]
    return subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PORTICO_ADMIN_PASSWORD": STAFF_PASSWORD})


def test_operator_creates_the_first_platform_administrator_who_signs_in_through_the_gateway(api):
    email = unique_email("admin")
    created = create_staff(email, "platform:admin")
    assert created.returncode == 0, created.stderr
    tokens = api.login(email, STAFF_PASSWORD)
    claims = claims_of(tokens["access_token"])
    assert claims["kind"] == "staff" and claims["roles"] == ["platform:admin"] and claims["org"] is None
    me = api.get("/v1/me", tokens["access_token"]).json()
    assert me["kind"] == "staff" and me["platform_roles"] == ["platform:admin"] and me["organizations"] == []
    assert api.get("/v1/orgs", tokens["access_token"]).json() == []  # staff get no personal organization


def test_operator_command_refuses_unknown_roles_and_taken_emails(api):
    refused = create_staff(unique_email("who"), "platform:janitor")
    assert refused.returncode == 1 and "platform:janitor" in refused.stderr
    customer = api.signup()
    taken = create_staff(customer["email"], "platform:admin")
    assert taken.returncode == 1 and "exists already" in taken.stderr


def test_BI_15_billing_staff_see_billing_accounts_other_staff_do_not(api):
    customer = api.customer_with_org(country="CH")
    clerk, agent = unique_email("clerk"), unique_email("agent")
    assert create_staff(clerk, "platform:billing-clerk").returncode == 0
    assert create_staff(agent, "platform:support-agent:hosting").returncode == 0
    clerk_token = api.login(clerk, STAFF_PASSWORD)["access_token"]
    agent_token = api.login(agent, STAFF_PASSWORD)["access_token"]
    path = f"/v1/billing/accounts/{customer['org_id']}"
    account = eventually(lambda: (r := api.get(path, clerk_token)).status_code == 200 and r.json(), timeout=30,
                         what="the billing account of the new organization")
    assert account["currency"] == "CHF"
    assert api.get(path, agent_token).status_code == 403
