"""A security alert can never be dead-lettered by the address it goes to (ID-03, ID-04): each mail
is an email in the notifications service's database, a temporary failure is retried, a refused
address ends failed, and support sees it."""
from __future__ import annotations

import uuid

from tests.bus_tap import dead_letters
from tests.helpers import PASSWORD, device, eventually, problem
from tests.test_principals import STAFF_PASSWORD, create_staff


def support_agent_token(api) -> str:
    email = f"support-{uuid.uuid4().hex[:8]}@example.test"
    assert create_staff(email, "platform:support-agent:hosting").returncode == 0
    return api.login(email, STAFF_PASSWORD)["access_token"]


def deliveries(api, token: str, user_id: str) -> list[dict]:
    answer = api.get(f"/v1/notifications/people/{user_id}/emails", token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_ID_03_alert_mails_are_retried_refused_ones_shown_to_support_and_none_dead_lettered(api, stack, smtp):
    tag = uuid.uuid4().hex[:8]
    greylisted = api.signup(email=f"greylisted-{tag}@example.test")
    bouncing = api.signup(email=f"bouncing-{tag}@example.test")
    smtp.refuse(f"greylisted-{tag}", "451 4.7.1 Greylisted, please try again later", times=1)
    smtp.refuse(f"bouncing-{tag}", "550 5.1.1 Mailbox unavailable")
    stranger = device(stack)
    for person in (greylisted, bouncing):
        assert stranger.login(person["email"], "a wrong guess").status_code == 401

    # The temporary failure is retried: the owner gets the alert after all.
    mail = smtp.wait_for(to=greylisted["email"], subject_contains="wrong password", timeout=60)
    assert stranger.address in mail["body"]
    support = support_agent_token(api)
    sent = eventually(lambda: [d for d in deliveries(api, support, greylisted["id"]) if d["status"] == "sent"],
                      what="the retried alert recorded as sent")
    assert sent[0]["kind"] == "security-alert" and sent[0]["alert"] == "wrong-password"
    assert sent[0]["attempts"] == 2 and sent[0]["recipient"] == greylisted["email"]

    # The refused address: failed at once (the server said so for good), and visible to support.
    refused = eventually(lambda: [d for d in deliveries(api, support, bouncing["id"]) if d["status"] == "failed"],
                         timeout=60, what="the refused alert recorded as failed")
    assert refused[0]["attempts"] == 1 and refused[0]["last_error"].startswith("550")
    assert refused[0]["next_attempt_at"] is None and refused[0]["finished_at"]
    assert smtp.to(bouncing["email"]) == []

    # Nothing about either person was parked in a dead-letter queue.
    people = {greylisted["id"], bouncing["id"]}
    for service in ("identity", "notifications"):
        assert [m for m in dead_letters(service) if m["body"].get("payload", {}).get("user_id") in people] == []


def test_ID_07_a_refused_verification_link_is_shown_to_support_and_a_new_request_works(api, stack, smtp):
    person = api.customer_with_org()
    tag = uuid.uuid4().hex[:8]
    refusing, working = f"typo-{tag}@example.test", f"newhome-{tag}@example.test"
    smtp.refuse(f"typo-{tag}", "550 5.1.1 No such user")
    asked = api.post("/v1/me/email-change", {"new_email": refusing, "password": PASSWORD}, person["token"])
    assert asked.status_code == 202, asked.text
    support = support_agent_token(api)
    refused = eventually(lambda: [d for d in deliveries(api, support, person["user_id"]) if d["status"] == "failed"],
                         timeout=60, what="the refused verification mail recorded as failed")
    assert refused[0]["kind"] == "email-change" and refused[0]["recipient"] == refusing
    assert "alert" not in refused[0] and "token" not in str(refused[0])

    # The person notices and asks again with the right address: that link arrives and works.
    smtp.refuse(f"newhome-{tag}", "451 4.3.2 Try again later", times=1)
    asked = api.post("/v1/me/email-change", {"new_email": working, "password": PASSWORD}, person["token"])
    assert asked.status_code == 202, asked.text
    mail = smtp.wait_for(to=working, subject_contains="confirm", timeout=60)
    token = mail["body"].split("token=", 1)[1].split()[0]
    confirmed = api.post("/v1/me/email-change/confirm", {"token": token}, person["token"])
    assert confirmed.status_code == 200 and confirmed.json()["email"] == working
    for service in ("identity", "notifications"):
        assert [m for m in dead_letters(service) if m["body"].get("payload", {}).get("user_id") == person["user_id"]] == []


def test_ID_03_only_support_staff_see_a_persons_mails(api, stack):
    person = api.customer_with_org()
    other = api.customer_with_org()
    for token in (person["token"], other["token"]):
        problem(api.get(f"/v1/notifications/people/{person['user_id']}/emails", token), 403)
    clerk = f"clerk-{uuid.uuid4().hex[:8]}@example.test"
    assert create_staff(clerk, "platform:billing-clerk").returncode == 0
    clerk_token = api.login(clerk, STAFF_PASSWORD)["access_token"]
    problem(api.get(f"/v1/notifications/people/{person['user_id']}/emails", clerk_token), 403)
    support = support_agent_token(api)
    problem(api.get(f"/v1/notifications/people/{uuid.uuid4()}/emails", support), 404)
    # The person is known to the notifications service from identity's events, a moment after sign-up.
    eventually(lambda: api.get(f"/v1/notifications/people/{person['user_id']}/emails", support).status_code == 200,
               what="the person known to the notifications service")
    assert deliveries(api, support, person["user_id"]) == []


def test_ID_03_several_schedulers_send_each_alert_once(api, stack, smtp):
    """The notifications scheduler may run with several replicas: each due mail is claimed by one of them."""
    import os
    import subprocess
    import sys
    import time

    extra = [subprocess.Popen([sys.executable, "-m", "services.notifications.entrypoints.scheduler"], env=dict(os.environ),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        people = [api.signup(email=f"replicas-{uuid.uuid4().hex[:8]}@example.test") for _ in range(8)]
        stranger = device(stack)
        for person in people:
            assert stranger.login(person["email"], "a wrong guess").status_code == 401
        for person in people:
            smtp.wait_for(to=person["email"], subject_contains="wrong password", timeout=60)
        time.sleep(3)  # a second copy, if any scheduler sent one, would be here by now
        assert [len(smtp.to(person["email"], "wrong password")) for person in people] == [1] * len(people)
    finally:
        for process in extra:
            process.terminate()
        for process in extra:
            process.wait(timeout=30)
