"""A local SMTP server for `portico up` without a mail server: it prints every mail it receives.

    python -m portico_kernel.smtp_sink   (listens on 127.0.0.1:PORTICO_SMTP_PORT, default 8025)
"""
from __future__ import annotations

import signal
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from .config import env


class PrintingHandler:
    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=policy.default)
        body = mail.get_body(preferencelist=("plain",))
        print(f"--- mail to {', '.join(envelope.rcpt_tos)}: {mail['Subject']}\n"
              f"{body.get_content() if body else ''}\n---", flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    port = int(env("PORTICO_SMTP_PORT", "8025"))
    controller = Controller(PrintingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"mail sink listening on 127.0.0.1:{port}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
