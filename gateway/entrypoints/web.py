"""The gateway's web process: `gunicorn -k uvicorn_worker.UvicornWorker gateway.entrypoints.web:app`."""
from ..api.cors import Cors
from ..api.proxy import GatewayApp
from ..bootstrap import bootstrap
from ..domain import tokens

gateway = bootstrap()
gateway.security  # noqa: B018 - read API keys and read models before the first request, not on it
app = Cors(GatewayApp(gateway, gateway.service.web_app(verifier=gateway.verifier, token_kinds=tokens.FROM_OUTSIDE)))
