"""ISO 20022 bank statements read into the domain's records (domain/bank_statements.py):
camt.053 (bank to customer statement) and camt.054 (debit/credit notification), versions 001.02 to
001.08, told apart by the document's namespace.

The file comes from outside: it is parsed with entity resolution, DTD loading and the network off
and without lxml's huge-tree allowance, and a file that declares a DTD at all (where external
entities and entity expansion live; no bank statement has one) is refused before it is parsed.
Whatever is wrong is said in `StatementRefused`, naming the element at fault.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from ..domain.bank_statements import CREDIT, DEBIT, Statement, StatementEntry, StatementRefused
from ..domain.money import CURRENCIES, Money

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.(0[2-8])$")
ROOTS = {"camt.053": ("BkToCstmrStmt", "Stmt"), "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
MAX_ENTRIES = 20_000
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True)


def parse(raw: bytes) -> Statement:
    """The statement in `raw`, or StatementRefused saying what is wrong."""
    if not raw or not raw.strip():
        raise StatementRefused("the file is empty")
    if _DTD.search(raw):
        raise StatementRefused("the file declares a DTD or entities, which no bank statement does")
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as error:
        raise StatementRefused(f"not well-formed XML ({str(error)[:200]})") from None
    except (ValueError, etree.LxmlError) as error:
        raise StatementRefused(f"not readable as XML ({str(error)[:200]})") from None
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise StatementRefused("the file declares a DTD or entities, which no bank statement does")
    return _Reader(root, hashlib.sha256(raw).hexdigest()).statement()


class _Reader:
    def __init__(self, root, content_hash: str):
        if not isinstance(root.tag, str) or not root.tag.startswith("{"):
            raise StatementRefused("the document has no ISO 20022 namespace")
        namespace, _, local = root.tag[1:].partition("}")
        found = NAMESPACE.match(namespace)
        if local != "Document" or not found:
            shown = namespace[:120]
            raise StatementRefused(f"not a camt.053 or camt.054 document of version 001.02 to 001.08 "
                                   f"(namespace {shown!r}, root element {local[:40]!r})")
        self.ns, self.kind = namespace, found.group(1)
        self.version = f"{self.kind}.001.{found.group(2)}"
        self.root, self.content_hash = root, content_hash

    # paths are written without namespace: "GrpHdr/MsgId"
    def _path(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))

    def find(self, element, path: str):
        return element.find(self._path(path))

    def findall(self, element, path: str):
        return element.findall(self._path(path))

    def text(self, element, path: str, limit: int = 140) -> str | None:
        found = self.find(element, path)
        if found is None or found.text is None:
            return None
        value = " ".join(found.text.split())
        return value[:limit] or None

    def required(self, element, path: str, where: str, limit: int = 140) -> str:
        value = self.text(element, path, limit)
        if value is None:
            raise StatementRefused(f"{where}/{path} is missing")
        return value

    def statement(self) -> Statement:
        message_name, report_name = ROOTS[self.kind]
        message = self.find(self.root, message_name)
        if message is None:
            raise StatementRefused(f"a {self.kind} document holds {message_name}")
        message_id = self.required(message, "GrpHdr/MsgId", message_name, 35)
        created = _moment(self.text(message, "GrpHdr/CreDtTm"), f"{message_name}/GrpHdr/CreDtTm")
        reports = self.findall(message, report_name)
        if not reports:
            raise StatementRefused(f"{message_name}/{report_name} is missing")
        entries: list[StatementEntry] = []
        not_booked = 0
        iban = None
        for r, report in enumerate(reports, start=1):
            where = f"{report_name}[{r}]"
            account = self.text(report, "Acct/Id/IBAN", 34) or self.text(report, "Acct/Id/Othr/Id", 34)
            if account is None:
                raise StatementRefused(f"{where}/Acct/Id is missing")
            iban = iban or account
            for n, item in enumerate(self.findall(report, "Ntry"), start=1):
                if len(entries) >= MAX_ENTRIES:
                    raise StatementRefused(f"more than {MAX_ENTRIES} entries in one file")
                status = self.text(item, "Sts/Cd") or self.text(item, "Sts")
                if status is None:
                    raise StatementRefused(f"{where}/Ntry[{n}]/Sts is missing")
                if status != "BOOK":
                    not_booked += 1
                    continue
                entries += self.entries(item, account, message_id, f"{where}/Ntry[{n}]", r, n)
        return Statement(message_id, self.kind, self.version, self.content_hash, created, iban, tuple(entries),
                         not_booked)

    def entries(self, item, account: str, message_id: str, where: str, r: int, n: int) -> list[StatementEntry]:
        amount = self.find(item, "Amt")
        if amount is None:
            raise StatementRefused(f"{where}/Amt is missing")
        currency, minor = _amount(amount, f"{where}/Amt")
        direction = _direction(self.required(item, "CdtDbtInd", where), f"{where}/CdtDbtInd")
        if self.text(item, "RvslInd") == "true":  # a reversal of an earlier booking turns it round
            direction = DEBIT if direction == CREDIT else CREDIT
        booked = self.text(item, "BookgDt/Dt") or self.text(item, "BookgDt/DtTm")
        booked_on = _day(booked, f"{where}/BookgDt") if booked else None
        entry_ref = self.text(item, "AcctSvcrRef", 35) or self.text(item, "NtryRef", 35)
        entry_code = self._bank_code(item)
        details = [d for box in self.findall(item, "NtryDtls") for d in self.findall(box, "TxDtls")]
        if not details:
            key = entry_ref or f"{message_id}/{r}/{n}"
            return [StatementEntry(_key(account, key), direction, _money(minor, currency), currency, minor, booked_on,
                                   bank_code=entry_code)]
        found = []
        for t, detail in enumerate(details, start=1):
            at = f"{where}/NtryDtls/TxDtls[{t}]"
            detail_currency, detail_minor = currency, minor
            detail_amount = self.find(detail, "Amt")
            if detail_amount is None:  # version 001.02 names it in its amount details only
                detail_amount = self.find(detail, "AmtDtls/TxAmt/Amt")
            if detail_amount is not None:
                detail_currency, detail_minor = _amount(detail_amount, f"{at}/Amt")
            elif len(details) > 1:
                raise StatementRefused(f"{at}/Amt is missing (an entry of several transactions names each amount)")
            detail_direction = direction
            said = self.text(detail, "CdtDbtInd")
            if said is not None:
                detail_direction = _direction(said, f"{at}/CdtDbtInd")
            reference = self.text(detail, "Refs/AcctSvcrRef", 35)
            if reference is None:
                reference = f"{entry_ref or f'{message_id}/{r}/{n}'}" + (f"/{t}" if len(details) > 1 else "")
            structured = tuple(ref for box in self.findall(detail, "RmtInf/Strd")
                               if (ref := self.text(box, "CdtrRefInf/Ref", 35)))
            text = " ".join(t.text.strip() for t in self.findall(detail, "RmtInf/Ustrd") if t.text)[:500]
            debtor = self.text(detail, "RltdPties/Dbtr/Nm") or self.text(detail, "RltdPties/Dbtr/Pty/Nm")
            return_code = (self.text(detail, "RtrInf/Rsn/Cd", 4) or self.text(detail, "RtrInf/Rsn/Prtry", 35))
            return_reason = " ".join(t.text.strip() for t in self.findall(detail, "RtrInf/AddtlInf") if t.text)
            found.append(StatementEntry(
                _key(account, reference), detail_direction, _money(detail_minor, detail_currency), detail_currency,
                detail_minor, booked_on, references=structured, remittance_text=text,
                end_to_end_id=self.text(detail, "Refs/EndToEndId", 35), return_code=_code(return_code),
                return_reason=return_reason[:300], debtor_name=debtor,
                bank_code=self._bank_code(detail) or entry_code, mandate_id=self.text(detail, "Refs/MndtId", 35)))
        return found

    def _bank_code(self, element) -> str | None:
        domain = self.text(element, "BkTxCd/Domn/Cd", 4)
        family = self.text(element, "BkTxCd/Domn/Fmly/Cd", 4)
        if domain is None:
            return None
        return "/".join(part for part in (domain, family, self.text(element, "BkTxCd/Domn/Fmly/SubFmlyCd", 4)) if part)


def _key(account: str, reference: str) -> str:
    key = f"{account}:{reference}"
    return key if len(key) <= 120 else f"{account}:{hashlib.sha256(reference.encode()).hexdigest()}"


def _code(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = re.sub(r"[^A-Z0-9]", "", value.upper())[:4]
    return cleaned if len(cleaned) >= 2 else "NARR"


def _amount(element, where: str) -> tuple[str, int]:
    currency = (element.get("Ccy") or "").strip()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise StatementRefused(f"{where}/@Ccy is not a currency code")
    text = (element.text or "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise StatementRefused(f"{where} is not an amount ({text[:30]!r})") from None
    minor = value * 100
    if not value.is_finite() or value < 0 or minor != minor.to_integral_value() or value >= Decimal("1e15"):
        raise StatementRefused(f"{where} is not an amount of at most two decimals ({text[:30]!r})")
    return currency, int(minor)


def _money(minor: int, currency: str) -> Money | None:
    return Money(minor, currency) if currency in CURRENCIES else None


def _direction(value: str, where: str) -> str:
    if value == "CRDT":
        return CREDIT
    if value == "DBIT":
        return DEBIT
    raise StatementRefused(f"{where} is CRDT or DBIT, not {value[:10]!r}")


def _day(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise StatementRefused(f"{where} is not a date ({value[:30]!r})") from None


def _moment(value: str | None, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise StatementRefused(f"{where} is not a date and time ({value[:30]!r})") from None
