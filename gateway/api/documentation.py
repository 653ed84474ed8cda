"""Documentation a client can browse: `/openapi.json`, every public operation of the suite in one
OpenAPI document (built from contracts/ once per process), and Swagger UI at `/docs`, served from
the installed bundle (no CDN)."""
from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path

from portico_kernel import openapi

VIEWER = Path(swagger_ui_path)
ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"}
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Portico API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/viewer.js"></script>
</body>
</html>
"""
# In a file of its own, so that a Content-Security-Policy without inline scripts allows it.
STARTER = """window.onload = function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"});
};
"""


class Documentation:
    def __init__(self):
        self.document = json.dumps(openapi.combined()).encode()

    def page(self, path: str) -> tuple[str, bytes] | None:
        """Content type and body of a documentation path; None for any other path."""
        if path == "/openapi.json":
            return "application/json", self.document
        if path in ("/docs", "/docs/"):
            return "text/html; charset=utf-8", PAGE.encode()
        name = path.removeprefix("/docs/")
        if name == "viewer.js":
            return "text/javascript; charset=utf-8", STARTER.encode()
        if path.startswith("/docs/") and name in ASSETS:
            return mimetypes.guess_type(name)[0] or "application/octet-stream", (VIEWER / name).read_bytes()
        return None
