"""A domain's name servers (DO-01): host names checked as registries check them, 2 to 13 of them,
and glue (the servers' addresses) exactly when a server lies inside the domain's own zone.

A name server named inside the domain (ns1.example.ch for example.ch) cannot be found without its
address, so the registry keeps it as a host object with its IPv4/IPv6 addresses (RFC 5732, "glue"); a
server outside the zone is only a name, and addresses given for it would be ignored at best, so they
are refused. Names go to the registry in their ASCII form (IDNA A-labels).
"""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

import idna

from portico_kernel.errors import invalid_field

from .registry import HostAddress

MIN_NAMESERVERS = 2   # RFC 1034 4.1: at least two servers for a zone; registries insist on it
MAX_NAMESERVERS = 13  # the common registry limit (RFC 5731 leaves it to policy; SWITCH, Verisign: 13)
MAX_ADDRESSES = 13    # per host: more than any registry keeps for one name server
MAX_NAME = 253        # RFC 1035 2.3.4, without the trailing dot
MAX_LABEL = 63

_LDH = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
# Addresses no name server on the Internet can have: RFC 1918 private networks, loopback, link-local,
# multicast, unspecified, and IPv6 unique-local.
_PRIVATE_V4 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                      "100.64.0.0/10", "0.0.0.0/8"))
_UNIQUE_LOCAL_V6 = ipaddress.ip_network("fc00::/7")


class HostNameRefused(ValueError):
    """A host name that no registry takes; the message says why."""


@dataclass(frozen=True)
class NameServer:
    host: str  # A-labels, lower case, no trailing dot
    addresses: tuple[HostAddress, ...] = ()

    def view(self) -> dict:
        return {"host": self.host, "addresses": [a.address for a in self.addresses]}


def host_name(raw: Any) -> str:
    """The A-label form of a host name, or HostNameRefused saying why a registry would refuse it."""
    if not isinstance(raw, str) or not raw.strip():
        raise HostNameRefused("must be a host name such as ns1.example.net")
    name = raw
    if name.endswith("."):
        name = name[:-1]
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name):
        raise HostNameRefused("may not contain spaces, control or invisible characters")
    if len(name) > 4 * MAX_NAME:
        raise HostNameRefused(f"is longer than {MAX_NAME} characters")
    try:
        ascii_name = name.lower() if name.isascii() else idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise HostNameRefused(f"is not a valid internationalized host name ({error})") from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or any(not label for label in labels):
        raise HostNameRefused("must have at least two labels, none of them empty")
    if len(ascii_name) > MAX_NAME:
        raise HostNameRefused(f"is longer than {MAX_NAME} characters in its ASCII form")
    for label in labels:
        if len(label) > MAX_LABEL:
            raise HostNameRefused(f"has a label longer than {MAX_LABEL} characters")
        if not _LDH.match(label):
            raise HostNameRefused(f"label {label!r} may hold only letters, digits and inner hyphens")
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                raise HostNameRefused(f"label {label!r} is not a valid IDNA A-label") from None
        elif label[2:4] == "--":
            raise HostNameRefused(f"label {label!r} has hyphens in the third and fourth place reserved for IDNA")
    if labels[-1].isdigit():
        raise HostNameRefused("ends in a numeric label: that is an address, not a host name")
    return ascii_name


def in_zone(host: str, domain: str) -> bool:
    """Whether the host is the domain itself or below it (its glue is the registry's to keep)."""
    return host == domain or host.endswith("." + domain)


def address(raw: Any) -> HostAddress:
    if not isinstance(raw, str):
        raise HostNameRefused("must be an IPv4 or IPv6 address")
    try:
        ip = ipaddress.ip_address(raw.strip())
    except ValueError:
        raise HostNameRefused(f"{raw[:60]!r} is not an IPv4 or IPv6 address") from None
    if ip.is_loopback or ip.is_unspecified or ip.is_multicast or ip.is_link_local:
        raise HostNameRefused(f"{ip} is not an address a name server can have on the Internet")
    if ip.version == 4 and any(ip in net for net in _PRIVATE_V4):
        raise HostNameRefused(f"{ip} is a private address, unreachable from the Internet")
    if ip.version == 6:
        if ip in _UNIQUE_LOCAL_V6:
            raise HostNameRefused(f"{ip} is a unique-local address, unreachable from the Internet")
        if ip.ipv4_mapped is not None:
            raise HostNameRefused(f"{ip} is an IPv4-mapped address: give the IPv4 address itself")
    return HostAddress(address=ip.compressed, version=f"v{ip.version}")


