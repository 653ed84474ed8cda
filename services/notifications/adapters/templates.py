"""Emails rendered from Jinja2 templates, templates/<language>/<kind>.txt (its first line is the
subject, the rest the plain-text body) and <kind>.html (autoescaped), in the recipient's language
(de, en, fr, it), English where a translation is missing. Dates and times through Babel, in the
person's time zone (`when(instant)`), calendar days (`day(date)`); amounts in minor units with their currency
(`money(minor, currency)`)."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, get_currency_precision
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from portico_kernel.clock import parse_iso

from ..domain.model import DEFAULT_LANGUAGE, LANGUAGES

FOLDER = Path(__file__).resolve().parents[1] / "templates"
SUBJECT_LENGTH = 200


class Templates:
    def __init__(self, public_url: str, folder: Path = FOLDER):
        self.public_url = public_url.rstrip("/")
        self.env = Environment(loader=FileSystemLoader(str(folder)), undefined=StrictUndefined,
                               autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True)

    def has(self, kind: str, language: str) -> bool:
        """Whether `kind` is translated into `language` (both parts)."""
        try:
            self.env.get_template(f"{language}/{kind}.txt")
            self.env.get_template(f"{language}/{kind}.html")
        except TemplateNotFound:
            return False
        return True

    def render(self, kind: str, language: str, context: dict, time_zone: str | None) -> tuple[str, str, str]:
        language = language if language in LANGUAGES and self.has(kind, language) else DEFAULT_LANGUAGE
        zone = _zone(time_zone)
        values = {**context, "public_url": self.public_url, "language": language,
                  "when": lambda value: _when(value, language, zone),
                  "day": lambda value: _day(value, language),
                  "money": lambda minor, currency: _money(minor, currency, language)}
        subject, _, body = self.env.get_template(f"{language}/{kind}.txt").render(values).lstrip().partition("\n")
        html = self.env.get_template(f"{language}/{kind}.html").render(values)
        # One line, bounded: a value in the subject can never add a header.
        subject = " ".join(subject.split())[:SUBJECT_LENGTH]
        return subject, body.strip() + "\n", html


def _money(minor: int, currency: str, language: str) -> str:
    """An amount kept in integer minor units, written with its currency as that language does."""
    units = minor / (10 ** get_currency_precision(currency))
    return format_currency(units, currency, locale={"de": "de_CH", "fr": "fr_CH", "it": "it_CH"}.get(language, "en"))


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _when(value, language: str, zone: ZoneInfo) -> str:
    """An instant as people of that language write it, in their time zone, naming the zone."""
    moment = value if isinstance(value, datetime) else parse_iso(str(value))
    local = moment.astimezone(zone)
    return format_datetime(local, format="long", tzinfo=zone, locale=language)


def _day(value, language: str) -> str:
    """A calendar day (a due date), as people of that language write it."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return format_date(day, format="long", locale=language)
