"""Operator command: rotate the gateway's signing key without signing anyone out.

    python -m gateway.entrypoints.keys rotate [--publish-ahead SECONDS]

The new key is published in the JWKS at once and signs from `--publish-ahead` seconds on (default:
twice the services' JWKS refresh interval); the old key stays published until the last token it
signed has expired.
"""
from __future__ import annotations

import argparse
from datetime import timedelta

from ..bootstrap import bootstrap


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gateway-keys")
    sub = parser.add_subparsers(dest="command", required=True)
    rotate = sub.add_parser("rotate", help="introduce a new signing key")
    rotate.add_argument("--publish-ahead", type=float, default=120.0)
    sub.add_parser("list", help="the keys, when each signs and retires")
    args = parser.parse_args(argv)
    gateway = bootstrap()
    if args.command == "rotate":
        key = gateway.keystore.rotate(timedelta(seconds=args.publish_ahead), gateway.token_ttl)
        print(f"new key {key.kid} signs from {key.activates_at.isoformat()}")
    for key in gateway.keystore.load().keys:
        print(f"{key.kid}  signs from {key.activates_at.isoformat()}  retires {key.retires_at.isoformat() if key.retires_at else '-'}")


if __name__ == "__main__":
    main()
