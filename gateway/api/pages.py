"""Pages the links in emails open, until the customer center's web portal exists.

`/account/email-change/confirm?token=…` (ID-07): the verification link of a new login email. Opening
the link changes nothing (mail scanners open links too); the page's button confirms it with a POST,
which the gateway passes to identity.

`/invitations/accept?token=…` (OR-03, ID-16): the link of an invitation. Opening it changes nothing
either; the page signs the invitee up through the invitation (`POST /v1/auth/signup`), or signs them
in and accepts it (`POST /v1/invitations/accept`), with the public API a client would use.
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


_INVITATION_SCRIPT = """
const token = new URLSearchParams(window.location.search).get("token") || "";
const said = document.getElementById("result");
const value = (id) => document.getElementById(id).value.trim();
const post = (path, body, bearer) => fetch(path, {method: "POST", body: JSON.stringify(body),
  headers: Object.assign({"Content-Type": "application/json"}, bearer ? {"Authorization": "Bearer " + bearer} : {})});
async function tell(answer) {
  const body = await answer.json().catch(() => ({}));
  said.textContent = answer.ok ? said.dataset.joined : said.dataset.failed + " " + (body.detail || "");
}
document.getElementById("signup").addEventListener("submit", async (event) => {
  event.preventDefault();
  await tell(await post("/v1/auth/signup", {email: value("new-email"), password: document.getElementById("new-password").value,
    first_name: value("first-name"), last_name: value("last-name"), country: value("country").toUpperCase(), invitation: token}));
});
document.getElementById("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  const login = await post("/v1/auth/login", {email: value("email"), password: document.getElementById("password").value});
  const tokens = await login.json().catch(() => ({}));
  if (login.status === 202) { said.textContent = said.dataset.secondFactor; return; }
  if (!login.ok || !tokens.access_token) { await tell(login); return; }
  await tell(await post("/v1/invitations/accept", {token}, tokens.access_token));
});
"""
_INVITATION_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_INVITATION_SCRIPT.encode()).digest()).decode()

# title, new account, first name, last name, email, password, country, create, have an account,
# sign in and join, joined, failed, second factor, without JavaScript
INVITATION_WORDS = {
    "en": ("Join an organization on Portico", "New to Portico? Create your account",
           "First name", "Last name", "Email address (the invited one)", "Password (at least 12 characters)",
           "Country (two letters, e.g. CH)", "Create my account and join", "Already have an account with the invited address?",
           "Sign in and join", "Done: you are a member now. Sign in to the customer center and switch to the organization.",
           "That did not work:", "Your account has two-factor authentication: sign in to the customer center and accept the "
           "invitation there.", "This page needs JavaScript."),
    "de": ("Einer Organisation bei Portico beitreten", "Neu bei Portico? Legen Sie Ihr Konto an",
           "Vorname", "Nachname", "E-Mail-Adresse (die eingeladene)", "Passwort (mindestens 12 Zeichen)",
           "Land (zwei Buchstaben, z. B. CH)", "Konto anlegen und beitreten", "Sie haben bereits ein Konto mit der eingeladenen Adresse?",
           "Anmelden und beitreten", "Erledigt: Sie sind jetzt Mitglied. Melden Sie sich im Kundencenter an und wechseln Sie zur Organisation.",
           "Das hat nicht geklappt:", "Ihr Konto hat eine Zwei-Faktor-Authentifizierung: Melden Sie sich im Kundencenter an und "
           "nehmen Sie die Einladung dort an.", "Diese Seite braucht JavaScript."),
    "fr": ("Rejoindre une organisation sur Portico", "Nouveau sur Portico ? Créez votre compte",
           "Prénom", "Nom", "Adresse e-mail (celle qui a été invitée)", "Mot de passe (au moins 12 caractères)",
           "Pays (deux lettres, p. ex. CH)", "Créer mon compte et rejoindre", "Vous avez déjà un compte avec l'adresse invitée ?",
           "Me connecter et rejoindre", "C'est fait : vous êtes membre. Connectez-vous au centre client et passez à l'organisation.",
           "Cela n'a pas fonctionné :", "Votre compte a une authentification à deux facteurs : connectez-vous au centre client et "
           "acceptez l'invitation là-bas.", "Cette page a besoin de JavaScript."),
    "it": ("Entrare in un'organizzazione su Portico", "Nuovo su Portico? Crei il suo account",
           "Nome", "Cognome", "Indirizzo e-mail (quello invitato)", "Password (almeno 12 caratteri)",
           "Paese (due lettere, p. es. CH)", "Crea il mio account ed entra", "Ha già un account con l'indirizzo invitato?",
           "Accedi ed entra", "Fatto: ora è membro. Acceda al centro clienti e passi all'organizzazione.",
           "Non ha funzionato:", "Il suo account ha l'autenticazione a due fattori: acceda al centro clienti e accetti "
           "l'invito da lì.", "Questa pagina ha bisogno di JavaScript."),
}


def _invitation_page(language: str) -> str:
    (title, new, first, last, email, password, country, create, have, sign_in, joined, failed, second,
     no_script) = (escape(w, quote=True) for w in INVITATION_WORDS[language])
    field = lambda id, label, kind="text", extra="": (f'<p><label for="{id}">{label}</label><br>'
                                                     f'<input id="{id}" type="{kind}" required{extra}></p>')
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Portico</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto; line-height: 1.5">
<h1>{title}</h1>
<form id="signup"><h2>{new}</h2>
{field("first-name", first)}{field("last-name", last)}{field("new-email", email, "email")}
{field("new-password", password, "password", ' minlength="12" autocomplete="new-password"')}
{field("country", country, "text", ' maxlength="2" pattern="[A-Za-z]{{2}}"')}
<p><button type="submit">{create}</button></p></form>
<form id="signin"><h2>{have}</h2>
{field("email", email, "email", ' autocomplete="username"')}{field("password", password, "password", ' autocomplete="current-password"')}
<p><button type="submit">{sign_in}</button></p></form>
<p id="result" role="status" data-joined="{joined}" data-failed="{failed}" data-second-factor="{second}"></p>
<noscript><p>{no_script}</p></noscript>
<script>{_INVITATION_SCRIPT}</script>
</body>
</html>
"""


INVITATION_PAGES = {language: _invitation_page(language) for language in INVITATION_WORDS}
INVITATION_HEADERS = {**HEADERS, "Content-Security-Policy": HEADERS["Content-Security-Policy"].replace(
    _SCRIPT_HASH, _INVITATION_SCRIPT_HASH)}


async def invitation_page(token: str | None = None):
    language = language_of(context.request.headers.get("accept-language", ""))
    return INVITATION_PAGES[language], 200, {**INVITATION_HEADERS, "Content-Language": language, "Vary": "Accept-Language"}


async def email_change_page(token: str | None = None):
    language = language_of(context.request.headers.get("accept-language", ""))
    return PAGES[language], 200, {**HEADERS, "Content-Language": language, "Vary": "Accept-Language"}


async def confirm_email_change(body: dict):
    status, answer, headers = await bootstrap().call_identity("POST", "/internal/email-changes/confirm",
                                                              {"token": body["token"]})
    if status == 200:
        return answer, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return problem_response(status, answer or generic(status), {})
