"""Bank statements' rules (BI-06, BI-08, BI-10): which invoice an entry names, how a credit splits
between the invoice and the prepaid balance, when a returned direct debit reopens an invoice, and
an import against in-memory fakes: each entry applied once, the ledger balanced and agreeing."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from portico_kernel.errors import Conflict, Forbidden, Invalid
from portico_kernel.principal import Principal
from services.billing.domain import bank_statements as bank
from services.billing.domain.bank_statements import CREDIT, DEBIT, Statement, StatementEntry
from services.billing.domain.invoices import OPEN, PAID, PARTIALLY_PAID, InvoiceRefused, issue, number, reopen
from services.billing.domain.issuing import Document
from services.billing.domain.ledger import Ledger
from services.billing.domain.model import BillingAccount
from services.billing.domain.money import Money
from services.billing.domain.payment_reference import reference_for
from services.billing.domain.prepaid import entry as posting
from services.billing.domain.vat import treatment
from tests.unit.billing_fakes import FakeDunning, FakeInvoices
from tests.unit.fakes import FakeUnitOfWork

ORG = "00000000-0000-4000-8000-000000000001"
CLERK = Principal(user_id="clerk-1", kind="staff", org_id=None, roles=("platform:billing-clerk",))
CUSTOMER = Principal(user_id="u-1", kind="customer", org_id=ORG, roles=("legal_representative",))
QR_IBAN, IBAN = "CH4431999123000889012", "DE89370400440532013000"


def _invoice(sequence: int, currency: str = "CHF", net: int = 10000):
    invoice = issue(f"00000000-0000-4000-8000-{sequence:012d}", number(currency, 2026, sequence), ORG, currency,
                    [("Hosting", Money(net, currency))], date(2026, 3, 2), date(2026, 4, 1),
                    treatment("DE", date(2026, 3, 2), valid_vat_id=False))
    iban = QR_IBAN if currency == "CHF" else IBAN
    return Document(invoice, "invoice", datetime(2026, 3, 2, tzinfo=timezone.utc), {}, {}, (("p", None),), None,
                    reference_for(invoice.number, iban))


# --- the rules ---------------------------------------------------------------------------------------

def test_BI_06_references_are_found_structured_first_then_in_the_free_text_however_written():
    qr = reference_for("CHF-2026-000042", QR_IBAN)
    rf = reference_for("EUR-2026-000007", IBAN)
    assert bank.references_in((qr,), "") == [qr]
    grouped = " ".join([qr[:2]] + [qr[i:i + 5] for i in range(2, 27, 5)])
    assert bank.references_in((), f"Rechnung {grouped} Danke") == [qr]
    assert bank.references_in((), f"invoice {rf.lower()[:4]} {rf.lower()[4:]}, thanks") == [rf]
    assert bank.references_in(("not a reference",), f"for {rf}") == [rf]
    assert bank.references_in((rf,), f"also {rf}") == [rf]  # once
    assert bank.references_in((), "RF00 BROKEN 123456") == []  # a wrong check digit is no reference
    assert bank.references_in((), qr[:-1] + str((int(qr[-1]) + 1) % 10)) == []


def test_BI_06_BI_10_a_credit_pays_what_is_owed_and_the_rest_goes_onto_the_balance():
    invoice = _invoice(1).invoice  # 100.00 net
    total = invoice.total.minor
    assert bank.split_credit(invoice, total) == (total, 0)
    assert bank.split_credit(invoice, 1000) == (1000, 0)
    assert bank.split_credit(invoice, total + 55) == (total, 55)
    partly = replace(invoice, paid=Money(total - 100, "CHF"), status=PARTIALLY_PAID)
    assert bank.split_credit(partly, 500) == (100, 400)
    paid = replace(invoice, paid=invoice.total, status=PAID)
    assert bank.split_credit(paid, 700) == (0, 700)  # paid already: all of it onto the balance
    assert bank.split_credit(replace(invoice, status="cancelled"), 700) == (0, 700)


def test_BI_08_a_return_reopens_a_paid_invoice_by_what_was_returned_never_more_than_was_paid():
    invoice = _invoice(1).invoice
    paid = replace(invoice, paid=invoice.total, status=PAID)
    assert bank.returnable(paid, invoice.total.minor) is None
    assert reopen(paid, invoice.total).status == OPEN
    assert reopen(paid, Money(100, "CHF")).status == PARTIALLY_PAID
    assert reopen(paid, Money(100, "CHF")).outstanding == Money(100, "CHF")
    assert "open" in bank.returnable(invoice, 100)
    assert "more than" in bank.returnable(paid, invoice.total.minor + 1)
    with pytest.raises(InvoiceRefused):
        reopen(invoice, Money(1, "CHF"))


def test_BI_06_an_entry_finds_its_invoice_only_in_the_invoices_currency():
    document = _invoice(3)
    by_reference = {document.payment_reference: document}.get

    def credit(**fields):
        return StatementEntry("k", CREDIT, Money(100, fields.get("currency", "CHF")), fields.pop("currency", "CHF"),
                              100, **fields)

    assert bank.find_invoice(credit(references=(document.payment_reference,)), by_reference).document is document
    wrong = bank.find_invoice(credit(references=(document.payment_reference,), currency="EUR"), by_reference)
    assert wrong.document is None and "EUR" in wrong.reason
    assert bank.find_invoice(credit(remittance_text="thanks"), by_reference).reason == "no payment reference"
    other = reference_for("CHF-2026-000099", QR_IBAN)
    assert bank.find_invoice(credit(references=(other,)), by_reference).reason == "no invoice carries this reference"
    debit = StatementEntry("k", DEBIT, Money(100, "CHF"), "CHF", 100, end_to_end_id=document.payment_reference,
                           return_code="AM04")
    assert bank.find_invoice(debit, by_reference).document is document
    # a transfer whose payer put the reference in the end-to-end id only
    assert bank.find_invoice(credit(end_to_end_id=document.payment_reference), by_reference).document is document


def test_BI_08_a_direct_debits_collection_credit_is_not_counted_twice():
    collected = StatementEntry("k", CREDIT, Money(100, "EUR"), "EUR", 100, bank_code="PMNT/RDDT/ESDD")
    assert bank.is_collection(collected)
    assert bank.is_collection(replace(collected, bank_code=None, mandate_id="M-1"))
    assert not bank.is_collection(replace(collected, bank_code="PMNT/RCDT/ESCT"))


# --- an import against fakes ------------------------------------------------------------------------

class Receivables:
    def __init__(self, invoices: FakeInvoices):
        self.invoices = invoices

    def locked(self, invoice_id):
        return self.invoices.get(invoice_id).invoice

    def save(self, invoice):
        self.invoices.save_status(invoice)


class Accounts:
    def __init__(self, *accounts):
        self.rows = {a.org_id: a for a in accounts}

    def of_org(self, org_id):
        return self.rows.get(org_id)

    locked_of_org = of_org


class Movements(list):
    def add(self, movement):
        self.append(movement)


class Bank:
    """Statements and entries, unique by the file's identity and the entry's key, as the tables are."""

    def __init__(self):
        self.statements, self.entries = {}, {}

    def serialized(self):
        pass

    def statement_by_identity(self, message_id, content_hash):
        return next((s for s in self.statements.values()
                     if (s.message_id, s.content_hash) == (message_id, content_hash)), None)

    def add_statement(self, statement):
        if self.statement_by_identity(statement.message_id, statement.content_hash):
            return False
        self.statements[statement.id] = statement
        return True

    def save_statement(self, statement):
        self.statements[statement.id] = statement

    def claim_entry(self, entry):
        if any(e.key == entry.key for e in self.entries.values()):
            return False
        self.entries[entry.id] = replace(entry)
        return True

    def save_entry(self, entry, only_if=None):
        if only_if is not None and self.entries[entry.id].status != only_if:
            return False
        self.entries[entry.id] = replace(entry)
        return True

    def locked_entry(self, entry_id):
        found = self.entries.get(entry_id)
        return replace(found) if found else None

    def count_assigned(self, statement_id):
        self.statements[statement_id].matched_count += 1
        self.statements[statement_id].unmatched_count -= 1


class NoCollections:
    """No invoice here was collected by a direct debit of Portico's."""

    def of_invoice(self, invoice_id):
        return None


