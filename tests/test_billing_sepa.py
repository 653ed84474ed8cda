"""SEPA direct debit end to end through the gateway (BI-08, BI-06): mandates with a checked IBAN,
B2B for businesses only and its form, paying an invoice by direct debit, and billing's clerk
exporting the collections due as pain.008 files that validate against the schema, each invoice
collected once however many exports run, and paid once."""
from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers import bearer, eventually, problem
from tests.test_billing import GERMAN_COMPANY, billing_customer
from tests.test_billing_payments import (  # noqa: F401 - the ledger balances after every scenario
    ledger_balances_after_each_scenario, ledger_clerk, money_post, ordered,
)

GERMAN_IBAN = "DE89 3704 0044 0532 0130 00"
AUSTRIAN_IBAN = "AT611904300234573201"
SWISS_IBAN = "CH9300762011623852957"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
EXPORTS = "/v1/billing/direct-debit-exports"


@pytest.fixture(scope="module")
def tap(stack):
    from tests.bus_tap import Tap

    tap = Tap(f"billing-sepa-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


@pytest.fixture(scope="module")
def clerk(ledger_clerk):
    return ledger_clerk


def mandate(api, customer, scheme="CORE", iban=GERMAN_IBAN, signed_on=None, **extra):
    body = {"account_holder": "Erika Mustermann", "iban": iban, "scheme": scheme,
            "signed_on": (signed_on or date.today()).isoformat(), **extra}
    return api.post(f"/v1/billing/accounts/{customer['org_id']}/sepa-mandates", body, customer["token"])


def method_path(customer, invoice) -> str:
    return f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}/payment-method"


def export(api, clerk, key=None):
    return money_post(api, EXPORTS, None, clerk.bearer(), key)


def file_of(api, clerk, href: str) -> bytes:
    answer = api.get(href, clerk.bearer())
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/xml"), answer.text
    return answer.content


