"""Operator commands. The first platform administrator is created here, not over the API:

    python -m services.identity.entrypoints.admin create-staff --email a@example.com \
        --first-name Ada --last-name Admin --role platform:admin   (the password is asked for,
        or read from PORTICO_ADMIN_PASSWORD)

    python -m services.identity.entrypoints.admin rotate-secrets

After a new key was put first in PORTICO_SECRET_KEYS (the old ones still after it), this re-encrypts
the authenticator apps' TOTP seeds with it; then the old keys can be removed from the setting.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from portico_kernel.errors import DomainError
from portico_kernel.secrets import rotate_column

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
    sub.add_parser("rotate-secrets", help="re-encrypt stored secrets with the first key of PORTICO_SECRET_KEYS")
    args = parser.parse_args(argv)
    if args.command == "rotate-secrets":
        from ..adapters.orm import second_factors
        with bootstrap().engine.begin() as connection:
            count = rotate_column(connection, second_factors, "secret")
        print(f"re-encrypted {count} stored secret(s)")
        return 0
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
