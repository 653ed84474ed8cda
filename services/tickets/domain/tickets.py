"""Support tickets (TI-01): customers open them in a department, optionally about one of their
organization's products, and write in the thread; staff of the department answer, add internal notes
customers never see, assign the ticket and move it to another department.

Who sees a ticket:
- a member of its organization (or the organization's API key) — tickets about a product only when
  they may `use` that product (administrators and legal representatives reach every product, OR-07);
  an external member (OR-02) sees only the tickets they opened and those about products they reach;
  the person who opened a ticket always sees it;
- staff whose platform role works in the ticket's department (data/departments.yaml).
Everyone else gets 404, as if the ticket did not exist.
"""
from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from dataclasses import dataclass, replace

from portico_kernel.errors import Conflict, Forbidden, NotFound, invalid_field
from portico_kernel.principal import Principal
from portico_kernel.product_access import ALL, PRODUCT, TYPE, allows, ensure_may
from portico_kernel.roles import EXTERNAL, MANAGING_ROLES

from . import attachments as files
from .closure import FORGOTTEN_PERSON
from .events import TicketReplied
from .filters import ProductReach, TicketFilter
from .model import (
    CLOSED, CUSTOMER, EMAIL, EMERGENCY_KINDS, INTERNAL, OPEN, PRIORITIES, PUBLIC, STAFF, WAITING,
    Attachment, Message, Ticket,
)

USE = "use"


def new_id() -> str:
    return str(uuid.uuid4())


def reply_address(ticket: Ticket, domain: str) -> str:
    """Where the customer's email answer to this ticket goes: reply+<token>@<domain>."""
    return f"reply+{ticket.reply_token}@{domain}"


@dataclass(frozen=True)
class NewFile:
    filename: str
    content_type: str
    content_base64: str


# --- who sees what -------------------------------------------------------------------------------

def _is_member_side(caller: Principal) -> bool:
    return (caller.kind == "customer" or caller.is_api_key) and caller.org_id is not None


def _reaches_every_product(caller: Principal) -> bool:
    return caller.is_api_key or caller.has_role(*MANAGING_ROLES)


def staff_departments(uow, caller: Principal) -> tuple[str, ...]:
    return uow.departments.of_staff(caller.roles) if caller.is_staff else ()


def may_see(uow, caller: Principal, ticket: Ticket) -> bool:
    if caller.is_staff:
        return ticket.department in staff_departments(uow, caller)
    if not _is_member_side(caller) or caller.org_id != ticket.org_id:
        return False
    if ticket.opened_by == caller.user_id or _reaches_every_product(caller):
        return True
    if ticket.product_id is None:
        return not caller.has_role(EXTERNAL)
    entries = uow.member_access.get(ticket.org_id, caller.user_id) or ()
    return allows(entries, ticket.product_type, ticket.product_id, USE)


def _reach(uow, caller: Principal, org_id: str) -> ProductReach | None:
    """A superset of what a member reaches, for the query; `may_see` decides exactly."""
    if _reaches_every_product(caller):
        return None
    entries = [e for e in uow.member_access.get(org_id, caller.user_id) or ()
               if USE in e.get("rights", ()) or "*" in e.get("rights", ())]
    if any(e.get("scope") == ALL for e in entries) and not caller.has_role(EXTERNAL):
        return None
    if any(e.get("scope") == ALL for e in entries):
        return ProductReach(everything=True, general=False, opener=caller.user_id)
    return ProductReach(
        types=tuple(e["product_type"] for e in entries if e.get("scope") == TYPE),
        items=tuple((e["product_type"], e["product_id"]) for e in entries if e.get("scope") == PRODUCT),
        general=not caller.has_role(EXTERNAL), opener=caller.user_id)


def visible_ticket(uow, caller: Principal, ticket_id: str, *, for_update: bool = False) -> Ticket:
    ticket = uow.tickets.get_for_update(ticket_id) if for_update else uow.tickets.get(ticket_id)
    if ticket is None or not may_see(uow, caller, ticket):
        raise NotFound("No such ticket.")
    return ticket


def tickets_for(uow, caller: Principal, wanted: TicketFilter, page):
    """The tickets the caller sees, narrowed by `wanted`, newest first."""
    if caller.is_staff:
        mine = staff_departments(uow, caller)
        if wanted.department is not None and wanted.department not in mine:
            mine = ()
        found = uow.tickets.find(_with(wanted, departments=mine), page)
    elif _is_member_side(caller):
        if wanted.org_id is not None and wanted.org_id != caller.org_id:
            raise NotFound("No such organization.")
        if wanted.assignee is not None:
            raise Forbidden("Only staff filter by assignee.")
        found = uow.tickets.find(_with(wanted, org_id=caller.org_id, products=_reach(uow, caller, caller.org_id)), page)
    else:
        raise Forbidden("Tickets are for the members of an organization and the provider's support staff.",
                        problem="no-organization")
    return found.keep(lambda t: may_see(uow, caller, t))


