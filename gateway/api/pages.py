"""Pages the links in emails open, until the customer center's web portal exists.

`/account/email-change/confirm?token=…` (ID-07): the verification link of a new login email. Opening
the link changes nothing (mail scanners open links too); the page's button confirms it with a POST,
which the gateway passes to identity.
"""
from __future__ import annotations

import base64
import hashlib
from html import escape

from connexion import context

from portico_kernel.problems import generic
from portico_kernel.web import problem_response

from ..bootstrap import bootstrap

# Reads the token from the address, so nothing of the request is ever written into the page; the
# words come from the page (data-*), so one script (one hash in the CSP) serves every language.
_SCRIPT = """
const button = document.getElementById("confirm");
button.addEventListener("click", async () => {
  const token = new URLSearchParams(window.location.search).get("token") || "";
  const said = document.getElementById("result");
  const answer = await fetch(window.location.pathname, {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({token})});
  const body = await answer.json();
  said.textContent = answer.ok ? button.dataset.done + " " + body.email : button.dataset.failed;
  button.disabled = answer.ok;
});
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()

# title, explanation, button, done (followed by the address), failed, without JavaScript
WORDS = {
    "en": ("Confirm your new sign-in email address",
           "You asked to sign in to Portico with the address this link was sent to. Confirm it to sign in with "
           "it from now on. If this was not you, close this page; nothing changes.",
           "Confirm my new sign-in email address", "Done. From now on you sign in with",
           "This link does not work (any more). Ask for the change again in your account.",
           "This page needs JavaScript to confirm."),
    "de": ("Bestätigen Sie Ihre neue Anmelde-E-Mail-Adresse",
           "Sie möchten sich bei Portico mit der Adresse anmelden, an die dieser Link ging. Bestätigen Sie sie, "
           "um sich künftig damit anzumelden. Wenn Sie das nicht waren, schliessen Sie diese Seite; nichts ändert sich.",
           "Neue Anmelde-E-Mail-Adresse bestätigen", "Erledigt. Sie melden sich künftig an mit",
           "Dieser Link gilt nicht (mehr). Fordern Sie die Änderung in Ihrem Konto erneut an.",
           "Zum Bestätigen braucht diese Seite JavaScript."),
    "fr": ("Confirmez votre nouvelle adresse e-mail de connexion",
           "Vous souhaitez vous connecter à Portico avec l'adresse à laquelle ce lien a été envoyé. Confirmez-la "
           "pour vous connecter désormais avec elle. Si ce n'était pas vous, fermez cette page ; rien ne change.",
           "Confirmer ma nouvelle adresse de connexion", "C'est fait. Vous vous connectez désormais avec",
           "Ce lien n'est pas (plus) valable. Demandez à nouveau le changement dans votre compte.",
           "Cette page a besoin de JavaScript pour confirmer."),
    "it": ("Confermi il suo nuovo indirizzo e-mail di accesso",
           "Ha chiesto di accedere a Portico con l'indirizzo a cui è stato inviato questo link. Lo confermi per "
           "accedere d'ora in poi con esso. Se non è stato lei, chiuda questa pagina; nulla cambia.",
           "Conferma il nuovo indirizzo di accesso", "Fatto. D'ora in poi accede con",
           "Questo link non è (più) valido. Richieda di nuovo la modifica nel suo account.",
           "Per confermare questa pagina ha bisogno di JavaScript."),
}


def _page(language: str) -> str:
    title, explanation, button, done, failed, no_script = (escape(w, quote=True) for w in WORDS[language])
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Portico</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto; line-height: 1.5">
<h1>{title}</h1>
<p>{explanation}</p>
<p><button id="confirm" type="button" data-done="{done}" data-failed="{failed}">{button}</button></p>
<p id="result" role="status"></p>
<noscript><p>{no_script}</p></noscript>
<script>{_SCRIPT}</script>
</body>
</html>
"""


PAGES = {language: _page(language) for language in WORDS}


def language_of(accept_language: str) -> str:
    """The first of the browser's languages we speak (de, en, fr, it), English otherwise."""
    for part in accept_language.split(",")[:20]:
        tag = part.split(";", 1)[0].strip().lower()[:2]
        if tag in PAGES:
            return tag
    return "en"


HEADERS = {
    "Content-Type": "text/html",  # as the contract names it; the page declares its charset (utf-8)
    "Content-Security-Policy": f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; connect-src 'self'; "
                               "style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",  # the address holds the link's secret
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


async def email_change_page(token: str | None = None):
    language = language_of(context.request.headers.get("accept-language", ""))
    return PAGES[language], 200, {**HEADERS, "Content-Language": language, "Vary": "Accept-Language"}


async def confirm_email_change(body: dict):
    status, answer, headers = await bootstrap().call_identity("POST", "/internal/email-changes/confirm",
                                                              {"token": body["token"]})
    if status == 200:
        return answer, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return problem_response(status, answer or generic(status), {})
