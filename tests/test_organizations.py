"""Organizations as their people use them: several per person and switching (OR-01), roles and who
changes them (OR-02, OR-04, OR-05), invitations (OR-03, ID-16), 2FA policy and members without it
(OR-10, OR-11), blocking (OR-13), and partner keys changing managed organizations (OR-19).

Invitation links reach people by mail; the mail is sent by whoever handles `UserInvited`, so the
tests read the link's token from that event on the bus, as the mailer would.
"""
from __future__ import annotations

import io
import time
import uuid
from datetime import datetime, timedelta, timezone

import pypdf
import pytest

from portico_kernel import events
from tests.bus_tap import Tap
from tests.helpers import claims_of, eventually, unique_email
from tests.test_org_two_factor import platform_admin  # noqa: F401  (a fixture)

PROBLEMS = "https://portico.dev/problems/"


@pytest.fixture(scope="module")
def tap(stack):
    tap = Tap(f"orgs-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def kind(response) -> str | None:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    return response.json()["type"].removeprefix(PROBLEMS)


def invite(api, token: str, org_id: str, email: str, role: str = "collaborator"):
    return api.post(f"/v1/orgs/{org_id}/invitations", {"email": email, "role": role}, token)


def link_token(tap, invitation_id: str, not_this: str | None = None) -> str:
    """The token of the newest link mailed for the invitation (as the mail would carry it)."""
    message = tap.wait_for(lambda b: b["type"] == "UserInvited" and b["payload"]["invitation_id"] == invitation_id
                           and b["payload"]["token"] != not_this)
    return message["body"]["payload"]["token"]


def invited(api, tap, owner: dict, email: str, role: str = "collaborator") -> tuple[dict, str]:
    response = invite(api, owner["token"], owner["org_id"], email, role)
    assert response.status_code == 201, response.text
    return response.json(), link_token(tap, response.json()["id"])


def _accept_when_known(api, person: dict, token: str):
    """Accept, once orgs has heard of the account (identity's UserRegistered): until then 403 forbidden."""
    deadline = time.monotonic() + 30
    while True:
        response = api.post("/v1/invitations/accept", {"token": token}, person["token"])
        if not (response.status_code == 403 and kind(response) == "forbidden") or time.monotonic() > deadline:
            return response
        time.sleep(0.25)


def switch(api, person: dict, org_id: str):
    return api.put("/v1/auth/active-organization", {"org_id": org_id}, person["token"])


def member_of(api, tap, owner: dict, role: str = "collaborator") -> dict:
    """A person with an account of their own, invited into the owner's organization in a role,
    acting for it."""
    person = api.customer_with_org()
    invitation, token = invited(api, tap, owner, person["email"], role)
    accepted = _accept_when_known(api, person, token)
    assert accepted.status_code == 200, accepted.text
    switched = eventually(lambda: (r := switch(api, person, owner["org_id"])).status_code == 200 and r,
                          what="identity knowing the new membership")
    return {**person, "own_org_id": person["org_id"], "org_id": owner["org_id"], "token": switched.json()["access_token"]}


def test_OR_01_a_sign_in_right_after_sign_up_acts_for_the_personal_organization(api):
    person = api.signup()
    tokens = api.login(person["email"])  # no waiting for any event
    claims = claims_of(tokens["access_token"])
    assert claims["org"] and claims["roles"] == ["legal_representative"], claims
    domains = api.get("/v1/domains", tokens["access_token"])
    assert domains.status_code == 200, domains.text
    # orgs creates the organization under the same id
    listed = eventually(lambda: api.get("/v1/orgs", tokens["access_token"]).json(), what="the personal organization")
    assert [(o["id"], o["my_role"], o["type"]) for o in listed] == [(claims["org"], "legal_representative", "private")]


def test_OR_03_ID_16_an_invitation_is_announced_for_the_mail_and_lasts_the_organizations_link_lifetime(api, tap):
    owner = api.customer_with_org()
    assert api.get(f"/v1/orgs/{owner['org_id']}", owner["token"]).json()["link_days"] == 60  # ID-16 default
    changed = api.put(f"/v1/orgs/{owner['org_id']}/link-lifetime", {"link_days": 30}, owner["token"])
    assert changed.status_code == 200 and changed.json() == {"link_days": 30}, changed.text
    assert kind(api.put(f"/v1/orgs/{owner['org_id']}/link-lifetime", {"link_days": 0}, owner["token"])) == "invalid-request"

    email = unique_email("invitee")
    before = datetime.now(timezone.utc)
    response = invite(api, owner["token"], owner["org_id"], email, "administrator")
    assert response.status_code == 201, response.text
    invitation = response.json()
    assert invitation["status"] == "pending" and invitation["role"] == "administrator"
    expires = datetime.fromisoformat(invitation["expires_at"].replace("Z", "+00:00"))
    assert before + timedelta(days=30) - timedelta(minutes=1) < expires < datetime.now(timezone.utc) + timedelta(days=30, minutes=1)

    message = tap.wait_for(lambda b: b["type"] == "UserInvited" and b["payload"]["invitation_id"] == invitation["id"])
    events.validate(message["body"])
    payload = message["body"]["payload"]
    assert payload["email"] == email and payload["org_id"] == owner["org_id"] and payload["role"] == "administrator"
    assert payload["inviter_name"] == "Erika Mustermann" and payload["inviter_language"] == "en"
    assert payload["invitee_language"] is None  # no account: the mail goes out in the inviter's language
    assert payload["organization_name"] == "Erika Mustermann" and len(payload["token"]) >= 40
    assert payload["expires_at"] == invitation["expires_at"]

    listed = api.get(f"/v1/orgs/{owner['org_id']}/invitations?limit=1", owner["token"])
    assert listed.status_code == 200 and [i["id"] for i in listed.json()] == [invitation["id"]]
    again = invite(api, owner["token"], owner["org_id"], email.upper())
    assert again.status_code == 409 and kind(again) == "already-invited"


def test_OR_03_someone_without_an_account_signs_up_through_the_link_and_joins_only_the_inviting_organization(api, tap):
    owner = api.customer_with_org()
    email = unique_email("newcomer")
    invitation, token = invited(api, tap, owner, email, "collaborator")

    wrong = api.post("/v1/auth/signup", {"email": unique_email("other"), "password": "correct horse battery staple",
                                         "first_name": "Otto", "last_name": "Other", "invitation": token})
    assert wrong.status_code == 403 and kind(wrong) == "invitation-for-another-email", wrong.text
    unknown = api.post("/v1/auth/signup", {"email": email, "password": "correct horse battery staple",
                                           "first_name": "Nina", "last_name": "Neu", "invitation": "x" * 43})
    assert unknown.status_code == 404 and kind(unknown) == "unknown-invitation", unknown.text

    person = api.signup(email=email, first_name="Nina", last_name="Neu", invitation=token)
    tokens = api.login(email)
    claims = claims_of(tokens["access_token"])
    assert claims["org"] == owner["org_id"] and claims["roles"] == ["collaborator"], claims
    eventually(lambda: api.get(f"/v1/orgs/{owner['org_id']}", tokens["access_token"]).status_code == 200,
               what="the membership in orgs")
    time.sleep(1.5)  # a personal organization, were one made, would have appeared by now
    assert [o["id"] for o in api.get("/v1/orgs", tokens["access_token"]).json()] == [owner["org_id"]]
    assert api.get("/v1/me", tokens["access_token"]).json()["organizations"] == [
        {"org_id": owner["org_id"], "role": "collaborator"}]
    members = api.get(f"/v1/orgs/{owner['org_id']}/members", owner["token"]).json()
    assert {m["user_id"]: m["role"] for m in members} == {owner["user_id"]: "legal_representative",
                                                          person["id"]: "collaborator"}
    # the link works once
    used = api.post("/v1/invitations/accept", {"token": token}, tokens["access_token"])
    assert used.status_code == 410 and kind(used) == "invitation-used", used.text
    listed = api.get(f"/v1/orgs/{owner['org_id']}/invitations", owner["token"]).json()
    assert [i["status"] for i in listed if i["id"] == invitation["id"]] == ["accepted"]


def test_OR_03_OR_01_a_person_with_an_account_accepts_switches_and_starts_there_next_time(api, tap):
    owner, person = api.customer_with_org(), api.customer_with_org()
    _, token = invited(api, tap, owner, person["email"].upper(), "external")  # any letter case
    refused = switch(api, person, owner["org_id"])
    assert refused.status_code == 404, refused.text  # not a member yet
    accepted = _accept_when_known(api, person, token)
    assert accepted.status_code == 200 and accepted.json() == {"org_id": owner["org_id"], "role": "external"}, accepted.text

    switched = eventually(lambda: (r := switch(api, person, owner["org_id"])).status_code == 200 and r,
                          what="identity knowing the new membership")
    claims = claims_of(switched.json()["access_token"])
    assert claims["org"] == owner["org_id"] and claims["roles"] == ["external"] and claims["sub"] == person["id"]
    assert api.get(f"/v1/orgs/{owner['org_id']}", switched.json()["access_token"]).json()["my_role"] == "external"
    both = api.get("/v1/orgs", switched.json()["access_token"]).json()
    assert {o["id"] for o in both} == {owner["org_id"], person["org_id"]}
    # the session's refresh acts for the chosen organization, and so does the next sign-in
    refreshed = api.post("/v1/auth/refresh", {"refresh_token": person["tokens"]["refresh_token"]})
    assert claims_of(refreshed.json()["access_token"])["org"] == owner["org_id"]
    assert claims_of(api.login(person["email"])["access_token"])["org"] == owner["org_id"]
    # and back; an organization of someone else does not exist for the person
    assert claims_of(switch(api, person, person["org_id"]).json()["access_token"])["org"] == person["org_id"]
    stranger = api.customer_with_org()
    assert switch(api, person, stranger["org_id"]).status_code == 404
    assert api.put("/v1/auth/active-organization", {"org_id": "not-an-id"}, person["token"]).status_code == 400


def test_OR_03_revoked_resent_and_foreign_links_are_refused_clearly(api, tap):
    owner, person = api.customer_with_org(), api.customer_with_org()
    invitation, first = invited(api, tap, owner, person["email"])
    resent = api.post(f"/v1/orgs/{owner['org_id']}/invitations/{invitation['id']}/resend", None, owner["token"])
    assert resent.status_code == 200 and resent.json()["sent_count"] == 2, resent.text
    second = link_token(tap, invitation["id"], not_this=first)
    stale = _accept_when_known(api, person, first)
    assert stale.status_code == 404 and kind(stale) == "unknown-invitation", stale.text

    other = api.customer_with_org()
    foreign = _accept_when_known(api, other, second)
    assert foreign.status_code == 403 and kind(foreign) == "invitation-for-another-email", foreign.text

    revoked = api.delete(f"/v1/orgs/{owner['org_id']}/invitations/{invitation['id']}", owner["token"])
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked", revoked.text
    late = api.post("/v1/invitations/accept", {"token": second}, person["token"])
    assert late.status_code == 410 and kind(late) == "invitation-revoked", late.text
    again = api.post(f"/v1/orgs/{owner['org_id']}/invitations/{invitation['id']}/resend", None, owner["token"])
    assert again.status_code == 409 and kind(again) == "invitation-revoked"
    # another organization's invitation does not exist for this owner
    assert api.delete(f"/v1/orgs/{other['org_id']}/invitations/{invitation['id']}", owner["token"]).status_code == 404
    assert api.delete(f"/v1/orgs/{owner['org_id']}/invitations/{invitation['id']}", other["token"]).status_code == 404


def test_OR_03_only_administrators_and_legal_representatives_invite(api, tap):
    owner = api.customer_with_org()
    collaborator = member_of(api, tap, owner, "collaborator")
    administrator = member_of(api, tap, owner, "administrator")
    refused = invite(api, collaborator["token"], owner["org_id"], unique_email())
    assert refused.status_code == 403, refused.text
    assert api.get(f"/v1/orgs/{owner['org_id']}/invitations", collaborator["token"]).status_code == 403
    assert invite(api, administrator["token"], owner["org_id"], unique_email()).status_code == 201
    only = invite(api, administrator["token"], owner["org_id"], unique_email(), "legal_representative")
    assert only.status_code == 403 and kind(only) == "legal-representative-only"
    member = invite(api, owner["token"], owner["org_id"], collaborator["email"])
    assert member.status_code == 409 and kind(member) == "already-a-member"
    stranger = api.customer_with_org()
    assert invite(api, stranger["token"], owner["org_id"], unique_email()).status_code == 404


def role(api, token: str, org_id: str, user_id: str, new_role: str):
    return api.put(f"/v1/orgs/{org_id}/members/{user_id}/role", {"role": new_role}, token)


def test_OR_05_administrators_and_legal_representatives_change_roles(api, tap):
    owner = api.customer_with_org()
    administrator = member_of(api, tap, owner, "administrator")
    colleague = member_of(api, tap, owner, "collaborator")
    changed = role(api, administrator["token"], owner["org_id"], colleague["user_id"], "external")
    assert changed.status_code == 200 and changed.json()["role"] == "external", changed.text
    message = tap.wait_for(lambda b: b["type"] == "MemberRoleChanged" and b["payload"]["user_id"] == colleague["user_id"])
    events.validate(message["body"])
    assert message["body"]["payload"]["previous_role"] == "collaborator"
    # the member's next token carries the new role
    eventually(lambda: _refreshed_roles(api, colleague) == ["external"], what="the new role in the member's tokens")
    refused = role(api, colleague["token"], owner["org_id"], administrator["user_id"], "collaborator")
    assert refused.status_code == 403, refused.text
    assert role(api, owner["token"], owner["org_id"], str(uuid.uuid4()), "external").status_code == 404
    stranger = api.customer_with_org()
    assert role(api, stranger["token"], owner["org_id"], colleague["user_id"], "administrator").status_code == 404
    assert role(api, owner["token"], owner["org_id"], colleague["user_id"], "owner").status_code == 400


def _refreshed_roles(api, person: dict) -> list:
    """Sign in again (acting for the organization chosen last) and read the roles of the token."""
    return claims_of(api.login(person["email"])["access_token"])["roles"]


def test_OR_04_only_a_legal_representative_makes_or_unmakes_a_legal_representative(api, tap):
    owner = api.customer_with_org()
    administrator = member_of(api, tap, owner, "administrator")
    colleague = member_of(api, tap, owner, "collaborator")
    by_admin = role(api, administrator["token"], owner["org_id"], colleague["user_id"], "legal_representative")
    assert by_admin.status_code == 403 and kind(by_admin) == "legal-representative-only", by_admin.text
    demote_owner = role(api, administrator["token"], owner["org_id"], owner["user_id"], "collaborator")
    assert demote_owner.status_code == 403 and kind(demote_owner) == "legal-representative-only"
    last = role(api, owner["token"], owner["org_id"], owner["user_id"], "administrator")
    assert last.status_code == 409 and kind(last) == "last-legal-representative", last.text

    made = role(api, owner["token"], owner["org_id"], colleague["user_id"], "legal_representative")
    assert made.status_code == 200 and made.json()["role"] == "legal_representative", made.text
    stepped_down = role(api, owner["token"], owner["org_id"], owner["user_id"], "administrator")
    assert stepped_down.status_code == 200, stepped_down.text
    members = {m["user_id"]: m["role"] for m in api.get(f"/v1/orgs/{owner['org_id']}/members", owner["token"]).json()}
    assert members == {owner["user_id"]: "administrator", administrator["user_id"]: "administrator",
                       colleague["user_id"]: "legal_representative"}


def test_OR_10_requiring_2fa_needs_the_requesters_own_2fa_first(api):
    from tests.test_two_factor import enable_totp

    owner = api.customer_with_org()
    refused = api.put(f"/v1/orgs/{owner['org_id']}/two-factor-policy", {"required": True}, owner["token"])
    assert refused.status_code == 409 and kind(refused) == "two-factor-not-enabled", refused.text
    assert api.get(f"/v1/orgs/{owner['org_id']}", owner["token"]).json()["two_factor_required"] is False
    enable_totp(api, owner["token"])
    required = eventually(lambda: (r := api.put(f"/v1/orgs/{owner['org_id']}/two-factor-policy", {"required": True},
                                                owner["token"])).status_code == 200 and r,
                          what="orgs knowing the owner's 2FA")
    assert required.json() == {"required": True}


def test_OR_11_members_without_2fa_are_listed_and_filtered(api, tap):
    from tests.test_two_factor import enable_totp

    owner = api.customer_with_org()
    colleague = member_of(api, tap, owner, "collaborator")
    enable_totp(api, owner["token"])
    path = f"/v1/orgs/{owner['org_id']}/members"
    without = eventually(lambda: (r := api.get(path + "?two_factor=false", owner["token"]).json()) and
                         [m["user_id"] for m in r] == [colleague["user_id"]] and r, what="orgs knowing the owner's 2FA")
    assert without[0]["two_factor"] is False
    assert [(m["user_id"], m["two_factor"]) for m in api.get(path + "?two_factor=true", owner["token"]).json()] \
        == [(owner["user_id"], True)]
    # a security warning by email for the member without 2FA (mailed by the notifications service)
    assert api.post(f"{path}/{colleague['user_id']}/security-warning", None, colleague["token"]).status_code == 403
    warned = api.post(f"{path}/{colleague['user_id']}/security-warning", None, owner["token"])
    assert warned.status_code == 202, warned.text
    message = tap.wait_for(lambda b: b["type"] == "SecurityWarningRequested" and b["payload"]["user_id"] == colleague["user_id"])
    events.validate(message["body"])
    assert message["body"]["payload"]["email"] == colleague["email"] and message["body"]["payload"]["reason"] == "two-factor-missing"
    has_it = api.post(f"{path}/{owner['user_id']}/security-warning", None, owner["token"])
    assert has_it.status_code == 409 and kind(has_it) == "two-factor-enabled"
    first = api.get(path + "?limit=1", owner["token"])
    assert len(first.json()) == 1 and 'rel="next"' in first.headers["Link"]
    assert api.get(path + "?two_factor=maybe", owner["token"]).status_code == 400


def test_OR_13_a_blocked_member_reaches_nothing_of_the_organization_until_unblocked(api, tap):
    owner = api.customer_with_org()
    member = member_of(api, tap, owner, "administrator")
    colleague = member_of(api, tap, owner, "collaborator")
    path = f"/v1/orgs/{owner['org_id']}"
    assert api.get(path, member["token"]).status_code == 200

    assert api.put(f"{path}/members/{member['user_id']}/block", None, colleague["token"]).status_code == 403
    assert kind(api.put(f"{path}/members/{owner['user_id']}/block", None, member["token"])) == "legal-representative-only"
    assert kind(api.put(f"{path}/members/{owner['user_id']}/block", None, owner["token"])) == "cannot-block-yourself"
    blocked = api.put(f"{path}/members/{member['user_id']}/block", None, owner["token"])
    assert blocked.status_code == 200 and blocked.json()["blocked"] is True, blocked.text
    message = tap.wait_for(lambda b: b["type"] == "MemberBlocked" and b["payload"]["user_id"] == member["user_id"])
    events.validate(message["body"])

    eventually(lambda: kind(api.get(path, member["token"])) == "member-blocked", what="the gateway refusing the blocked member")
    # every gateway worker refreshes what it knows within a few seconds
    for call in (lambda: api.get("/v1/domains", member["token"]), lambda: api.get(f"{path}/members", member["token"]),
                 lambda: api.post(f"{path}/invitations", {"email": unique_email(), "role": "external"}, member["token"])):
        eventually(lambda: kind(call()) == "member-blocked", timeout=10, what="the blocked member refused everywhere")
    # still a member, and their own organization still works
    assert member["user_id"] in [m["user_id"] for m in api.get(f"{path}/members", owner["token"]).json()]
    own = switch(api, member, member["own_org_id"])
    assert own.status_code == 200 and api.get(f"/v1/orgs/{member['own_org_id']}", own.json()["access_token"]).status_code == 200

    unblocked = api.delete(f"{path}/members/{member['user_id']}/block", owner["token"])
    assert unblocked.status_code == 200 and unblocked.json()["blocked"] is False
    eventually(lambda: api.get(path, member["token"]).status_code == 200, what="the gateway letting the member in again")


def test_OR_19_a_partner_key_with_orgs_write_changes_a_customer_organization_it_manages(api):
    from tests.test_api_keys import create_key, with_key

    reseller, customer, stranger = api.customer_with_org(), api.customer_with_org(), api.customer_with_org()
    key = create_key(api, reseller, scopes=["orgs:write"])
    assert api.post(f"/v1/orgs/{customer['org_id']}/resellers", {"reseller_org_id": reseller["org_id"]},
                    customer["token"]).status_code == 201
    eventually(lambda: with_key(api, "GET", f"/v1/orgs/{customer['org_id']}", key["secret"],
                                org=customer["org_id"]).status_code == 200, what="the reseller link at the gateway")
    changed = with_key(api, "PUT", f"/v1/orgs/{customer['org_id']}/two-factor-policy", key["secret"],
                       org=customer["org_id"], json={"required": False})
    assert changed.status_code == 200, changed.text
    invited_by_key = with_key(api, "POST", f"/v1/orgs/{customer['org_id']}/invitations", key["secret"],
                              org=customer["org_id"], json={"email": unique_email(), "role": "collaborator"})
    assert invited_by_key.status_code == 201, invited_by_key.text
    # a key is nobody's legal representative
    made = with_key(api, "PUT", f"/v1/orgs/{customer['org_id']}/members/{customer['user_id']}/role", key["secret"],
                    org=customer["org_id"], json={"role": "administrator"})
    assert made.status_code == 403, made.text
    outside = with_key(api, "PUT", f"/v1/orgs/{stranger['org_id']}/two-factor-policy", key["secret"],
                       org=stranger["org_id"], json={"required": False})
    assert outside.status_code == 403
    elsewhere = with_key(api, "PUT", f"/v1/orgs/{stranger['org_id']}/two-factor-policy", key["secret"],
                         org=customer["org_id"], json={"required": False})
    assert elsewhere.status_code == 404


def test_OR_09_removing_a_member_needs_the_password_just_entered_and_decides_their_product_data(api, tap):
    from tests.helpers import PASSWORD

    owner = api.customer_with_org()
    administrator = member_of(api, tap, owner, "administrator")
    leaving, heir = member_of(api, tap, owner, "collaborator"), member_of(api, tap, owner, "collaborator")
    path = f"/v1/orgs/{owner['org_id']}/members"
    removal = {"confirm": True, "product_data": "transfer", "transfer_to": heir["user_id"]}

    without = api.post(f"{path}/{leaving['user_id']}/removal", removal, owner["token"])
    assert without.status_code == 403 and kind(without) == "password-required", without.text
    wrong = api.post("/v1/auth/password-check", {"password": "not the password at all"}, owner["token"])
    assert wrong.status_code == 403 and kind(wrong) == "wrong-password", wrong.text
    checked = api.post("/v1/auth/password-check", {"password": PASSWORD}, owner["token"])
    assert checked.status_code == 200, checked.text
    fresh = checked.json()["access_token"]
    assert claims_of(fresh)["org"] == owner["org_id"] and claims_of(fresh)["auth_time"] >= int(time.time()) - 60

    unconfirmed = api.post(f"{path}/{leaving['user_id']}/removal", {**removal, "confirm": False}, fresh)
    assert unconfirmed.status_code == 400 and unconfirmed.json()["invalid_params"][0]["name"] == "confirm"
    nobody = api.post(f"{path}/{leaving['user_id']}/removal", {**removal, "transfer_to": str(uuid.uuid4())}, fresh)
    assert nobody.status_code == 400 and nobody.json()["invalid_params"][0]["name"] == "transfer_to"
    itself = api.post(f"{path}/{leaving['user_id']}/removal", {**removal, "transfer_to": leaving["user_id"]}, fresh)
    assert itself.status_code == 400
    assert kind(api.post(f"{path}/{owner['user_id']}/removal", removal, fresh)) == "cannot-remove-yourself"
    admin_fresh = api.post("/v1/auth/password-check", {"password": PASSWORD}, administrator["token"]).json()["access_token"]
    by_admin = api.post(f"{path}/{owner['user_id']}/removal", removal, admin_fresh)
    assert by_admin.status_code == 403 and kind(by_admin) == "legal-representative-only"
    stranger = api.customer_with_org()
    stranger_fresh = api.post("/v1/auth/password-check", {"password": PASSWORD}, stranger["token"]).json()["access_token"]
    assert api.post(f"{path}/{leaving['user_id']}/removal", removal, stranger_fresh).status_code == 404

    removed = api.post(f"{path}/{leaving['user_id']}/removal", removal, fresh)
    assert removed.status_code == 204, removed.text
    message = tap.wait_for(lambda b: b["type"] == "MemberRemoved" and b["payload"]["user_id"] == leaving["user_id"])
    events.validate(message["body"])
    assert message["body"]["payload"] == {"org_id": owner["org_id"], "user_id": leaving["user_id"],
                                          "removed_by": owner["user_id"], "product_data": "transfer",
                                          "transfer_to": heir["user_id"]}
    assert leaving["user_id"] not in [m["user_id"] for m in api.get(path, owner["token"]).json()]
    eventually(lambda: owner["org_id"] not in [o["org_id"] for o in api.get("/v1/me", leaving["token"]).json()["organizations"]],
               what="identity dropping the membership")
    assert api.post(f"{path}/{leaving['user_id']}/removal", removal, fresh).status_code == 404


def provisioned(tap, org_id: str, product_type: str, product_id: str, producer: str = "domains",
                kind_of: str = "ProductProvisioned") -> None:
    """A product service announces a product (billing and domains will; here the test speaks for them)."""
    from portico_kernel.events import Envelope

    envelope = Envelope(type=kind_of, producer=producer, org_id=org_id,
                        payload={"org_id": org_id, "product_type": product_type, "product_id": product_id})
    tap.publish(envelope.to_dict(), envelope.routing_key)


def access_event(tap, user_id: str, after: int = 0) -> dict:
    """The newest MemberAccessChanged of the member, once there are more than `after` of them."""
    message = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen = [m for m in tap.messages if m["body"]["type"] == "MemberAccessChanged" and m["body"]["payload"]["user_id"] == user_id]
        if len(seen) > after:
            message = seen[-1]
            break
        tap.drain(0.5)
    assert message, f"no MemberAccessChanged for {user_id}"
    events.validate(message["body"])
    return message["body"]["payload"]


def access_events_of(tap, user_id: str) -> int:
    tap.drain(0.2)
    return sum(1 for m in tap.messages if m["body"]["type"] == "MemberAccessChanged" and m["body"]["payload"]["user_id"] == user_id)


def test_OR_06_OR_07_OR_08_rights_per_product_type_work_groups_and_everyone_reach_services_as_access_events(api, tap):
    from portico_kernel.product_access import allows

    owner, stranger = api.customer_with_org(), api.customer_with_org()
    colleague, guest = member_of(api, tap, owner, "collaborator"), member_of(api, tap, owner, "external")
    org = owner["org_id"]
    domain, hosting = f"{uuid.uuid4().hex[:8]}.ch", f"h-{uuid.uuid4().hex[:8]}"
    provisioned(tap, org, "domain", domain)
    provisioned(tap, org, "hosting", hosting, producer="billing")
    provisioned(tap, stranger["org_id"], "domain", f"x-{domain}")
    products = eventually(lambda: len(r := api.get(f"/v1/orgs/{org}/products", owner["token"]).json()) == 2 and r,
                          what="orgs knowing the products")
    assert {(p["product_type"], p["product_id"]) for p in products} == {("domain", domain), ("hosting", hosting)}
    assert api.get(f"/v1/orgs/{org}/products", stranger["token"]).status_code == 404

    def grant(token, **body):
        return api.post(f"/v1/orgs/{org}/grants", body, token)

    to_colleague = {"holder": {"kind": "member", "id": colleague["user_id"]}, "scope": "product",
                    "product_type": "domain", "product_id": domain, "rights": ["use", "dns"]}
    assert grant(colleague["token"], **to_colleague).status_code == 403
    assert api.get(f"/v1/orgs/{org}/grants", colleague["token"]).status_code == 403
    wrong = grant(owner["token"], **{**to_colleague, "rights": ["use", "console"]})  # a server's right, not a domain's
    assert wrong.status_code == 400 and wrong.json()["invalid_params"][0]["name"] == "rights", wrong.text
    assert kind(grant(owner["token"], **{**to_colleague, "product_id": f"x-{domain}"})) == "unknown-product"
    assert kind(grant(owner["token"], **{**to_colleague, "holder": {"kind": "member", "id": stranger["user_id"]}})) == "unknown-member"
    assert grant(stranger["token"], **to_colleague).status_code == 404

    before = access_events_of(tap, colleague["user_id"])
    created = grant(owner["token"], **to_colleague)
    assert created.status_code == 201, created.text
    entries = access_event(tap, colleague["user_id"], before)["grants"]
    assert allows(entries, "domain", domain, "use") and allows(entries, "domain", domain, "dns")
    assert not allows(entries, "domain", domain, "manage") and not allows(entries, "domain", f"x-{domain}", "use")

    # everyone in the organization, every current and future hosting: not external users (OR-02)
    assert grant(owner["token"], holder={"kind": "everyone"}, scope="type", product_type="hosting",
                 rights=["use", "statistics"]).status_code == 201
    colleague_access = api.get(f"/v1/orgs/{org}/members/{colleague['user_id']}/access", colleague["token"]).json()["grants"]
    assert allows(colleague_access, "hosting", "a-future-plan", "statistics")
    guest_access = api.get(f"/v1/orgs/{org}/members/{guest['user_id']}/access", owner["token"]).json()["grants"]
    assert guest_access == []
    assert api.get(f"/v1/orgs/{org}/members/{guest['user_id']}/access", colleague["token"]).status_code == 403
    # administrators and legal representatives have everything (OR-07)
    assert allows(api.get(f"/v1/orgs/{org}/members/{owner['user_id']}/access", owner["token"]).json()["grants"],
                  "server", "any", "console")

    # a work group bundles grants; joining it grants them (OR-08)
    group = api.post(f"/v1/orgs/{org}/work-groups", {"name": "Webteam"}, owner["token"])
    assert group.status_code == 201, group.text
    group_id = group.json()["id"]
    assert grant(owner["token"], holder={"kind": "group", "id": group_id}, scope="all", rights=["use"]).status_code == 201
    before = access_events_of(tap, guest["user_id"])
    assert api.put(f"/v1/orgs/{org}/work-groups/{group_id}/members/{guest['user_id']}", None, owner["token"]).status_code == 204
    assert allows(access_event(tap, guest["user_id"], before)["grants"], "mailbox", "info@x", "use")
    again = api.put(f"/v1/orgs/{org}/work-groups/{group_id}/members/{guest['user_id']}", None, owner["token"])
    assert kind(again) == "already-in-work-group"
    assert [g["name"] for g in api.get(f"/v1/orgs/{org}/work-groups", guest["token"]).json()] == ["Webteam"]
    assert api.get(f"/v1/orgs/{org}/work-groups", stranger["token"]).status_code == 404

    # taken back: the services hear it within seconds
    before = access_events_of(tap, guest["user_id"])
    started = time.monotonic()
    assert api.delete(f"/v1/orgs/{org}/work-groups/{group_id}/members/{guest['user_id']}", owner["token"]).status_code == 204
    assert not allows(access_event(tap, guest["user_id"], before)["grants"], "mailbox", "info@x", "use")
    assert time.monotonic() - started < 10
    listed = api.get(f"/v1/orgs/{org}/grants?limit=2", owner["token"])
    assert len(listed.json()) == 2 and 'rel="next"' in listed.headers["Link"]
    first = next(g for g in api.get(f"/v1/orgs/{org}/grants", owner["token"]).json() if g["holder"]["id"] == colleague["user_id"])
    before = access_events_of(tap, colleague["user_id"])
    assert api.delete(f"/v1/orgs/{org}/grants/{first['id']}", owner["token"]).status_code == 204
    assert not allows(access_event(tap, colleague["user_id"], before)["grants"], "domain", domain, "use")
    assert api.delete(f"/v1/orgs/{stranger['org_id']}/grants/{first['id']}", stranger["token"]).status_code == 404


def test_OR_14_legal_representatives_change_the_details_and_the_country_decides_the_currency(api, tap):
    owner = api.customer_with_org(country="DE")
    administrator = member_of(api, tap, owner, "administrator")
    path = f"/v1/orgs/{owner['org_id']}"
    eventually(lambda: api.get(f"/v1/billing/accounts/{owner['org_id']}", owner["token"]).status_code == 200,
               what="the billing account")
    assert api.get(f"/v1/billing/accounts/{owner['org_id']}", owner["token"]).json()["currency"] == "EUR"
    change = {"name": "Muster Hosting GmbH", "type": "company", "phone": "+41 44 668 18 00",
              "address": {"street": "Bahnhofstrasse", "house_number": "1", "postcode": "8001", "town": "Zürich",
                          "country": "CH"},
              "vat_id": "CHE-116.281.710 MWST", "commercial_register": "CH-020.3.036.543-1"}
    refused = api.http.patch(api.url(path), json=change, headers={"Authorization": f"Bearer {administrator['token']}"}, timeout=30)
    assert refused.status_code == 403 and kind(refused) == "legal-representative-only", refused.text
    stranger = api.customer_with_org()
    assert api.http.patch(api.url(path), json=change, headers={"Authorization": f"Bearer {stranger['token']}"},
                          timeout=30).status_code == 404
    for field, value in (("vat_id", "CHE-116.281.711 MWST"), ("phone", "12345")):
        wrong = api.http.patch(api.url(path), json={**change, field: value},
                               headers={"Authorization": f"Bearer {owner['token']}"}, timeout=30)
        assert wrong.status_code == 400 and wrong.json()["invalid_params"][0]["name"] == field, wrong.text
    german_vat = api.http.patch(api.url(path), json={**change, "vat_id": "DE136695976"},
                                headers={"Authorization": f"Bearer {owner['token']}"}, timeout=30)
    assert german_vat.status_code == 400  # a German VAT ID for a Swiss address

    changed = api.http.patch(api.url(path), json=change, headers={"Authorization": f"Bearer {owner['token']}"}, timeout=30)
    assert changed.status_code == 200, changed.text
    org = changed.json()
    assert (org["name"], org["type"], org["country"], org["phone"], org["vat_id"]) == (
        "Muster Hosting GmbH", "company", "CH", "+41446681800", "CHE-116.281.710 MWST")
    assert org["address"] == change["address"]
    message = tap.wait_for(lambda b: b["type"] == "OrganizationDetailsChanged" and b["org_id"] == owner["org_id"])
    events.validate(message["body"])
    assert set(message["body"]["payload"]["changed_fields"]) >= {"name", "country", "vat_id", "phone"}
    eventually(lambda: api.get(f"/v1/billing/accounts/{owner['org_id']}", owner["token"]).json()["currency"] == "CHF",
               what="billing taking the currency from the new country")


def test_OR_12_a_locked_product_is_managed_by_administrators_and_legal_representatives_only(api, tap):
    from portico_kernel.product_access import allows

    owner = api.customer_with_org()
    colleague = member_of(api, tap, owner, "collaborator")
    org = owner["org_id"]
    hosting, mailbox = f"h-{uuid.uuid4().hex[:8]}", f"m-{uuid.uuid4().hex[:8]}"
    provisioned(tap, org, "hosting", hosting)
    provisioned(tap, org, "mailbox", mailbox)
    eventually(lambda: len(api.get(f"/v1/orgs/{org}/products", owner["token"]).json()) == 2, what="the products in orgs")
    assert api.post(f"/v1/orgs/{org}/grants", {"holder": {"kind": "member", "id": colleague["user_id"]}, "scope": "type",
                                                "product_type": "hosting", "rights": ["use", "manage"]},
                    owner["token"]).status_code == 201
    lock = f"/v1/orgs/{org}/products/hosting/{hosting}/lock"
    assert api.put(lock, None, colleague["token"]).status_code == 403
    before = access_events_of(tap, colleague["user_id"])
    locked = api.put(lock, None, owner["token"])
    assert locked.status_code == 200 and locked.json()["locked"] is True, locked.text
    state = tap.wait_for(lambda b: b["type"] == "ProductStateChanged" and b["payload"]["product_id"] == hosting)
    events.validate(state["body"])
    entries = access_event(tap, colleague["user_id"], before)["grants"]
    assert allows(entries, "hosting", hosting, "use") and not allows(entries, "hosting", hosting, "manage")
    assert allows(entries, "hosting", "another-plan", "manage")
    before = access_events_of(tap, colleague["user_id"])
    assert api.delete(lock, owner["token"]).json()["locked"] is False
    assert allows(access_event(tap, colleague["user_id"], before)["grants"], "hosting", hosting, "manage")

    refused = api.put(f"/v1/orgs/{org}/products/mailbox/{mailbox}/lock", None, owner["token"])
    assert refused.status_code == 409 and kind(refused) == "mail-cannot-be-locked"
    maintenance = api.put(f"/v1/orgs/{org}/products/mailbox/{mailbox}/maintenance", None, owner["token"])
    assert maintenance.status_code == 200 and maintenance.json()["maintenance"] is True
    assert kind(api.put(f"/v1/orgs/{org}/products/hosting/{hosting}/maintenance", None, owner["token"])) == "maintenance-for-mail-only"


def standing(tap, org_id: str, unpaid: int, balance: int) -> None:
    """Billing announces what the organization owes and holds (here the test speaks for billing)."""
    from portico_kernel.events import Envelope

    envelope = Envelope(type="BillingStandingChanged", producer="billing", org_id=org_id,
                        payload={"org_id": org_id, "unpaid_invoices": unpaid, "prepaid_balance_minor": balance,
                                 "currency": "EUR"})
    tap.publish(envelope.to_dict(), envelope.routing_key)


def test_OR_15_an_organization_is_deleted_only_when_nothing_stands_in_the_way_and_the_accounts_stay(api, tap):
    from tests.helpers import PASSWORD

    owner = api.customer_with_org()
    colleague = member_of(api, tap, owner, "administrator")
    org = owner["org_id"]
    plan = f"h-{uuid.uuid4().hex[:8]}"
    provisioned(tap, org, "hosting", plan)
    standing(tap, org, 2, 1500)
    eventually(lambda: api.get(f"/v1/orgs/{org}/products", owner["token"]).json(), what="the product in orgs")
    fresh = api.post("/v1/auth/password-check", {"password": PASSWORD}, owner["token"]).json()["access_token"]

    assert kind(api.delete(f"/v1/orgs/{org}", owner["token"])) == "password-required"
    colleague_fresh = api.post("/v1/auth/password-check", {"password": PASSWORD}, colleague["token"]).json()["access_token"]
    assert kind(api.delete(f"/v1/orgs/{org}", colleague_fresh)) == "legal-representative-only"
    refused = eventually(lambda: len((r := api.delete(f"/v1/orgs/{org}", fresh)).json().get("reasons", [])) == 4 and [r],
                         what="orgs knowing what billing said")[0]
    assert refused.status_code == 409 and kind(refused) == "organization-not-empty"
    assert [r["reason"] for r in refused.json()["reasons"]] == [
        "has-products", "has-other-members", "has-unpaid-invoices", "has-prepaid-balance"]

    provisioned(tap, org, "hosting", plan, kind_of="ProductRemoved")
    standing(tap, org, 0, 0)
    assert api.post(f"/v1/orgs/{org}/members/{colleague['user_id']}/removal",
                    {"confirm": True, "product_data": "delete"}, fresh).status_code == 204
    eventually(lambda: api.delete(f"/v1/orgs/{org}", fresh).status_code == 204, what="nothing standing in the way")
    message = tap.wait_for(lambda b: b["type"] == "OrganizationDeleted" and b["org_id"] == org)
    events.validate(message["body"])
    assert api.get(f"/v1/orgs/{org}", fresh).status_code == 404
    # the accounts stay: both still sign in
    assert api.login(owner["email"])["user_id"] == owner["user_id"]
    assert claims_of(api.login(colleague["email"])["access_token"])["org"] == colleague["own_org_id"]
    eventually(lambda: org not in [o["org_id"] for o in api.get("/v1/me", owner["token"]).json()["organizations"]],
               what="identity dropping the membership")


def test_OR_19_a_reseller_creates_customer_organizations_and_the_customer_can_end_the_link(api, tap, platform_admin):
    from tests.test_api_keys import create_key, with_key

    reseller = api.customer_with_org()
    key = create_key(api, reseller, scopes=["orgs:write"])
    customer_body = {"name": "Bäckerei Beispiel", "type": "company", "country": "CH"}
    not_yet = with_key(api, "POST", f"/v1/orgs/{reseller['org_id']}/customers", key["secret"], json=customer_body)
    assert not_yet.status_code == 403 and kind(not_yet) == "not-a-reseller", not_yet.text
    assert api.put(f"/v1/orgs/{reseller['org_id']}/reseller", {"reseller": True}, reseller["token"]).status_code == 403
    made = api.put(f"/v1/orgs/{reseller['org_id']}/reseller", {"reseller": True}, platform_admin)
    assert made.status_code == 200 and made.json() == {"reseller": True}, made.text

    created = with_key(api, "POST", f"/v1/orgs/{reseller['org_id']}/customers", key["secret"], json=customer_body)
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]
    listed = with_key(api, "GET", f"/v1/orgs/{reseller['org_id']}/customers", key["secret"])
    assert [link["customer_org_id"] for link in listed.json()] == [customer_id]
    managed = eventually(lambda: (r := with_key(api, "GET", f"/v1/orgs/{customer_id}", key["secret"], org=customer_id))
                         .status_code == 200 and r, what="the link known at the gateway")
    assert managed.json()["name"] == "Bäckerei Beispiel"

    # the reseller's key invites the customer's first legal representative, who signs up through the link
    email = unique_email("customer")
    invitation = with_key(api, "POST", f"/v1/orgs/{customer_id}/invitations", key["secret"], org=customer_id,
                          json={"email": email, "role": "legal_representative"})
    assert invitation.status_code == 201, invitation.text
    api.signup(email=email, invitation=link_token(tap, invitation.json()["id"]))
    boss = api.login(email)
    assert claims_of(boss["access_token"])["org"] == customer_id
    assert claims_of(boss["access_token"])["roles"] == ["legal_representative"]
    links = eventually(lambda: (r := api.get(f"/v1/orgs/{customer_id}/resellers", boss["access_token"])).status_code == 200 and r,
                       what="the membership in orgs")
    assert [link["reseller_org_id"] for link in links.json()] == [reseller["org_id"]]
    # a second legal representative is the customer's own decision now
    again = with_key(api, "POST", f"/v1/orgs/{customer_id}/invitations", key["secret"], org=customer_id,
                     json={"email": unique_email(), "role": "legal_representative"})
    assert again.status_code == 403
    ended = api.delete(f"/v1/orgs/{customer_id}/resellers/{reseller['org_id']}", boss["access_token"])
    assert ended.status_code == 204
    eventually(lambda: with_key(api, "GET", f"/v1/orgs/{customer_id}", key["secret"], org=customer_id).status_code == 403,
               what="the key refused once the customer ended the link")


