"""pain.008 (ISO 20022 customer direct debit initiation) files for the bank, written by `sepaxml`
and checked against its XSD before they are kept (BI-08).

Version pain.008.001.08, as the EPC's SDD rulebooks use since November 2023. One file per scheme
(CORE or B2B: the EPC forbids mixing them in one message); inside it sepaxml makes one payment
information block per sequence type and collection date, as the rulebooks require.
"""
from __future__ import annotations

from sepaxml import SepaDD

from ..domain.direct_debit import Creditor, Debit, File

SCHEMA = "pain.008.001.08"


def write(creditor: Creditor, scheme: str, debits: list[Debit]) -> File:
    config = {"name": creditor.name, "IBAN": creditor.iban, "batch": True, "creditor_id": creditor.creditor_id,
              "currency": "EUR", "instrument": scheme}
    if creditor.bic:
        config["BIC"] = creditor.bic
    message = SepaDD(config, schema=SCHEMA, clean=True)
    for debit in debits:
        payment = {"name": debit.debtor, "IBAN": debit.iban, "amount": debit.amount_minor, "type": debit.sequence_type,
                   "collection_date": debit.collection_date, "mandate_id": debit.mandate_reference,
                   "mandate_date": debit.signed_on, "description": debit.remittance, "endtoend_id": debit.end_to_end_id,
                   "currency": debit.currency}
        if debit.bic:
            payment["BIC"] = debit.bic
        if debit.address:
            payment["address"] = dict(debit.address)
        message.add_payment(payment)
    content = message.export(validate=True).decode("utf-8")
    return File(scheme, message.msg_id, content, len(debits), sum(d.amount_minor for d in debits))