def validated(content: bytes):
    """The file, parsed without resolving anything, and valid against sepaxml's pain.008 XSD."""
    import sepaxml

    schema = etree.XMLSchema(etree.parse(str(Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.08.xsd")))
    document = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    schema.assertValid(document)
    return document


def debits_of(document) -> dict[str, dict]:
    """Each transaction by its EndToEndId, with what its payment information block says."""
    found = {}
    for block in document.iterfind(".//p:PmtInf", NS):
        for tx in block.iterfind("p:DrctDbtTxInf", NS):
            found[tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS)] = {
                "scheme": block.findtext("p:PmtTpInf/p:LclInstrm/p:Cd", namespaces=NS),
                "sequence": block.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS),
                "date": block.findtext("p:ReqdColltnDt", namespaces=NS),
                "amount": tx.findtext("p:InstdAmt", namespaces=NS),
                "mandate": tx.findtext(".//p:MndtId", namespaces=NS),
                "remittance": tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS),
                "iban": tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
                "creditor_id": block.findtext("p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS)}
    return found


def collected(api, clerk) -> list[str]:
    """Every invoice in every export so far (an export's collections, by id)."""
    ids = []
    url = f"{EXPORTS}?limit=200"
    exports = api.get(url, clerk.bearer())
    assert exports.status_code == 200, exports.text
    for made in exports.json():
        ids += [c["invoice_id"] for c in api.get(f"{EXPORTS}/{made['id']}", clerk.bearer()).json()["collections"]]
    return ids


def test_BI_08_a_mandate_with_an_invalid_IBAN_or_a_future_signature_is_refused_naming_the_field(api):
    customer = billing_customer(api, "DE")
    wrong = problem(mandate(api, customer, iban="DE89 3704 0044 0532 0130 01"), 400)
    assert [p["name"] for p in wrong["invalid_params"]] == ["iban"], wrong
    garbage = problem(mandate(api, customer, iban="not an iban"), 400)
    assert [p["name"] for p in garbage["invalid_params"]] == ["iban"], garbage
    future = problem(mandate(api, customer, signed_on=date.today() + timedelta(days=2)), 400)
    assert [p["name"] for p in future["invalid_params"]] == ["signed_on"], future
    listed = api.get(f"/v1/billing/accounts/{customer['org_id']}/sepa-mandates", customer["token"])
    assert listed.status_code == 200 and listed.json() == []


def test_BI_08_B2B_direct_debit_is_refused_for_a_private_customer(api):
    customer = billing_customer(api, "DE")  # a personal organization: private
    refused = problem(mandate(api, customer, scheme="B2B"), 400)
    assert [p["name"] for p in refused["invalid_params"]] == ["scheme"], refused
    assert "business" in refused["detail"]


def test_BI_08_a_business_registers_a_B2B_mandate_downloads_its_form_and_a_new_mandate_replaces_it(api):
    business = billing_customer(api, "DE", GERMAN_COMPANY)
    made = mandate(api, business, scheme="B2B")
    assert made.status_code == 201, made.text
    first = made.json()
    assert first["status"] == "active" and first["scheme"] == "B2B"
    assert first["iban"] == "*" * 18 + "3000" and "3704" not in first["iban"]  # masked but the last four
    assert first["bic"] == "COBADEFFXXX"  # derived from the IBAN
    assert first["creditor_id"] == "DE98ZZZ09999999999"
    assert re.fullmatch(r"[A-Za-z0-9/\-?:().,'+ ]{1,35}", first["reference"])
    form = api.get(f"/v1/billing/accounts/{business['org_id']}/sepa-mandates/{first['id']}/form", business["token"])
    assert form.status_code == 200 and form.headers["content-type"] == "application/pdf"
    assert form.content.startswith(b"%PDF") and len(form.content) > 1000
    second = mandate(api, business, iban=AUSTRIAN_IBAN)
    assert second.status_code == 201, second.text
    assert second.json()["reference"] != first["reference"]
    listed = api.get(f"/v1/billing/accounts/{business['org_id']}/sepa-mandates", business["token"]).json()
    assert [(m["id"], m["status"]) for m in listed] == [(second.json()["id"], "active"), (first["id"], "replaced")]


def test_BI_06_BI_08_direct_debit_is_chosen_for_an_open_invoice_only_with_an_active_mandate(api):
    customer = billing_customer(api, "DE")
    invoice = ordered(api, customer)
    path = method_path(customer, invoice)
    assert api.get(path, customer["token"]).json()["payment_method"] == "bank_transfer"
    refused = problem(api.put(path, {"method": "sepa_direct_debit"}, customer["token"]), 409)
    assert refused["type"].endswith("/no-active-mandate")
    made = mandate(api, customer)
    assert made.status_code == 201, made.text
    changed = api.put(path, {"method": "sepa_direct_debit"}, customer["token"])
    assert changed.status_code == 200 and changed.json()["payment_method"] == "sepa_direct_debit", changed.text
    assert api.get(path, customer["token"]).json()["payment_method"] == "sepa_direct_debit"
    # with an active mandate, the organization's new invoices are collected by direct debit
    later = ordered(api, customer)
    assert api.get(method_path(customer, later), customer["token"]).json()["payment_method"] == "sepa_direct_debit"
    # revoked: nothing more is collected, the waiting invoices go back to bank transfer
    revoked = api.post(f"/v1/billing/accounts/{customer['org_id']}/sepa-mandates/{made.json()['id']}/revocation",
                       None, customer["token"])
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked", revoked.text
    assert api.get(path, customer["token"]).json()["payment_method"] == "bank_transfer"
    again = api.post(f"/v1/billing/accounts/{customer['org_id']}/sepa-mandates/{made.json()['id']}/revocation",
                     None, customer["token"])
    assert problem(again, 409)["type"].endswith("/mandate-not-active")
    assert problem(api.put(path, {"method": "sepa_direct_debit"}, customer["token"]), 409)


def test_BI_08_a_CHF_invoice_is_not_collected_by_SEPA(api):
    swiss = billing_customer(api, "CH")
    assert mandate(api, swiss, iban=SWISS_IBAN).status_code == 201
    invoice = ordered(api, swiss)
    assert invoice["currency"] == "CHF"
    path = method_path(swiss, invoice)
    assert api.get(path, swiss["token"]).json()["payment_method"] == "bank_transfer"
    refused = problem(api.put(path, {"method": "sepa_direct_debit"}, swiss["token"]), 409)
    assert refused["type"].endswith("/direct-debit-not-possible") and "euros" in refused["detail"]


def test_BI_08_the_clerk_exports_the_debits_due_as_valid_pain_008_each_invoice_once_and_it_is_paid(api, clerk, tap):
    customer = billing_customer(api, "DE")
    made = mandate(api, customer).json()
    invoice = ordered(api, customer)  # collected by direct debit by default
    missing_key = problem(api.post(EXPORTS, None, clerk.bearer()), 400)
    assert [p["name"] for p in missing_key["invalid_params"]] == ["Idempotency-Key"]
    key = str(uuid.uuid4())
    first = export(api, clerk, key)
    assert first.status_code == 201, first.text
    [mine] = [c for c in first.json()["collections"] if c["invoice_id"] == invoice["id"]]
    assert mine["sequence_type"] == "FRST" and mine["end_to_end_id"] == invoice["payment_reference"]
    assert mine["amount"] == invoice["total"]
    assert date.fromisoformat(mine["collection_date"]) > date.today()  # at least a business day ahead
    replayed = export(api, clerk, key)  # the same key: the same export, nothing collected twice
    assert replayed.status_code == 201 and replayed.headers.get("Idempotency-Replayed") == "true"
    assert replayed.json()["id"] == first.json()["id"]
    [core] = [f for f in first.json()["files"] if f["scheme"] == "CORE"]
    document = validated(file_of(api, clerk, core["href"]))
    debit = debits_of(document)[invoice["payment_reference"]]
    assert debit["scheme"] == "CORE" and debit["sequence"] == "FRST" and debit["mandate"] == made["reference"]
    assert debit["remittance"] == invoice["number"] and debit["iban"] == GERMAN_IBAN.replace(" ", "")
    assert debit["creditor_id"] == "DE98ZZZ09999999999" and debit["date"] == mine["collection_date"]
    assert file_of(api, clerk, core["href"]) == file_of(api, clerk, core["href"])  # downloaded again, the same
    # the invoice is paid by the export, once
    now = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}", customer["token"]).json()
    assert now["status"] == "paid" and now["outstanding"]["amount_minor"] == 0
    paid = tap.wait_for(lambda b: b["type"] == "InvoicePaid" and b["payload"]["invoice_id"] == invoice["id"])
    assert paid["body"]["payload"]["total"] == invoice["total"]
    # the next invoice of the mandate is a recurring debit, in a later export; the first is not again
    following = ordered(api, customer)
    second = export(api, clerk)
    assert second.status_code == 201, second.text
    ids = [c["invoice_id"] for c in second.json()["collections"]]
    assert following["id"] in ids and invoice["id"] not in ids
    [core] = [f for f in second.json()["files"] if f["scheme"] == "CORE"]
    again = debits_of(validated(file_of(api, clerk, core["href"])))
    assert again[following["payment_reference"]]["sequence"] == "RCUR" and invoice["payment_reference"] not in again
    nothing = export(api, clerk)
    assert problem(nothing, 409)["type"].endswith("/nothing-to-collect")
    listed = api.get(EXPORTS, clerk.bearer()).json()
    assert {first.json()["id"], second.json()["id"]} <= {e["id"] for e in listed}
    tap.drain(1.5)
    assert len([m for m in tap.messages if m["body"]["type"] == "InvoicePaid"
                and m["body"]["payload"]["invoice_id"] == invoice["id"]]) == 1


def test_BI_08_B2B_and_CORE_debits_go_to_separate_files(api, clerk):
    business = billing_customer(api, "DE", GERMAN_COMPANY)
    assert mandate(api, business, scheme="B2B").status_code == 201
    person = billing_customer(api, "DE")
    assert mandate(api, person).status_code == 201
    b2b_invoice, core_invoice = ordered(api, business), ordered(api, person)
    made = export(api, clerk)
    assert made.status_code == 201, made.text
    files = {f["scheme"]: debits_of(validated(file_of(api, clerk, f["href"]))) for f in made.json()["files"]}
    assert files["B2B"][b2b_invoice["payment_reference"]]["scheme"] == "B2B"
    assert files["CORE"][core_invoice["payment_reference"]]["scheme"] == "CORE"
    assert b2b_invoice["payment_reference"] not in files["CORE"]


def test_BI_08_exports_at_the_same_moment_collect_each_invoice_once(api, clerk):
    invoices = []
    for _ in range(3):
        customer = billing_customer(api, "DE")
        assert mandate(api, customer).status_code == 201
        invoices += [ordered(api, customer)["id"], ordered(api, customer)["id"]]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: export(api, clerk), range(6)))
    assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    assert all(problem(a, 409)["type"].endswith("/nothing-to-collect") for a in answers if a.status_code == 409)
    in_answers = [c["invoice_id"] for a in answers if a.status_code == 201 for c in a.json()["collections"]]
    assert set(invoices) <= set(in_answers) and len(in_answers) == len(set(in_answers))
    everything = collected(api, clerk)
    assert len(everything) == len(set(everything))  # no invoice in two exports, ever