def test_OR_17_OR_14_named_contacts_and_extra_billing_addresses(api, tap):
    owner = api.customer_with_org()
    colleague = member_of(api, tap, owner, "collaborator")
    org = owner["org_id"]
    contact = {"purpose": "support", "name": "Helpdesk", "email": "helpdesk@example.test", "phone": "+41 44 668 18 00"}
    assert api.post(f"/v1/orgs/{org}/contacts", contact, colleague["token"]).status_code == 403
    wrong = api.post(f"/v1/orgs/{org}/contacts", {**contact, "phone": "0800"}, owner["token"])
    assert wrong.status_code == 400 and wrong.json()["invalid_params"][0]["name"] == "phone"
    added = api.post(f"/v1/orgs/{org}/contacts", contact, owner["token"])
    assert added.status_code == 201 and added.json()["phone"] == "+41446681800", added.text
    listed = api.get(f"/v1/orgs/{org}/contacts", colleague["token"])
    assert [(c["purpose"], c["email"]) for c in listed.json()] == [("support", "helpdesk@example.test")]
    stranger = api.customer_with_org()
    assert api.get(f"/v1/orgs/{org}/contacts", stranger["token"]).status_code == 404
    assert api.delete(f"/v1/orgs/{stranger['org_id']}/contacts/{added.json()['id']}", stranger["token"]).status_code == 404
    assert api.delete(f"/v1/orgs/{org}/contacts/{added.json()['id']}", owner["token"]).status_code == 204

    address = {"recipient": "Buchhaltung", "street": "Seestrasse", "house_number": "3", "postcode": "8002",
               "town": "Zürich", "country": "ch"}
    created = api.post(f"/v1/orgs/{org}/billing-addresses", address, owner["token"])
    assert created.status_code == 201 and created.json()["country"] == "CH", created.text
    assert [a["town"] for a in api.get(f"/v1/orgs/{org}/billing-addresses?limit=1", colleague["token"]).json()] == ["Zürich"]


