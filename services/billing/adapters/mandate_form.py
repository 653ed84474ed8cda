"""The SEPA mandate form as a PDF (fpdf2, like billing's other documents; BI-08): what the account
holder signs, and for B2B hands to their own bank, which checks a business debit against it. The
wording is the EPC rulebooks' mandate text, in German or English (the organization's language where
Portico has the text, else English)."""
from __future__ import annotations

from fpdf import FPDF

from ..domain.direct_debit import B2B, Mandate
from ..domain.documents import language_for, party_of
from .documents import _latin, address_of, day

TEXTS = {
    "de": {
        "title": {B2B: "SEPA-Firmenlastschrift-Mandat", "CORE": "SEPA-Lastschriftmandat"},
        "creditor": "Zahlungsempfänger", "creditor_id": "Gläubiger-Identifikationsnummer",
        "reference": "Mandatsreferenz", "kind": "Zahlungsart", "recurrent": "Wiederkehrende Zahlung",
        "debtor": "Zahlungspflichtiger (Kontoinhaber)", "iban": "IBAN", "bic": "BIC",
        "signed": "Ort, Datum", "signature": "Unterschrift(en) des Zahlungspflichtigen",
        "mandate": {
            B2B: "Ich/Wir ermächtige(n) {creditor}, Zahlungen von meinem/unserem Konto mittels Lastschrift "
                 "einzuziehen. Zugleich weise(n) ich/wir mein/unser Kreditinstitut an, die von {creditor} auf "
                 "mein/unser Konto gezogenen Lastschriften einzulösen.",
            "CORE": "Ich ermächtige {creditor}, Zahlungen von meinem Konto mittels Lastschrift einzuziehen. Zugleich "
                    "weise ich mein Kreditinstitut an, die von {creditor} auf mein Konto gezogenen Lastschriften "
                    "einzulösen."},
        "note": {
            B2B: "Hinweis: Dieses Lastschriftmandat dient nur dem Einzug von Lastschriften, die auf Konten von "
                 "Unternehmen gezogen sind. Ich/Wir bin/sind nicht berechtigt, nach der erfolgten Einlösung eine "
                 "Erstattung des belasteten Betrages zu verlangen. Ich/Wir bin/sind berechtigt, mein/unser "
                 "Kreditinstitut bis zum Fälligkeitstag anzuweisen, Lastschriften nicht einzulösen.",
            "CORE": "Hinweis: Ich kann innerhalb von acht Wochen, beginnend mit dem Belastungsdatum, die Erstattung "
                    "des belasteten Betrages verlangen. Es gelten dabei die mit meinem Kreditinstitut vereinbarten "
                    "Bedingungen."},
        "bank": {B2B: "Bitte unterschreiben Sie dieses Mandat und geben Sie eine Kopie Ihrem Kreditinstitut, "
                      "bevor die erste Lastschrift fällig wird.", "CORE": ""},
    },
    "en": {
        "title": {B2B: "SEPA Business-to-Business Direct Debit Mandate", "CORE": "SEPA Direct Debit Mandate"},
        "creditor": "Creditor", "creditor_id": "Creditor identifier", "reference": "Mandate reference",
        "kind": "Type of payment", "recurrent": "Recurrent payment", "debtor": "Debtor (account holder)",
        "iban": "IBAN", "bic": "BIC", "signed": "Place, date", "signature": "Signature(s) of the debtor",
        "mandate": {
            B2B: "By signing this mandate form, you authorise (A) {creditor} to send instructions to your bank to "
                 "debit your account and (B) your bank to debit your account in accordance with the instructions "
                 "from {creditor}.",
            "CORE": "By signing this mandate form, you authorise (A) {creditor} to send instructions to your bank to "
                    "debit your account and (B) your bank to debit your account in accordance with the instructions "
                    "from {creditor}."},
        "note": {
            B2B: "This mandate is only intended for business-to-business transactions. You are not entitled to a "
                 "refund from your bank after your account has been debited, but you are entitled to request your "
                 "bank not to debit your account up until the day on which the payment is due.",
            "CORE": "As part of your rights, you are entitled to a refund from your bank under the terms and "
                    "conditions of your agreement with your bank. A refund must be claimed within 8 weeks starting "
                    "from the date on which your account was debited."},
        "bank": {B2B: "Please sign this mandate and give a copy to your bank before the first debit is due.",
                 "CORE": ""},
    },
}


def pdf_of(mandate: Mandate, creditor: dict, debtor: dict) -> bytes:
    buyer = party_of(debtor)
    language = language_for(buyer.country)
    language = language if language in TEXTS else "en"
    words = TEXTS[language]
    seller = party_of(creditor)
    pdf = FPDF(format="A4")
    pdf.set_title(_latin(f"{words['title'][mandate.scheme]} {mandate.reference}"))
    pdf.set_author(_latin(seller.name))
    pdf.add_page()

    def text(value: str, size: float = 10, style: str = "", height: float = 5.5):
        pdf.set_font("helvetica", style=style, size=size)
        pdf.multi_cell(0, height, _latin(value), new_x="LMARGIN", new_y="NEXT")

    text(words["title"][mandate.scheme], 15, "B", 9)
    pdf.ln(2)
    text(f"{words['creditor']}: {seller.name}", 10, "B")
    text(", ".join(address_of(seller, language)))
    text(f"{words['creditor_id']}: {creditor['creditor_id']}")
    text(f"{words['reference']}: {mandate.reference}", 10, "B")
    text(f"{words['kind']}: {words['recurrent']}")
    pdf.ln(4)
    text(words["mandate"][mandate.scheme].format(creditor=seller.name))
    pdf.ln(2)
    text(words["note"][mandate.scheme], 9)
    pdf.ln(4)
    text(f"{words['debtor']}: {mandate.account_holder}", 10, "B")
    if buyer.address:
        text(", ".join(address_of(buyer, language)))
    text(f"{words['iban']}: {' '.join(mandate.iban[i:i + 4] for i in range(0, len(mandate.iban), 4))}")
    if mandate.bic:
        text(f"{words['bic']}: {mandate.bic}")
    pdf.ln(10)
    text(f"{words['signed']}: ______________________, {day(mandate.signed_on, language)}")
    pdf.ln(12)
    text("_" * 50)
    text(words["signature"], 9)
    if words["bank"][mandate.scheme]:
        pdf.ln(6)
        text(words["bank"][mandate.scheme], 9, "I")
    return bytes(pdf.output())
