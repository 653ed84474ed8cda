"""Bank transfers and returned direct debits read from the bank's statements (BI-06, BI-08, BI-10):
a billing clerk imports camt.054 and camt.053 files (built here and checked against the ISO 20022
XSD first); each credit pays the invoice its reference names, partly, fully or with the rest onto
the prepaid balance; what finds no invoice waits for a clerk; nothing is applied twice; a returned
direct debit reopens its invoice. The ledger balances after every scenario."""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest

from services.billing.domain.payment_reference import reference_for
from tests.helpers import bearer, problem
from tests.iso20022 import Tx, statement
from tests.test_billing_payments import (  # noqa: F401 (fixtures: the clerk, and the ledger checked after each test)
    Clerk, account_of, balance, clerk, invoice_now, ledger_balances_after_each_scenario, ledger_clerk, money_post,
    ordered,
)

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts" / "events"


@pytest.fixture(scope="module")
def tap(stack):
    from tests.bus_tap import Tap

    tap = Tap(f"billing-bank-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def import_file(api, token: str, raw: bytes, file_name: str | None = None, key: str | None = None):
    headers = {**bearer(token), "Content-Type": "application/xml", "Idempotency-Key": key or str(uuid.uuid4())}
    return api.http.post(api.url("/v1/billing/bank-statements"), data=raw, headers=headers, timeout=60,
                         params={"file_name": file_name} if file_name else None)


def imported(api, clerk, raw: bytes, status: int = 201) -> dict:
    answer = import_file(api, clerk.bearer(), raw, "statement.xml")
    assert answer.status_code == status, answer.text
    return answer.json()


def assign(api, clerk, entry_id: str, body: dict):
    return money_post(api, f"/v1/billing/bank-entries/{entry_id}/assignment", body, clerk.bearer())


def outcomes(result: dict) -> list[str]:
    return [e["outcome"] for e in result["entries"]]


def events_of(tap, kind: str, invoice_id: str) -> list[dict]:
    tap.drain(1.5)
    return [m["body"] for m in tap.messages if m["body"]["type"] == kind and m["body"]["payload"]["invoice_id"] == invoice_id]


def test_BI_06_BI_08_a_camt_054_transfer_pays_its_invoice_by_its_QR_reference_and_InvoicePaid_comes_once(api, clerk, tap):
    customer = api.customer_with_org(country="CH")
    invoice = ordered(api, customer)
    total, reference = invoice["total"]["amount_minor"], invoice["payment_reference"]
    assert reference.isdigit() and len(reference) == 27  # a QR reference: the CHF account is a QR-IBAN

    result = imported(api, clerk, statement([Tx(total, reference=reference)], kind="camt.054", version="08"))
    assert result["already_imported"] is False
    assert result["statement"]["kind"] == "camt.054" and result["statement"]["version"] == "camt.054.001.08"
    assert result["statement"]["file_name"] == "statement.xml"
    [entry] = result["entries"]
    assert entry["outcome"] == "paid" and entry["status"] == "matched" and entry["invoice_id"] == invoice["id"]
    assert entry["to_invoice"] == {"amount_minor": total, "currency": "CHF"} and entry["to_prepaid"]["amount_minor"] == 0
    now = invoice_now(api, customer, invoice)
    assert now["status"] == "paid" and now["outstanding"]["amount_minor"] == 0
    paid = tap.wait_for(lambda b: b["type"] == "InvoicePaid" and b["payload"]["invoice_id"] == invoice["id"])
    assert paid["body"]["payload"]["total"] == {"amount_minor": total, "currency": "CHF"}
    assert len(events_of(tap, "InvoicePaid", invoice["id"])) == 1

    # what the statement brought, for the clerk
    statement_id = result["statement"]["id"]
    shown = api.get(f"/v1/billing/bank-statements/{statement_id}", clerk.bearer()).json()
    assert shown["entries"]["matched"] == 1 and shown["entries"]["new"] == 1
    listed = api.get(f"/v1/billing/bank-statements/{statement_id}/entries", clerk.bearer())
    assert listed.status_code == 200 and [e["id"] for e in listed.json()] == [entry["id"]]
    assert api.get(f"/v1/billing/bank-entries/{entry['id']}", clerk.bearer()).json()["note"] == \
        f"{total // 100}.{total % 100:02d} CHF paid on invoice {invoice['number']}"
    assert statement_id in [s["id"] for s in api.get("/v1/billing/bank-statements", clerk.bearer()).json()]


@pytest.mark.parametrize("kind", ["camt.053", "camt.054"])
@pytest.mark.parametrize("version", ["02", "04", "08"])
def test_BI_06_every_version_banks_send_is_read_by_its_namespace(api, clerk, kind, version):
    customer = api.customer_with_org(country="DE")
    invoice = ordered(api, customer)
    raw = statement([Tx(invoice["total"]["amount_minor"], currency="EUR", reference=invoice["payment_reference"])],
                    kind=kind, version=version, currency="EUR")
    result = imported(api, clerk, raw)
    assert result["statement"]["version"] == f"{kind}.001.{version}" and outcomes(result) == ["paid"]
    assert invoice_now(api, customer, invoice)["status"] == "paid"


def test_BI_06_BI_10_a_part_then_the_rest_with_more_and_then_a_payment_of_a_paid_invoice_go_onto_the_balance(api, clerk):
    customer = api.customer_with_org(country="DE")
    invoice = ordered(api, customer)
    total, reference = invoice["total"]["amount_minor"], invoice["payment_reference"]
    assert reference.startswith("RF")
    spaced = " ".join(reference[i:i + 4] for i in range(0, len(reference), 4)).lower()

    # a part, the reference written in the free text (spaced, lower case) of a camt.053 of version 04
    part = imported(api, clerk, statement([Tx(1000, currency="EUR", text=f"Rechnung {spaced} vielen Dank")],
                                          kind="camt.053", version="04", currency="EUR"))
    assert outcomes(part) == ["partially_paid"] and part["entries"][0]["payment_reference"] == reference
    assert invoice_now(api, customer, invoice)["status"] == "partially_paid"
    assert invoice_now(api, customer, invoice)["outstanding"]["amount_minor"] == total - 1000

    # the rest and 12.34 more, in a camt.054 of version 02: the invoice is paid, the 12.34 on the balance
    rest = imported(api, clerk, statement([Tx(total - 1000 + 1234, currency="EUR", reference=reference)],
                                          kind="camt.054", version="02", currency="EUR"))
    assert outcomes(rest) == ["overpaid"]
    assert rest["entries"][0]["to_prepaid"] == {"amount_minor": 1234, "currency": "EUR"}
    assert invoice_now(api, customer, invoice)["status"] == "paid"
    assert balance(api, customer) == 1234

    # paid twice by the customer's bank: all of it onto the balance
    twice = imported(api, clerk, statement([Tx(total, currency="EUR", reference=reference)],
                                           kind="camt.053", version="08", currency="EUR"))
    assert outcomes(twice) == ["to_prepaid"] and twice["entries"][0]["invoice_id"] == invoice["id"]
    assert balance(api, customer) == 1234 + total
    movements = api.get(f"/v1/billing/accounts/{customer['org_id']}/prepaid-movements", customer["token"]).json()
    assert [m["amount"]["amount_minor"] for m in movements] == [total, 1234]


def test_BI_06_importing_the_same_file_again_or_its_entries_in_another_file_changes_nothing(api, clerk, tap):
    customer = api.customer_with_org(country="CH")
    invoice = ordered(api, customer)
    total, reference = invoice["total"]["amount_minor"], invoice["payment_reference"]
    transfer = Tx(total + 500, reference=reference)
    intraday = statement([transfer], kind="camt.054", version="04")
    first = imported(api, clerk, intraday)
    assert outcomes(first) == ["overpaid"] and balance(api, customer) == 500
    ledger_before = clerk.ledger()

    again = imported(api, clerk, intraday, status=200)
    assert again["already_imported"] is True and again["entries"] == []
    assert again["known_entries"] == [f"CH4431999123000889012:{transfer.bank_ref}"]
    assert again["statement"]["id"] == first["statement"]["id"]
    # the day's camt.053 reports the same entry (the bank's reference): known, not applied again
    day = imported(api, clerk, statement([transfer, Tx(100, text="no reference at all")], kind="camt.053", version="08"))
    assert day["known_entries"] == day["statement"]["known_entries"] == [f"CH4431999123000889012:{transfer.bank_ref}"]
    assert day["statement"]["entries"]["known"] == 1 and day["statement"]["entries"]["new"] == 1
    assert outcomes(day) == ["waiting"]

    # the same file from four clerks' windows at once: one import applies it
    raw = statement([Tx(300, reference=reference)], kind="camt.054", version="08")
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: import_file(api, clerk.bearer(), raw), range(4)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201], [a.text for a in answers]
    assert len({a.json()["statement"]["id"] for a in answers}) == 1
    assert balance(api, customer) == 800
    assert invoice_now(api, customer, invoice)["status"] == "paid"
    assert len(events_of(tap, "InvoicePaid", invoice["id"])) == 1
    after = clerk.ledger()
    assert after["balanced"] and after["trial_balance"] == ledger_before["trial_balance"]