def test_OR_18_the_data_processing_agreement_names_the_organization_as_a_pdf(api, tap):
    owner = api.customer_with_org()
    colleague = member_of(api, tap, owner, "collaborator")
    path = f"/v1/orgs/{owner['org_id']}/data-processing-agreement"
    document = api.get(path, owner["token"])
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF-1.") and document.content.rstrip().endswith(b"%%EOF")
    assert "attachment" in document.headers["content-disposition"]
    text = " ".join(" ".join(page.extract_text().split())
                    for page in pypdf.PdfReader(io.BytesIO(document.content)).pages)
    assert "and Erika Mustermann (the controller)" in text
    assert owner["org_id"] in text.replace(" ", "")
    assert api.get(path, colleague["token"]).status_code == 403
    assert api.get(path, api.customer_with_org()["token"]).status_code == 404


def png(width: int = 2, height: int = 2) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_OR_14_the_logo_is_checked_for_type_and_size(api, tap):
    import base64

    owner = api.customer_with_org()
    colleague = member_of(api, tap, owner, "administrator")
    path = f"/v1/orgs/{owner['org_id']}/logo"
    assert api.get(path, owner["token"]).status_code == 404
    image = png()
    body = {"content_type": "image/png", "data": base64.b64encode(image).decode()}
    assert kind(api.put(path, body, colleague["token"])) == "legal-representative-only"
    for wrong in ({**body, "content_type": "image/jpeg"}, {**body, "data": "not base64!"},
                  {**body, "data": base64.b64encode(png(5000, 1)).decode()},
                  {**body, "data": base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * (600 * 1024)).decode()[:699999]}):
        refused = api.put(path, wrong, owner["token"])
        assert refused.status_code == 400, refused.text
    svg = api.put(path, {"content_type": "image/svg+xml", "data": base64.b64encode(b"<svg/>").decode()}, owner["token"])
    assert svg.status_code == 400 and svg.json()["invalid_params"][0]["name"] == "content_type"
    assert api.put(path, body, owner["token"]).status_code == 200
    shown = api.get(path, colleague["token"])
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png" and shown.content == image
    assert api.get(path, api.customer_with_org()["token"]).status_code == 404


