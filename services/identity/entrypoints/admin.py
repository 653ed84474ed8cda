"""Operator commands. The first platform administrator is created here, not over the API:

    python -m services.identity.entrypoints.admin create-staff --email a@example.com \
        --first-name Ada --last-name Admin --role platform:admin   (the password is asked for,
        or read from PORTICO_ADMIN_PASSWORD)
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from portico_kernel.errors import DomainError

from ..bootstrap import bootstrap, hasher
from ..domain import accounts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="identity-admin")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-staff", help="create a member of the provider's staff")
    create.add_argument("--email", required=True)
    create.add_argument("--first-name", required=True)
    create.add_argument("--last-name", required=True)
    create.add_argument("--role", action="append", dest="roles", required=True,
                        help="platform:admin, platform:billing-clerk, platform:support-agent:<department>")
    args = parser.parse_args(argv)
    password = os.environ.get("PORTICO_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    try:
        with bootstrap().uow() as uow:
            user = accounts.create_staff_member(uow, hasher(), email=args.email, password=password,
                                                first_name=args.first_name, last_name=args.last_name, roles=args.roles)
    except DomainError as error:
        print(f"error: {error.detail}", file=sys.stderr)
        return 1
    print(f"created {user.kind} {user.email} ({user.id}) with roles {', '.join(user.platform_roles)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
