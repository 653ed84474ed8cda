"""The gateway's web process: `gunicorn -k uvicorn_worker.UvicornWorker gateway.entrypoints.web:app`."""
from ..api.proxy import GatewayApp
from ..bootstrap import bootstrap

gateway = bootstrap()
app = GatewayApp(gateway, gateway.service.web_app(asynchronous=True, verifier=gateway.verifier))