def test_OR_16_team_member_seats_of_a_plan_share_it_and_end_on_their_own(api, tap):
    from portico_kernel.events import Envelope
    from portico_kernel.product_access import allows

    owner = api.customer_with_org()
    colleague = member_of(api, tap, owner, "collaborator")
    org, plan = owner["org_id"], f"plan-{uuid.uuid4().hex[:8]}"
    until = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    envelope = Envelope(type="SeatsProvisioned", producer="billing", org_id=org,
                        payload={"org_id": org, "product_type": "hosting", "product_id": plan, "seats": 2, "valid_until": until})
    tap.publish(envelope.to_dict(), envelope.routing_key)
    listed = eventually(lambda: len(r := api.get(f"/v1/orgs/{org}/seats", owner["token"]).json()) == 2 and r,
                        what="the plan's seats in orgs")
    assert all(s["valid"] and s["holder_id"] is None for s in listed)
    seat = listed[0]["id"]
    assert api.put(f"/v1/orgs/{org}/seats/{seat}/holder", {"user_id": colleague["user_id"]}, colleague["token"]).status_code == 403
    before = access_events_of(tap, colleague["user_id"])
    given = api.put(f"/v1/orgs/{org}/seats/{seat}/holder", {"user_id": colleague["user_id"]}, owner["token"])
    assert given.status_code == 200 and given.json()["holder_id"] == colleague["user_id"], given.text
    message = tap.wait_for(lambda b: b["type"] == "SeatAssigned" and b["payload"]["seat_id"] == seat)
    events.validate(message["body"])
    assert allows(access_event(tap, colleague["user_id"], before)["grants"], "hosting", plan, "use")
    second = api.put(f"/v1/orgs/{org}/seats/{listed[1]['id']}/holder", {"user_id": colleague["user_id"]}, owner["token"])
    assert second.status_code == 409 and kind(second) == "seat-taken"
    assert api.delete(f"/v1/orgs/{org}/seats/{seat}/holder", owner["token"]).json()["holder_id"] is None