class World:
    def __init__(self, clock, *documents):
        self.invoices = FakeInvoices()
        self.account = BillingAccount("acc-1", ORG, "CHF", balance_minor=0)
        self.uow = FakeUnitOfWork(clock, invoices=self.invoices, receivables=Receivables(self.invoices),
                                  accounts=Accounts(self.account), movements=Movements(), ledger=Ledger(), bank=Bank(), dunning=FakeDunning(),
                                  collections=NoCollections())
        for document in documents:
            self.invoices.add(document)
            self.uow.ledger.post(posting("invoice", clock.now(), "CHF", document.invoice.total.minor,
                                         debit=f"receivable:{ORG}", credit="revenue"))

    def import_(self, *entries, message_id="M-1", content_hash="h1"):
        statement = Statement(message_id, "camt.054", "camt.054.001.08", content_hash, None, QR_IBAN, tuple(entries))
        return bank.import_statement(self.uow, CLERK, statement, "file.xml")

    def invoice(self, document):
        return self.invoices.get(document.invoice.id).invoice

    def events(self, name):
        return [e for e, _ in self.uow.emitted if type(e).__name__ == name]

    def assert_ledger_agrees(self):
        ledger = self.uow.ledger
        assert all(v == 0 for v in ledger.trial_balance().values())
        assert -ledger.balance(f"prepaid:{ORG}", "CHF").minor == self.account.balance_minor
        owed = sum(d.invoice.outstanding.minor for d in self.invoices.documents.values()
                   if d.invoice.status in (OPEN, PARTIALLY_PAID))
        assert ledger.balance(f"receivable:{ORG}", "CHF").minor == owed