def test_BI_06_BI_10_unmatched_entries_are_listed_and_a_clerk_assigns_each_once(api, clerk):
    customer = api.customer_with_org(country="CH")
    invoice = ordered(api, customer)
    total, reference = invoice["total"]["amount_minor"], invoice["payment_reference"]
    unknown = reference_for("CHF-2099-000001", "DE89370400440532013000")  # valid, and no invoice carries it
    result = imported(api, clerk, statement([
        Tx(total, text="Rechnung vom November"),  # no reference
        Tx(700, reference=unknown),  # nobody's reference
        Tx(total, currency="EUR", reference=reference),  # the invoice's reference, in the wrong currency
    ], kind="camt.054", version="08"))
    assert outcomes(result) == ["waiting", "waiting", "waiting"]
    notes = [e["note"] for e in result["entries"]]
    assert notes[0] == "no payment reference" and notes[1] == "no invoice carries this reference"
    assert "EUR" in notes[2] and "CHF" in notes[2]
    assert invoice_now(api, customer, invoice)["status"] == "open"
    no_reference, nobodys, wrong_currency = (e["id"] for e in result["entries"])

    waiting = api.get("/v1/billing/bank-entries", clerk.bearer(), params={"status": "unmatched", "limit": 200})
    assert waiting.status_code == 200
    assert {no_reference, nobodys, wrong_currency} <= {e["id"] for e in waiting.json()}

    # two clerks assign the same entry at once: one pays the invoice, the other is told
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: assign(api, clerk, no_reference, {"org_id": customer["org_id"],
                                                                            "invoice_id": invoice["id"]}), range(2)))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert problem(refused, 409)["type"].endswith("/bank-entry-already-matched")
    won = next(a for a in answers if a.status_code == 200).json()
    assert won["outcome"] == "paid" and won["matched_by"] and won["invoice_id"] == invoice["id"]
    assert invoice_now(api, customer, invoice)["status"] == "paid"

    onto_balance = assign(api, clerk, nobodys, {"org_id": customer["org_id"]})
    assert onto_balance.status_code == 200 and onto_balance.json()["outcome"] == "to_prepaid"
    assert balance(api, customer) == 700
    again = assign(api, clerk, nobodys, {"org_id": customer["org_id"]})
    assert problem(again, 409)["type"].endswith("/bank-entry-already-matched")

    mismatch = assign(api, clerk, wrong_currency, {"org_id": customer["org_id"], "invoice_id": invoice["id"]})
    assert problem(mismatch, 409)["type"].endswith("/currency-mismatch")
    mismatch = assign(api, clerk, wrong_currency, {"org_id": customer["org_id"]})
    assert problem(mismatch, 409)["type"].endswith("/currency-mismatch")
    assert api.get(f"/v1/billing/bank-entries/{wrong_currency}", clerk.bearer()).json()["status"] == "unmatched"
    stranger = api.customer_with_org(country="CH")
    elsewhere = assign(api, clerk, wrong_currency, {"org_id": stranger["org_id"], "invoice_id": invoice["id"]})
    assert elsewhere.status_code == 404  # the invoice is not the named organization's
    assert balance(api, customer) == 700

    statement_now = api.get(f"/v1/billing/bank-statements/{result['statement']['id']}", clerk.bearer()).json()
    assert statement_now["entries"]["matched"] == 2 and statement_now["entries"]["unmatched"] == 1


