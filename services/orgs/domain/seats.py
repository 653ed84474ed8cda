"""OR-16: team-member seats. When a plan includes seats (billing sells them and announces
`SeatsProvisioned`: how many, until when), administrators and legal representatives give each seat
to a member, whose account then shares the plan (`use` on it). A seat follows the plan but is not
renewed with it: only a new `SeatsProvisioned` for the plan (an explicit seat renewal) moves its end."""
from __future__ import annotations

from portico_kernel.clock import iso_utc, parse_iso
from portico_kernel.errors import Conflict, NotFound
from portico_kernel.paging import ALL, Page, PageRequest
from portico_kernel.principal import Principal

from . import access
from .events import SeatAssigned, SeatReleased, SeatsProvisioned
from .model import Seat, new_id
from .organizations import managing, visible_to


def on_seats_provisioned(provisioned: SeatsProvisioned, uow) -> None:
    seats = uow.seats.of_plan(provisioned.product_type, provisioned.product_id)
    valid_until = parse_iso(provisioned.valid_until)
    for seat in seats:
        seat.valid_until = valid_until
    for _ in range(provisioned.seats - len(seats)):
        uow.seats.add(Seat(id=new_id(), org_id=provisioned.org_id, product_type=provisioned.product_type,
                           product_id=provisioned.product_id, valid_until=valid_until,
                           created_at=uow.received.occurred_at))
    holders = {s.holder_id for s in seats if s.holder_id}
    if holders:
        uow.flush()
        access.announce(uow, provisioned.org_id, holders)


def seats_of(uow, caller: Principal, org_id: str, page: PageRequest = ALL) -> Page[Seat]:
    visible_to(uow, caller, org_id)
    return uow.seats.of_organization(org_id, page)


def _seat(uow, org_id: str, seat_id: str) -> Seat:
    seat = uow.seats.get(seat_id)
    if seat is None or seat.org_id != org_id:
        raise NotFound("No such seat.")
    return seat


def assign(uow, caller: Principal, org_id: str, seat_id: str, user_id: str) -> Seat:
    managing(uow, caller, org_id)
    seat = _seat(uow, org_id, seat_id)
    if uow.members.get(org_id, user_id) is None:
        raise NotFound("This person is not a member of the organization.", problem="unknown-member")
    if not seat.valid(uow.clock.now()):
        raise Conflict("This seat has ended; renew the plan's seats first.", problem="seat-ended")
    if seat.holder_id not in (None, user_id):
        raise Conflict("Someone holds this seat; free it first.", problem="seat-taken")
    if any(s.holder_id == user_id and s.id != seat.id for s in uow.seats.of_plan(seat.product_type, seat.product_id)):
        raise Conflict("This member holds a seat of this plan already.", problem="seat-taken")
    seat.holder_id = user_id
    uow.emit(SeatAssigned(org_id=org_id, seat_id=seat.id, product_type=seat.product_type, product_id=seat.product_id,
                          user_id=user_id, valid_until=iso_utc(seat.valid_until)), org_id=org_id)
    uow.flush()
    access.announce(uow, org_id, {user_id})
    uow.commit()
    return seat


def release(uow, caller: Principal, org_id: str, seat_id: str) -> Seat:
    managing(uow, caller, org_id)
    seat = _seat(uow, org_id, seat_id)
    holder, seat.holder_id = seat.holder_id, None
    if holder:
        uow.emit(SeatReleased(org_id=org_id, seat_id=seat.id, user_id=holder), org_id=org_id)
        uow.flush()
        access.announce(uow, org_id, {holder})
        uow.commit()
    return seat
