"""ID-11 through the gateway: close the account and be forgotten. Identity asks every service that
holds personal data to erase it, waits for all of them, then anonymizes the account."""
from __future__ import annotations

import uuid

from sqlalchemy import create_engine, select

from portico_kernel import config
from tests.bus_tap import Tap
from tests.helpers import PASSWORD, bearer, eventually, problem, unique_email
from tests.test_principals import STAFF_PASSWORD, create_staff
from tests.tickets_helpers import open_ticket

SERVICES = {"orgs", "billing", "domains", "tickets", "notifications"}


def completed(api, token: str) -> dict | None:
    closure = api.get("/v1/me/closure", token).json()
    return closure if closure["status"] == "completed" else None


def orgs_rows(org_id: str, user_id: str) -> tuple[str, list, list]:
    """What the orgs database still holds: the organization's name, the person's memberships and entry."""
    from services.orgs.adapters.orm import members, organizations, people

    engine = create_engine(config.load("orgs").database_url)
    with engine.connect() as conn:
        name = conn.execute(select(organizations.c.name).where(organizations.c.id == org_id)).scalar_one()
        memberships = conn.execute(select(members).where(members.c.user_id == user_id)).all()
        entries = conn.execute(select(people).where(people.c.user_id == user_id)).all()
    engine.dispose()
    return name, memberships, entries


def ticket_opener(api, ticket_id: str) -> str:
    """Who opened the ticket, as the support staff of its department see it."""
    from tests.tickets_helpers import staff_token

    return api.get(f"/v1/tickets/{ticket_id}", staff_token(api, "technical")).json()["opened_by"]


def test_ID_11_closing_needs_the_password(api):
    person = api.customer_with_org()

    wrong = problem(api.post("/v1/me/closure", {"password": "not my password"}, person["token"]), 403)

    assert wrong["type"].endswith("/wrong-password")
    problem(api.get("/v1/me/closure", person["token"]), 404)
    api.login(person["email"])


def test_ID_11_closing_the_account_forgets_the_person_in_every_service(api):
    person = api.customer_with_org()
    token, org_id = person["token"], person["org_id"]
    ticket_id = open_ticket(api, person, subject="Website down")["id"]
    tap = Tap(f"closure-{uuid.uuid4().hex[:6]}")
    try:
        response = api.post("/v1/me/closure", {"password": PASSWORD}, token)

        assert response.status_code == 202, response.text
        assert response.json()["status"] == "requested" and set(response.json()["waiting_for"]) <= SERVICES
        closure = eventually(lambda: completed(api, token), timeout=60, what="closure completed")
        assert closure["waiting_for"] == [] and closure["completed_at"]

        def of_type(kind):
            return lambda body: body["type"] == kind and body["payload"]["user_id"] == person["user_id"]

        requested = tap.wait_for(of_type("AccountClosureRequested"))["body"]
        for service in SERVICES:
            erased = tap.wait_for(lambda b: of_type("PersonalDataErased")(b) and b["producer"] == service)["body"]
            assert erased["payload"] == {"closure_id": requested["payload"]["closure_id"],
                                         "user_id": person["user_id"], "service": service}
        tap.wait_for(of_type("AccountClosed"))
    finally:
        tap.close()

    # Identity: no sign-in, no refresh, no personal data left on the account.
    problem(api.post("/v1/auth/login", {"email": person["email"], "password": PASSWORD}), 401)
    problem(api.post("/v1/auth/refresh", {"refresh_token": person["tokens"]["refresh_token"]}), 401)
    me = api.get("/v1/me", token).json()
    assert me["email"] != person["email"] and me["first_name"] == me["last_name"] == "" and me["organizations"] == []
    # Orgs: no longer a member; the personal organization no longer bears the person's name.
    assert api.get("/v1/orgs", token).json() == []
    assert orgs_rows(org_id, person["user_id"]) == ("Closed account", [], [])
    # Tickets: the organization keeps its ticket, without who opened it.
    assert ticket_opener(api, ticket_id) != person["user_id"]
    # The address is free again.
    api.signup(email=person["email"])


def test_ID_11_a_second_request_shows_the_running_closure(api):
    person = api.customer_with_org()

    first = api.post("/v1/me/closure", {"password": PASSWORD}, person["token"]).json()
    second = api.post("/v1/me/closure", {"password": PASSWORD}, person["token"])

    assert second.status_code == 202 and second.json()["id"] == first["id"]


def test_ID_11_refused_while_the_only_legal_representative_of_an_organization_with_other_members(api):
    alice, bob = api.customer_with_org(), api.customer_with_org()
    admin_email = unique_email("admin")
    assert create_staff(admin_email, "platform:admin").returncode == 0
    admin = api.login(admin_email, STAFF_PASSWORD)["access_token"]
    added = api.post(f"/v1/orgs/{alice['org_id']}/members", {"user_id": bob["user_id"], "role": "administrator"}, admin)
    assert added.status_code == 201, added.text
    eventually(lambda: any(m["org_id"] == alice["org_id"] for m in api.get("/v1/me", bob["token"]).json()["organizations"]),
               what="identity knows bob joined")

    refused = problem(api.post("/v1/me/closure", {"password": PASSWORD}, alice["token"]), 409)

    assert refused["type"].endswith("/sole-legal-representative")
    assert refused["org_ids"] == [alice["org_id"]]
    problem(api.get("/v1/me/closure", alice["token"]), 404)

    # Once bob has left, alice is the only member again and may go.
    left = api.http.delete(api.url(f"/v1/orgs/{alice['org_id']}/members/me"), headers=bearer(bob["token"]), timeout=30)
    assert left.status_code == 204, left.text
    eventually(lambda: api.post("/v1/me/closure", {"password": PASSWORD}, alice["token"]).status_code == 202,
               what="closure accepted once bob left")
