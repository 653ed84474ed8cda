"""Operator commands of the notifications service.

    python -m services.notifications.entrypoints.admin rotate-secrets

After a new key was put first in PORTICO_SECRET_KEYS (the old ones still after it), this
re-encrypts every stored secret (organizations' SMTP passwords, ID-15) with the new key; then the
old keys can be removed from the setting.
"""
from __future__ import annotations

import argparse
import sys

from ..bootstrap import bootstrap, keyring
from ..domain import smtp_servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="notifications-admin")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("rotate-secrets", help="re-encrypt stored secrets with the first key of PORTICO_SECRET_KEYS")
    parser.parse_args(argv)
    with bootstrap().uow() as uow:
        count = smtp_servers.rotate_passwords(uow, keyring().rotate)
    print(f"re-encrypted {count} stored password(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
