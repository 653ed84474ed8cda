"""The sandbox registry: an EPP server (RFC 5730-5734, RFC 3915) over TLS that ships with Portico
for development and tests, with its own database and clock, applying the TLD rules Portico sells
by (services/domains/data/tlds.yaml). `python -m sandbox_registry` runs it; `portico up` starts it
unless PORTICO_SANDBOX_REGISTRY is `off`.

It borrows the EPP codec (framing, XML, result codes) and the TLD rules from the domains service
and nothing else: not its database, not its API (the import-linter contracts say so).
"""
