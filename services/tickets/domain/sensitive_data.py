"""TI-02: a ticket can carry credentials support needs (a server's password, an FTP account) in a
field of its own, readable only by those who must.

- The customer who opened the ticket writes the field (again, to change it); it is sealed at rest
  with envelope encryption (portico_kernel/envelope.py; the adapter seals and opens, the domain only
  sees a `Hidden` value whose repr and str hide it).
- Only staff of the ticket's department and the customer who wrote it read it, through an endpoint
  of its own; every reading is recorded (who, when) and the readings are listed on the ticket for
  everyone who sees the ticket.
- It is never in an event, a list, an email, a log line or an error; the ticket itself only says
  whether it carries any.
- Closing the ticket erases it (`erase`), for good: a reopened ticket has none until written again.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from portico_kernel.errors import Conflict, Forbidden, NotFound, invalid_field

MAX_LENGTH = 4000
CLOSED = "closed"


class Hidden:
    """A value that does not show itself: repr and str hide it; `reveal()` gives it."""

    __slots__ = ("_text",)

    def __init__(self, text: str):
        self._text = text

    def reveal(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return "Hidden(<sensitive data>)"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("sensitive data is not pickled")


@dataclass(eq=False)
class SensitiveData:
    """The credentials of one ticket (table ticket_sensitive_data); `value` None once erased."""

    ticket_id: str
    org_id: str
    written_by: str
    written_at: datetime
    value: Hidden | None
    erased_at: datetime | None = None


@dataclass(eq=False)
class Reading:
    id: str
    ticket_id: str
    org_id: str
    reader_id: str
    reader_kind: str  # customer | staff
    read_at: datetime


def write(uow, ticket, caller, text, now: datetime) -> SensitiveData:
    """The customer who opened the ticket gives the credentials (or replaces them)."""
    if caller.is_staff or caller.user_id != ticket.opened_by:
        raise Forbidden("Only the person who opened the ticket writes its sensitive data.")
    if ticket.state == CLOSED:
        raise Conflict("The ticket is closed; reopen it to give sensitive data.")
    if not isinstance(text, str) or not text.strip():
        raise invalid_field("text", "give the credentials")
    if len(text) > MAX_LENGTH:
        raise invalid_field("text", f"at most {MAX_LENGTH} characters")
    found = uow.sensitive_data.get(ticket.id)
    if found is None:
        found = SensitiveData(ticket_id=ticket.id, org_id=ticket.org_id, written_by=caller.user_id, written_at=now,
                              value=Hidden(text))
        uow.sensitive_data.add(found)
    else:
        found.written_by, found.written_at, found.value, found.erased_at = caller.user_id, now, Hidden(text), None
        uow.sensitive_data.save(found)
    return found


def may_read(caller, ticket, data: SensitiveData, *, staff_of_department: bool) -> bool:
    if caller.is_staff:
        return staff_of_department
    return not caller.is_api_key and caller.user_id == data.written_by


def read(uow, ticket, caller, now: datetime, *, staff_of_department: bool) -> SensitiveData:
    """The credentials, for staff of the ticket's department and the customer who wrote them; the
    reading is recorded before it is answered (the caller commits)."""
    data = uow.sensitive_data.get(ticket.id)
    if data is None or data.value is None:
        raise NotFound("The ticket carries no sensitive data.")
    if not may_read(caller, ticket, data, staff_of_department=staff_of_department):
        raise Forbidden("Only support staff of the ticket's department and the person who wrote it read the sensitive data.")
    uow.sensitive_data.add_reading(Reading(id=str(uuid.uuid4()), ticket_id=ticket.id, org_id=ticket.org_id,
                                           reader_id=caller.user_id, reader_kind="staff" if caller.is_staff else "customer",
                                           read_at=now))
    return data


def erase(uow, ticket, now: datetime) -> bool:
    """The ticket is closed: its credentials are gone (the readings stay, as the record of who read)."""
    data = uow.sensitive_data.get(ticket.id)
    if data is None or data.value is None:
        return False
    data.value, data.erased_at = None, now
    uow.sensitive_data.save(data)
    return True
