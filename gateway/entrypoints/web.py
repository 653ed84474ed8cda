"""The gateway's web process: `gunicorn -k gateway.entrypoints.web_worker.GatewayWorker gateway.entrypoints.web:app`."""
from ..api.cors import with_cors
from ..api.proxy import GatewayApp
from ..bootstrap import bootstrap
from ..domain import tokens

gateway = bootstrap()
gateway.security  # noqa: B018 - read API keys and read models before the first request, not on it
door = GatewayApp(gateway, gateway.service.web_app(verifier=gateway.verifier, token_kinds=tokens.FROM_OUTSIDE))
app = with_cors(door)