def test_BI_08_a_customer_cannot_export_nor_read_the_exports(api):
    customer = billing_customer(api, "DE")
    refused = money_post(api, EXPORTS, None, customer["token"])
    assert problem(refused, 403)
    assert problem(api.get(EXPORTS, customer["token"]), 403)


def test_BI_08_BI_15_another_organizations_mandate_is_not_found(api):
    owner, stranger = billing_customer(api, "DE"), billing_customer(api, "DE")
    made = mandate(api, owner).json()
    for path in (f"/v1/billing/accounts/{stranger['org_id']}/sepa-mandates/{made['id']}",
                 f"/v1/billing/accounts/{stranger['org_id']}/sepa-mandates/{made['id']}/form"):
        assert problem(api.get(path, stranger["token"]), 404)
    revoke = api.post(f"/v1/billing/accounts/{stranger['org_id']}/sepa-mandates/{made['id']}/revocation", None,
                      stranger["token"])
    assert problem(revoke, 404)
    theirs = api.get(f"/v1/billing/accounts/{owner['org_id']}/sepa-mandates/{made['id']}", stranger["token"])
    assert theirs.status_code in (403, 404)
    listed = api.get(f"/v1/billing/accounts/{owner['org_id']}/sepa-mandates", owner["token"]).json()
    assert [m["status"] for m in listed] == ["active"]