def nameservers(raw: Any, domain: str, field: str = "nameservers") -> tuple[NameServer, ...]:
    """The name servers asked for `domain` (its A-label form), checked: refused with the field at fault
    (`nameservers[1].addresses[0]`)."""
    if not isinstance(raw, list):
        raise invalid_field(field, "must be a list of name servers")
    if not MIN_NAMESERVERS <= len(raw) <= MAX_NAMESERVERS:
        raise invalid_field(field, f"a domain has {MIN_NAMESERVERS} to {MAX_NAMESERVERS} name servers, not {len(raw)}")
    servers: list[NameServer] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"{field}[{i}]"
        if isinstance(item, str):
            item = {"host": item}
        if not isinstance(item, dict):
            raise invalid_field(where, "must be an object with `host` and, inside the domain's zone, `addresses`")
        unknown = sorted(set(item) - {"host", "addresses"})
        if unknown:
            raise invalid_field(f"{where}.{unknown[0]}", "is not a field of a name server")
        try:
            host = host_name(item.get("host"))
        except HostNameRefused as error:
            raise invalid_field(f"{where}.host", str(error)) from None
        if host in seen:
            raise invalid_field(f"{where}.host", f"{host} is listed twice")
        seen.add(host)
        given = item.get("addresses") or []
        if not isinstance(given, list):
            raise invalid_field(f"{where}.addresses", "must be a list of IPv4 or IPv6 addresses")
        if in_zone(host, domain):
            if not given:
                raise invalid_field(f"{where}.addresses", f"{host} lies inside {domain}: give its IPv4 or IPv6 "
                                    "address(es), the glue the registry keeps")
        elif given:
            raise invalid_field(f"{where}.addresses", f"{host} lies outside {domain}: its addresses are its own "
                                "zone's, not glue for this domain; leave them out")
        if len(given) > MAX_ADDRESSES:
            raise invalid_field(f"{where}.addresses", f"at most {MAX_ADDRESSES} addresses per name server")
        addresses: list[HostAddress] = []
        for j, raw_address in enumerate(given):
            try:
                parsed = address(raw_address)
            except HostNameRefused as error:
                raise invalid_field(f"{where}.addresses[{j}]", str(error)) from None
            if parsed in addresses:
                raise invalid_field(f"{where}.addresses[{j}]", f"{parsed.address} is listed twice")
            addresses.append(parsed)
        servers.append(NameServer(host, tuple(sorted(addresses, key=lambda a: (a.version, a.address)))))
    return tuple(servers)


@dataclass(frozen=True)
class NameServerPlan:
    """What the registry is asked, in order: hosts to create or re-address, then the domain's update."""
    create_hosts: tuple[NameServer, ...]
    readdress_hosts: tuple[tuple[NameServer, tuple[HostAddress, ...], tuple[HostAddress, ...]], ...]  # (ns, add, remove)
    add: tuple[str, ...]
    remove: tuple[str, ...]
    delete_hosts: tuple[str, ...]  # in-zone hosts no longer used (deleted after the domain lets go of them)
    # hosts outside the zone the domain does not name yet: registries of the host-object model (RFC 5731
    # hostObj) want them as host objects too, without addresses; one that exists is used as it is
    external_hosts: tuple[str, ...] = ()

    @property
    def changes_domain(self) -> bool:
        return bool(self.add or self.remove)


def plan(current: Iterable[NameServer], wanted: Iterable[NameServer], domain: str,
         known_hosts: dict[str, tuple[HostAddress, ...]] | None = None) -> NameServerPlan:
    """From the servers the domain has to those wanted: in-zone hosts the registry does not keep yet
    are created, those whose addresses changed are updated, the domain adds and removes servers, and
    in-zone hosts dropped are deleted afterwards. `known_hosts`: in-zone hosts the registry keeps, with
    their addresses (what was stored last)."""
    current, wanted = tuple(current), tuple(wanted)
    known = dict(known_hosts if known_hosts is not None else {ns.host: ns.addresses for ns in current if in_zone(ns.host, domain)})
    now = {ns.host for ns in current}
    then = {ns.host for ns in wanted}
    create, readdress = [], []
    for ns in wanted:
        if not in_zone(ns.host, domain):
            continue
        if ns.host not in known:
            create.append(ns)
        else:
            had = set(known[ns.host])
            add = tuple(a for a in ns.addresses if a not in had)
            remove = tuple(a for a in known[ns.host] if a not in set(ns.addresses))
            if add or remove:
                readdress.append((ns, add, remove))
    return NameServerPlan(
        create_hosts=tuple(create), readdress_hosts=tuple(readdress),
        add=tuple(ns.host for ns in wanted if ns.host not in now),
        remove=tuple(ns.host for ns in current if ns.host not in then),
        delete_hosts=tuple(h for h in sorted(now - then) if in_zone(h, domain)),
        external_hosts=tuple(ns.host for ns in wanted if ns.host not in now and not in_zone(ns.host, domain)))
