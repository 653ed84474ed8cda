"""Documents a TLD asks of a registrant (DO-02): an ID card, a passport, a company register extract.

Uploaded as JSON (the content base64-encoded), checked here: a type we know, a PDF, JPEG or PNG whose
first bytes say it is one (the declared media type alone is not believed), at most `MAX_BYTES`.
Kept by the domains service in its own database, per organization; an order names them by id in
`registrant.documents`, and a document of the type a TLD requires counts as that requirement given.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from portico_kernel.errors import invalid_field

TYPES = ("passport", "id_card", "birth_certificate", "company_register_extract", "tax_certificate",
         "power_of_attorney", "other")
# which documents prove which registrant data a TLD asks for (tlds.yaml `required` fields)
PROVES = {"birth_date": ("birth_certificate", "passport", "id_card"), "nationality": ("passport", "id_card"),
          "id_number": ("passport", "id_card"), "passport": ("passport",),
          "company_identifier": ("company_register_extract",), "vat_number": ("company_register_extract", "tax_certificate"),
          "tax_code": ("tax_certificate",), "entity_type": ("company_register_extract",)}
MAX_BYTES = 512 * 1024  # a scan, not a book; the base64 form stays below the 1 MiB body limit
SIGNATURES = {"application/pdf": (b"%PDF-",), "image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}
_FILENAME = re.compile(r"^[^/\\\x00-\x1f\x7f]{1,200}$")


@dataclass(eq=False)
class Document:
    id: str
    org_id: str
    type: str
    filename: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime
    content: bytes = field(repr=False, default=b"")


def proves(document_type: str, datum: str) -> bool:
    """Whether a document of this type gives the registrant datum a TLD asks for."""
    return document_type == datum or document_type in PROVES.get(datum, ())


def accept(org_id: str, body: dict, now: datetime) -> Document:
    """The uploaded document, or Invalid naming the field at fault."""
    kind = body.get("type")
    if kind not in TYPES:
        raise invalid_field("type", f"one of {', '.join(TYPES)}")
    filename = body.get("filename")
    if not isinstance(filename, str) or not _FILENAME.match(filename):
        raise invalid_field("filename", "1 to 200 characters, no path and no control characters")
    media_type = body.get("media_type")
    if media_type not in SIGNATURES:
        raise invalid_field("media_type", f"one of {', '.join(SIGNATURES)}")
    text = body.get("content_base64")
    if not isinstance(text, str) or len(text) > (MAX_BYTES * 4) // 3 + 8:
        raise invalid_field("content_base64", f"the file base64-encoded, at most {MAX_BYTES // 1024} KiB")
    try:
        content = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_field("content_base64", "not base64") from None
    if not content:
        raise invalid_field("content_base64", "the file is empty")
    if len(content) > MAX_BYTES:
        raise invalid_field("content_base64", f"at most {MAX_BYTES // 1024} KiB")
    if not any(content.startswith(s) for s in SIGNATURES[media_type]):
        raise invalid_field("content_base64", f"the file is not a {media_type} file")
    return Document(id=str(uuid.uuid4()), org_id=org_id, type=kind, filename=filename, media_type=media_type,
                    size=len(content), sha256=hashlib.sha256(content).hexdigest(), created_at=now, content=content)