def test_BI_08_a_direct_debit_the_bank_returns_reopens_the_invoice_which_is_then_paid_by_transfer(api, clerk, tap):
    """The whole rail: a mandate, the export that collects the invoice, and the bank's statement
    reporting the debit returned (MD06, the debtor asked for a refund) by its EndToEndId."""
    from tests.iso20022 import Tx, statement
    from tests.test_billing_bank_statements import imported

    customer = billing_customer(api, "DE")
    assert mandate(api, customer).status_code == 201
    invoice = ordered(api, customer)
    assert api.get(method_path(customer, invoice), customer["token"]).json()["payment_method"] == "sepa_direct_debit"
    assert export(api, clerk).status_code == 201
    invoice_path = f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}"
    assert api.get(invoice_path, customer["token"]).json()["status"] == "paid"

    total, reference = invoice["total"]["amount_minor"], invoice["payment_reference"]
    returned = Tx(total, currency="EUR", credit=False, end_to_end_id=reference, return_code="MD06",
                  return_info="Refund request by the debtor", family=("PMNT", "IDDT", "UPDD"))
    [entry] = imported(api, clerk, statement([returned], kind="camt.054", currency="EUR"))["entries"]
    assert entry["outcome"] == "returned" and entry["invoice_id"] == invoice["id"]
    now = api.get(invoice_path, customer["token"]).json()
    assert now["status"] == "open" and now["outstanding"]["amount_minor"] == total
    event = tap.wait_for(lambda b: b["type"] == "DirectDebitReturned" and b["payload"]["invoice_id"] == invoice["id"])
    assert event["body"]["payload"]["reason_code"] == "MD06"
    # its debit is spent: it is paid by transfer now, and no later export collects it again
    assert api.get(method_path(customer, invoice), customer["token"]).json()["payment_method"] == "bank_transfer"
    later = export(api, clerk)  # other tests' invoices may be due; this one is not among them
    assert later.status_code in (201, 409), later.text
    if later.status_code == 201:
        assert invoice["id"] not in [c["invoice_id"] for c in later.json()["collections"]]
    [paid] = imported(api, clerk, statement([Tx(total, currency="EUR", reference=reference)], currency="EUR"))["entries"]
    assert paid["outcome"] == "paid" and api.get(invoice_path, customer["token"]).json()["status"] == "paid"