def credit(key, minor, reference=None, text="", currency="CHF"):
    return StatementEntry(key, CREDIT, Money(minor, currency), currency, minor,
                          references=(reference,) if reference else (), remittance_text=text)


def test_BI_06_BI_10_an_import_pays_overpays_and_leaves_the_rest_waiting_each_entry_once(clock):
    first, second = _invoice(1), _invoice(2)
    world = World(clock, first, second)
    total = first.invoice.total.minor
    result = world.import_(credit("a", total, first.payment_reference),
                           credit("b", total + 250, text=f"Rechnung {second.payment_reference}"),
                           credit("c", 999, text="keine Referenz"))
    assert [e.outcome for e in result.entries] == ["paid", "overpaid", "waiting"]
    assert world.invoice(first).status == PAID and world.invoice(second).status == PAID
    assert world.account.balance_minor == 250
    assert len(world.events("InvoicePaid")) == 2
    assert result.statement.matched_count == 2 and result.statement.unmatched_count == 1
    world.assert_ledger_agrees()

    # the same file again: known; another file with an entry of it: that entry is not applied again
    again = world.import_(credit("a", total, first.payment_reference))
    assert again.already_imported and again.known_entries == ("a",)
    later = world.import_(credit("a", total, first.payment_reference), message_id="M-2", content_hash="h2")
    assert later.statement.known_entries == ["a"] and later.entries == ()
    assert world.account.balance_minor == 250 and len(world.events("InvoicePaid")) == 2

    # the clerk gives the waiting entry to the organization's balance, once
    waiting = result.entries[2]
    assigned = bank.assign(world.uow, CLERK, waiting.id, ORG, None)
    assert assigned.outcome == "to_prepaid" and assigned.matched_by == "clerk-1"
    assert world.account.balance_minor == 250 + 999
    with pytest.raises(Conflict):
        bank.assign(world.uow, CLERK, waiting.id, ORG, None)
    world.assert_ledger_agrees()


def test_BI_08_a_returned_debit_reopens_its_invoice_and_emits_DirectDebitReturned(clock):
    document = _invoice(1)
    world = World(clock, document)
    total = document.invoice.total.minor
    world.import_(credit("pay", total, document.payment_reference))
    returned = StatementEntry("ret", DEBIT, Money(total, "CHF"), "CHF", total, booked_on=date(2026, 3, 9),
                              end_to_end_id=document.payment_reference, return_code="AC04",
                              return_reason="account closed")
    result = world.import_(returned, message_id="M-2", content_hash="h2")
    assert [e.outcome for e in result.entries] == ["returned"]
    assert world.invoice(document).status == OPEN and world.invoice(document).outstanding.minor == total
    [event] = world.events("DirectDebitReturned")
    assert (event.reason_code, event.returned_on, event.amount) == ("AC04", "2026-03-09",
                                                                    {"amount_minor": total, "currency": "CHF"})
    world.assert_ledger_agrees()
    # a debit that is no return is not billing's
    fee = StatementEntry("fee", DEBIT, Money(500, "CHF"), "CHF", 500)
    assert [e.outcome for e in world.import_(fee, message_id="M-3", content_hash="h3").entries] == ["not_ours"]