def test_BI_06_a_customer_neither_imports_nor_sees_bank_statements(api, clerk):
    customer = api.customer_with_org(country="CH")
    invoice = ordered(api, customer)
    raw = statement([Tx(invoice["total"]["amount_minor"], reference=invoice["payment_reference"])])
    refused = import_file(api, customer["token"], raw)
    assert problem(refused, 403)
    assert invoice_now(api, customer, invoice)["status"] == "open"
    for path in ("/v1/billing/bank-statements", "/v1/billing/bank-entries?status=unmatched"):
        assert api.get(path, customer["token"]).status_code == 403
    entry = imported(api, clerk, statement([Tx(100, text="unknown payer")]))["entries"][0]
    assert api.get(f"/v1/billing/bank-entries/{entry['id']}", customer["token"]).status_code == 403
    grab = money_post(api, f"/v1/billing/bank-entries/{entry['id']}/assignment", {"org_id": customer["org_id"]},
                      customer["token"])
    assert grab.status_code == 403 and balance(api, customer) == 0


HOSTILE = {
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
                      + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
                      + b']><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">&lol9;</Document>',
    "an external entity": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                          b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">&x;</Document>',
    "an external DTD": b'<?xml version="1.0"?><!DOCTYPE Document SYSTEM "http://127.0.0.1:9/x.dtd">'
                       b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"/>',
}
MALFORMED = {
    "not well-formed": (b"<Document><BkToCstmrDbtCdtNtfctn>", "not well-formed"),
    "another message": (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>', "camt.053 or camt.054"),
    "no message id": (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>'
                      b'<GrpHdr><CreDtTm>2026-11-26T08:00:00</CreDtTm></GrpHdr></BkToCstmrDbtCdtNtfctn></Document>',
                      "GrpHdr/MsgId is missing"),
}


@pytest.mark.parametrize("what", HOSTILE)
def test_BI_06_hostile_xml_is_a_400_naming_the_file_and_nothing_is_read(api, clerk, what):
    answer = import_file(api, clerk.bearer(), HOSTILE[what], file_name="evil.xml")
    refusal = problem(answer, 400)
    assert [p["name"] for p in refusal["invalid_params"]] == ["statement"]
    assert "evil.xml" in refusal["detail"] and "DTD" in refusal["detail"]
    assert "root:" not in answer.text and "lollollol" not in answer.text
    assert len(answer.content) < 2000


@pytest.mark.parametrize("what", MALFORMED)
def test_BI_06_a_malformed_statement_is_a_400_saying_what_is_wrong(api, clerk, what):
    raw, said = MALFORMED[what]
    refusal = problem(import_file(api, clerk.bearer(), raw, file_name="camt054.xml"), 400)
    assert "camt054.xml" in refusal["detail"] and said in refusal["detail"], refusal


def test_BI_06_a_statement_over_the_size_limit_is_a_413(api, clerk):
    raw = statement([Tx(100, text="x" * 140) for _ in range(10)])
    padded = raw.replace(b"<Ntry>", b" " * (1024 * 1024) + b"<Ntry>", 1)
    answer = import_file(api, clerk.bearer(), padded)
    assert answer.status_code == 413 and answer.json()["type"].endswith("/body-too-large")


def test_BI_08_a_returned_direct_debit_reopens_the_invoice_and_says_DirectDebitReturned(api, clerk, tap):
    customer = api.customer_with_org(country="DE")
    invoice = ordered(api, customer)
    total, reference = invoice["total"]["amount_minor"], invoice["payment_reference"]
    paid = imported(api, clerk, statement([Tx(total, currency="EUR", reference=reference)], currency="EUR"))
    assert outcomes(paid) == ["paid"] and invoice_now(api, customer, invoice)["status"] == "paid"

    returned = Tx(total, currency="EUR", credit=False, end_to_end_id=reference, return_code="MD06",
                  return_info="Refund request by the debtor", family=("PMNT", "IDDT", "UPDD"))
    result = imported(api, clerk, statement([returned], kind="camt.053", version="08", currency="EUR"))
    [entry] = result["entries"]
    assert entry["outcome"] == "returned" and entry["return_code"] == "MD06" and entry["invoice_id"] == invoice["id"]
    now = invoice_now(api, customer, invoice)
    assert now["status"] == "open" and now["outstanding"]["amount_minor"] == total  # the organization owes it again
    event = tap.wait_for(lambda b: b["type"] == "DirectDebitReturned" and b["payload"]["invoice_id"] == invoice["id"])
    payload = event["body"]["payload"]
    schema = json.loads((CONTRACTS / "DirectDebitReturned.v1.schema.json").read_text())
    jsonschema.validate(payload, schema, format_checker=jsonschema.FormatChecker())
    assert payload["amount"] == {"amount_minor": total, "currency": "EUR"} and payload["reason_code"] == "MD06"
    assert payload["returned_on"] == "2026-11-26" and payload["number"] == invoice["number"]

    # the same return reported again changes nothing; a return of more than was paid waits for a clerk
    again = imported(api, clerk, statement([returned], kind="camt.054", version="04", currency="EUR"))
    assert again["statement"]["entries"]["known"] == 1 and again["entries"] == []
    too_much = imported(api, clerk, statement([Tx(total, currency="EUR", credit=False, end_to_end_id=reference,
                                                  return_code="AC04")], currency="EUR"))
    assert outcomes(too_much) == ["waiting"] and "open" in too_much["entries"][0]["note"]
    assert len(events_of(tap, "DirectDebitReturned", invoice["id"])) == 1

    # paid again by transfer: InvoicePaid once more, for the second time it became paid
    imported(api, clerk, statement([Tx(total, currency="EUR", reference=reference)], currency="EUR"))
    assert invoice_now(api, customer, invoice)["status"] == "paid"
