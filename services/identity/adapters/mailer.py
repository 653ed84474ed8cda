"""Identity's outgoing email, over SMTP (PORTICO_SMTP_*)."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from portico_kernel.config import env

from ..domain.mail import SendFailed


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = False, user: str | None = None,
                 password: str | None = None, timeout: float = 10.0):
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.user, self.password, self.timeout = starttls, user, password, timeout

    @classmethod
    def from_environment(cls) -> "SmtpMailer":
        return cls(env("PORTICO_SMTP_HOST", "127.0.0.1"), int(env("PORTICO_SMTP_PORT", "8025")),
                   env("PORTICO_SMTP_SENDER", "Portico <no-reply@portico.local>"),
                   starttls=env("PORTICO_SMTP_STARTTLS", "false") == "true",
                   user=env("PORTICO_SMTP_USER"), password=env("PORTICO_SMTP_PASSWORD"))

    def send(self, to: str, subject: str, body: str) -> None:
        """Plain text. A failure raises SendFailed: permanent when the server refused for good (5xx)."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = make_msgid(domain="portico.local")
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise SendFailed(_reply(code, reply), permanent=code >= 500) from error
        except smtplib.SMTPResponseException as error:
            raise SendFailed(_reply(error.smtp_code, error.smtp_error), permanent=error.smtp_code >= 500) from error
        except smtplib.SMTPNotSupportedError as error:  # e.g. an international address, and no SMTPUTF8
            raise SendFailed(f"not supported by the mail server: {error}", permanent=True) from error
        except (OSError, smtplib.SMTPException, ValueError) as error:
            raise SendFailed(f"{type(error).__name__}: {error}", permanent=False) from error


def _reply(code: int, reply) -> str:
    """The server's answer, as kept with the delivery (no credentials are ever in it)."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {text}"
