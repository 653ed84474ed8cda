"""OR-14: the organization's logo. Only PNG, JPEG and WebP (no SVG: a picture that can carry
scripts), at most 512 KiB, and the bytes must be what the declared type says; legal
representatives change it, members see it."""
from __future__ import annotations

import base64
import binascii
import struct

from portico_kernel.errors import Forbidden, Invalid, NotFound
from portico_kernel.principal import Principal

from .model import LEGAL_REPRESENTATIVE, Logo
from .organizations import acting_in, visible_to

MAX_BYTES = 512 * 1024
MAX_PIXELS = 4096
SIGNATURES = {
    "image/png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda b: b.startswith(b"\xff\xd8\xff"),
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
}


def _invalid(reason: str) -> Invalid:
    return Invalid(f"The logo: {reason}.", invalid_params=[{"name": "data", "reason": reason}])


def checked_image(content_type: str, data_base64: str) -> bytes:
    if content_type not in SIGNATURES:
        raise Invalid("The logo must be PNG, JPEG or WebP.", invalid_params=[{"name": "content_type", "reason": "not PNG, JPEG or WebP"}])
    try:
        data = base64.b64decode(data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("not base64") from None
    if not data:
        raise _invalid("empty")
    if len(data) > MAX_BYTES:
        raise _invalid(f"larger than {MAX_BYTES // 1024} KiB")
    if not SIGNATURES[content_type](data):
        raise _invalid(f"not a {content_type.split('/')[1].upper()} image")
    if content_type == "image/png" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        if not (0 < width <= MAX_PIXELS and 0 < height <= MAX_PIXELS):
            raise _invalid(f"at most {MAX_PIXELS}×{MAX_PIXELS} pixels")
    return data


def set_logo(uow, caller: Principal, org_id: str, content_type: str, data_base64: str) -> Logo:
    _, member = acting_in(uow, caller, org_id)
    if member is None or member.role != LEGAL_REPRESENTATIVE:
        raise Forbidden("Only a legal representative changes the organization's details.", problem="legal-representative-only")
    data = checked_image(content_type, data_base64)
    logo = uow.logos.get(org_id)
    if logo is None:
        logo = Logo(org_id=org_id, content_type=content_type, data=data, updated_at=uow.clock.now())
        uow.logos.add(logo)
    else:
        logo.content_type, logo.data, logo.updated_at = content_type, data, uow.clock.now()
    uow.commit()
    return logo


def logo_of(uow, caller: Principal, org_id: str) -> Logo:
    visible_to(uow, caller, org_id)
    logo = uow.logos.get(org_id)
    if logo is None:
        raise NotFound("The organization has no logo.")
    return logo