def test_OR_03_OR_06_an_invitation_brings_the_product_access_it_names(api, tap):
    from portico_kernel.product_access import allows

    owner, person = api.customer_with_org(), api.customer_with_org()
    wrong = api.post(f"/v1/orgs/{owner['org_id']}/invitations",
                     {"email": person["email"], "role": "external",
                      "product_access": [{"scope": "type", "product_type": "hosting", "rights": ["console"]}]}, owner["token"])
    assert wrong.status_code == 400 and wrong.json()["invalid_params"][0]["name"] == "rights", wrong.text
    response = api.post(f"/v1/orgs/{owner['org_id']}/invitations",
                        {"email": person["email"], "role": "external",
                         "product_access": [{"scope": "type", "product_type": "hosting", "rights": ["use", "statistics"]}]},
                        owner["token"])
    assert response.status_code == 201 and response.json()["product_access"][0]["rights"] == ["use", "statistics"]
    accepted = _accept_when_known(api, person, link_token(tap, response.json()["id"]))
    assert accepted.status_code == 200, accepted.text
    access = api.get(f"/v1/orgs/{owner['org_id']}/members/{person['user_id']}/access", owner["token"]).json()["grants"]
    assert allows(access, "hosting", "any-plan", "statistics") and not allows(access, "hosting", "any-plan", "manage")
