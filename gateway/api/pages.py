"""Pages the links in emails open, until the customer center's web portal exists.

`/account/email-change/confirm?token=…` (ID-07): the verification link of a new login email. Opening
the link changes nothing (mail scanners open links too); the page's button confirms it with a POST,
which the gateway passes to identity.
"""
from __future__ import annotations

import base64
import hashlib

from portico_kernel.problems import generic
from portico_kernel.web import problem_response

from ..bootstrap import bootstrap

# Reads the token from the address, so nothing of the request is ever written into the page.
_SCRIPT = """
document.getElementById("confirm").addEventListener("click", async () => {
  const token = new URLSearchParams(window.location.search).get("token") || "";
  const said = document.getElementById("result");
  const answer = await fetch(window.location.pathname, {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({token})});
  const body = await answer.json();
  said.textContent = answer.ok ? "Done: you sign in with " + body.email + " from now on."
                               : (body.detail || "This link does not work.");
  document.getElementById("confirm").disabled = answer.ok;
});
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Confirm your new sign-in email address – Portico</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto; line-height: 1.5">
<h1>Confirm your new sign-in email address</h1>
<p>You asked to sign in to Portico with the address this link was sent to. Confirm it to sign in
with it from now on. If this was not you, close this page; nothing changes.</p>
<p><button id="confirm" type="button">Confirm my new sign-in email address</button></p>
<p id="result" role="status"></p>
<noscript><p>This page needs JavaScript to confirm.</p></noscript>
<script>{_SCRIPT}</script>
</body>
</html>
"""

HEADERS = {
    "Content-Type": "text/html",  # as the contract names it; the page declares its charset (utf-8)
    "Content-Security-Policy": f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; connect-src 'self'; "
                               "style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",  # the address holds the link's secret
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


async def email_change_page(token: str | None = None):
    return PAGE, 200, HEADERS


async def confirm_email_change(body: dict):
    status, answer, headers = await bootstrap().call_identity("POST", "/internal/email-changes/confirm",
                                                              {"token": body["token"]})
    if status == 200:
        return answer, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return problem_response(status, answer or generic(status), {})
