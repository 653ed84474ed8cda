"""Portico's shared kernel: what every service and the gateway have in common.

Configuration, the database engine, the event envelope and its schemas, the transactional
outbox and its relay, consumers with an inbox, token verification and the web app factory.
Nothing in here knows about a particular service's domain.
"""

import warnings

# connexion imports starlette's test client at import time; its deprecation notice is noise in every log.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