def test_BI_08_a_clerk_gives_a_return_without_a_known_reference_to_its_invoice(clock):
    document = _invoice(1)
    world = World(clock, document)
    total = document.invoice.total.minor
    world.import_(credit("pay", total, document.payment_reference))
    returned = StatementEntry("ret", DEBIT, Money(2000, "CHF"), "CHF", 2000, end_to_end_id="NOTPROVIDED",
                              return_code="AM04")
    [waiting] = world.import_(returned, message_id="M-2", content_hash="h2").entries
    assert waiting.status == "unmatched" and world.invoice(document).status == PAID
    with pytest.raises(Invalid):
        bank.assign(world.uow, CLERK, waiting.id, ORG, None)  # a return is not the balance's
    assigned = bank.assign(world.uow, CLERK, waiting.id, ORG, document.invoice.id)
    assert assigned.outcome == "returned" and world.invoice(document).status == PARTIALLY_PAID
    assert world.invoice(document).outstanding.minor == 2000
    assert [e.reason_code for e in world.events("DirectDebitReturned")] == ["AM04"]
    world.assert_ledger_agrees()


def test_BI_06_only_billing_staff_import_or_assign(clock):
    world = World(clock)
    with pytest.raises(Forbidden):
        bank.import_statement(world.uow, CUSTOMER, Statement("M", "camt.054", "v", "h", None, None, ()), None)
    with pytest.raises(Forbidden):
        bank.assign(world.uow, CUSTOMER, "any", ORG, None)


# --- reading the bank's files (adapters/camt.py) -----------------------------------------------------

BATCH = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>STMT-1</MsgId><CreDtTm>2026-11-26T08:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>CH4431999123000889012</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-26</Dt></Dt></Bal>
<Ntry><Amt Ccy="CHF">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2026-11-25T10:00:00</DtTm></BookgDt>
<AcctSvcrRef>E-1</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
<TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy="CHF">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<RmtInf><Ustrd>first</Ustrd></RmtInf></TxDtls>
<TxDtls><Refs><AcctSvcrRef>T-2</AcctSvcrRef></Refs><Amt Ccy="CHF">20.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<RltdPties><Dbtr><Pty><Nm>Beispiel GmbH</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Strd><CdtrRefInf><Ref>RF18 5390 0754 7034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>
</NtryDtls></Ntry>
<Ntry><Amt Ccy="CHF">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts><BkTxCd/></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def test_BI_06_a_batch_entry_gives_one_entry_per_transaction_and_pending_ones_wait():
    from services.billing.adapters import camt
    from tests.iso20022 import validate

    validate(BATCH, "camt.053.001.08")
    statement = camt.parse(BATCH)
    assert (statement.kind, statement.version, statement.message_id) == ("camt.053", "camt.053.001.08", "STMT-1")
    assert statement.not_booked == 1 and statement.account_iban == "CH4431999123000889012"
    first, second = statement.entries
    assert (first.key, first.amount_minor, first.remittance_text) == ("CH4431999123000889012:E-1/1", 1000, "first")
    assert (second.key, second.amount_minor, second.debtor_name) == ("CH4431999123000889012:T-2", 2000, "Beispiel GmbH")
    assert second.booked_on == date(2026, 11, 25) and second.bank_code == "PMNT/RCDT/ESCT"
    assert bank.references_in(second.references, "") == ["RF18539007547034"]


@pytest.mark.parametrize("raw, said", [
    (BATCH.replace(b'<Amt Ccy="CHF">10.00</Amt>', b'<Amt Ccy="CHF">10.005</Amt>'), "at most two decimals"),
    (BATCH.replace(b'<Amt Ccy="CHF">10.00</Amt>', b'<Amt Ccy="chf">10.00</Amt>'), "not a currency code"),
    (BATCH.replace(b"<CdtDbtInd>CRDT</CdtDbtInd><Sts>", b"<CdtDbtInd>CREDIT</CdtDbtInd><Sts>"), "CRDT or DBIT"),
    (BATCH.replace(b"camt.053.001.08", b"camt.053.001.12"), "version 001.02 to 001.08"),
    (BATCH.replace(b"<Acct><Id><IBAN>CH4431999123000889012</IBAN></Id></Acct>", b""), "Stmt[1]/Acct/Id is missing"),
    (b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>', "DTD"),
    ("<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE d [<!ENTITY x 'y'>]><d>&x;</d>".encode("utf-16"), "DTD"),
    (b"<" * 10, "not well-formed"),
])
def test_BI_06_a_statement_that_is_wrong_or_hostile_is_refused_saying_what(raw, said):
    from services.billing.adapters import camt

    with pytest.raises(bank.StatementRefused) as refused:
        camt.parse(raw)
    assert said in str(refused.value)