def _with(wanted: TicketFilter, **changes) -> TicketFilter:
    return replace(wanted, **changes)


# --- opening and writing -------------------------------------------------------------------------

def _decoded(index: int, given: NewFile) -> tuple[bytes, str]:
    try:
        content = base64.b64decode(given.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise invalid_field(f"attachments[{index}].content", "base64 of the file's bytes") from None
    return content, files.checked(index, given.filename, given.content_type, content)


def _add_message(uow, ticket: Ticket, *, author_kind: str, author_id: str | None, author_name: str | None,
                 author_email: str | None, visibility: str, body: str, new_files=()) -> tuple[Message, list[Attachment]]:
    if not body.strip():
        raise invalid_field("body", "write something")
    if len(new_files) > files.MAX_FILES:
        raise invalid_field("attachments", f"at most {files.MAX_FILES} files a message")
    decoded = [_decoded(i, f) for i, f in enumerate(new_files)]
    now = uow.clock.now()
    message = Message(id=new_id(), ticket_id=ticket.id, org_id=ticket.org_id, author_kind=author_kind,
                      author_id=author_id, author_name=author_name, author_email=author_email,
                      visibility=visibility, body=body, created_at=now)
    uow.messages.add(message)
    added = []
    for given, (content, content_type) in zip(new_files, decoded):
        attachment = Attachment(id=new_id(), message_id=message.id, ticket_id=ticket.id, org_id=ticket.org_id,
                                filename=given.filename, content_type=content_type, size=len(content),
                                content=content, created_at=now)
        uow.attachments.add(attachment)
        added.append(attachment)
    ticket.updated_at = now
    return message, added


def open_ticket(uow, caller: Principal, *, subject: str, department: str, body: str, priority: str = "normal",
                emergency: str | None = None, product_id: str | None = None, new_files=()) -> tuple[Ticket, Message, list]:
    if not _is_member_side(caller):
        raise Forbidden("Tickets are opened by the members of an organization.", problem="no-organization")
    org_id = caller.org_id
    if not subject.strip():
        raise invalid_field("subject", "write a subject")
    if department not in uow.departments:
        raise invalid_field("department", f"one of {', '.join(uow.departments.keys())}")
    if priority not in PRIORITIES:
        raise invalid_field("priority", f"one of {', '.join(PRIORITIES)}")
    if priority == "critical" and emergency not in EMERGENCY_KINDS:
        raise invalid_field("emergency", f"a critical ticket is an emergency: one of {', '.join(EMERGENCY_KINDS)}")
    if priority != "critical" and emergency is not None:
        raise invalid_field("emergency", "only a critical ticket names an emergency")
    product_type = None
    if product_id is not None:
        product_type = uow.products.type_of(org_id, product_id)
        if product_type is None:
            raise NotFound("The organization has no such product.", problem="unknown-product",
                           invalid_params=[{"name": "product_id", "reason": "no product of the organization"}])
        ensure_may(caller, org_id, product_type, product_id, USE, uow.member_access.get)
    now = uow.clock.now()
    ticket = Ticket(id=new_id(), org_id=org_id, number=f"T-{uow.tickets.next_number():06d}", subject=subject.strip(),
                    department=department, opened_by=caller.user_id, reply_token=secrets.token_hex(16),
                    priority=priority, emergency=emergency, product_type=product_type, product_id=product_id,
                    state=OPEN, created_at=now, updated_at=now)
    uow.tickets.add(ticket)
    message, added = _add_message(uow, ticket, author_kind=CUSTOMER, author_id=caller.user_id,
                                  author_name=uow.people.name_of(caller.user_id), author_email=None,
                                  visibility=PUBLIC, body=body, new_files=new_files)
    return ticket, message, added


def reply(uow, caller: Principal, ticket_id: str, *, body: str, visibility: str = PUBLIC, new_files=(),
          reply_domain: str) -> tuple[Ticket, Message, list]:
    """A message in the thread: a customer's reply (the ticket is support's turn again), a public
    answer of staff (mailed to the customer; the customer's turn) or an internal note of staff."""
    ticket = visible_ticket(uow, caller, ticket_id, for_update=True)
    if visibility == INTERNAL and not caller.is_staff:
        raise Forbidden("Only support staff write internal notes.")
    if ticket.state == CLOSED:
        raise Conflict("The ticket is closed; reopen it to write again.")
    if caller.is_staff:
        message, added = _add_message(uow, ticket, author_kind=STAFF, author_id=caller.user_id, author_name=None,
                                      author_email=None, visibility=visibility, body=body, new_files=new_files)
        if visibility == PUBLIC:
            ticket.state = WAITING
            _mail_answer(uow, ticket, message, len(added), reply_domain)
    else:
        message, added = _add_message(uow, ticket, author_kind=CUSTOMER, author_id=caller.user_id,
                                      author_name=uow.people.name_of(caller.user_id), author_email=None,
                                      visibility=PUBLIC, body=body, new_files=new_files)
        ticket.state = OPEN
    return ticket, message, added


def _mail_answer(uow, ticket: Ticket, message: Message, attachments: int, reply_domain: str) -> None:
    if ticket.opened_by == FORGOTTEN_PERSON:
        return
    uow.emit(TicketReplied(ticket_id=ticket.id, org_id=ticket.org_id, number=ticket.number, subject=ticket.subject,
                           department=ticket.department, user_id=ticket.opened_by, message_id=message.id,
                           body=message.body, reply_to=reply_address(ticket, reply_domain), attachments=attachments),
             org_id=ticket.org_id)


def reply_by_email(uow, token: str, sender_email_key: str, body: str, new_files=()) -> tuple[Ticket | None, str]:
    """A customer's email answer (to reply+<token>@…): lands in the ticket's thread when the sender
    is a member of the ticket's organization. Answers the ticket (None: nothing written) and why."""
    ticket = uow.tickets.get_for_update_by_token(token)
    if ticket is None:
        return None, "no ticket has this reply address"
    user_id = uow.people.member_by_email(ticket.org_id, sender_email_key)
    if user_id is None:
        return None, "the sender is no member of the ticket's organization"
    if not body.strip():
        return None, "the mail holds no new text"
    accepted = []
    for index, given in enumerate(new_files[:files.MAX_FILES]):
        try:
            content_type = files.checked(index, given.filename, given.content_type, given.content)
        except Exception:  # an attachment we do not take: the text still lands
            continue
        accepted.append((given, content_type))
    message, _ = _add_message(uow, ticket, author_kind=EMAIL, author_id=user_id, author_name=uow.people.name_of(user_id),
                              author_email=sender_email_key, visibility=PUBLIC, body=body)
    for given, content_type in accepted:
        uow.attachments.add(Attachment(id=new_id(), message_id=message.id, ticket_id=ticket.id, org_id=ticket.org_id,
                                       filename=given.filename, content_type=content_type, size=len(given.content),
                                       content=given.content, created_at=message.created_at))
    ticket.state, ticket.closed_at = OPEN, None  # an answer by email reopens a closed ticket
    return ticket, "accepted"


# --- the ticket's course -------------------------------------------------------------------------

def close(uow, caller: Principal, ticket_id: str) -> Ticket:
    ticket = visible_ticket(uow, caller, ticket_id, for_update=True)
    if ticket.state != CLOSED:
        now = uow.clock.now()
        ticket.state, ticket.closed_at, ticket.updated_at = CLOSED, now, now
    return ticket


def reopen(uow, caller: Principal, ticket_id: str) -> Ticket:
    ticket = visible_ticket(uow, caller, ticket_id, for_update=True)
    if ticket.state == CLOSED:
        ticket.state, ticket.closed_at, ticket.updated_at = OPEN, None, uow.clock.now()
    return ticket


def change(uow, caller: Principal, ticket_id: str, changes: dict) -> Ticket:
    """Staff assign the ticket (`assignee`: a staff member's user id, or None) and move it to
    another department."""
    if not caller.is_staff:
        visible_ticket(uow, caller, ticket_id)  # another organization's: 404 rather than 403
        raise Forbidden("Only support staff assign tickets or change their department.")
    ticket = visible_ticket(uow, caller, ticket_id, for_update=True)
    if "department" in changes:
        if changes["department"] not in uow.departments:
            raise invalid_field("department", f"one of {', '.join(uow.departments.keys())}")
        ticket.department = changes["department"]
    if "assignee" in changes:
        ticket.assignee = changes["assignee"]
    ticket.updated_at = uow.clock.now()
    return ticket


def thread(uow, caller: Principal, ticket_id: str, page):
    """The ticket's messages, oldest first; internal notes only for staff."""
    ticket = visible_ticket(uow, caller, ticket_id)
    return ticket, uow.messages.page_of(ticket.id, page, public_only=not caller.is_staff)


def attachment(uow, caller: Principal, ticket_id: str, attachment_id: str) -> Attachment:
    ticket = visible_ticket(uow, caller, ticket_id)
    found = uow.attachments.get(attachment_id)
    if found is None or found.ticket_id != ticket.id or found.content is None:
        raise NotFound("No such file.")
    if not caller.is_staff and uow.messages.visibility_of(found.message_id) != PUBLIC:
        raise NotFound("No such file.")
    return found
