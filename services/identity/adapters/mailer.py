"""Identity's outgoing email, over SMTP (PORTICO_SMTP_*)."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from portico_kernel.config import env


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
        """Plain text. A failure raises, so the event that asked for the mail is retried."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = make_msgid(domain="portico.local")
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)
