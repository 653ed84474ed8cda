"""Sending SMS codes (ID-09). The `file` transport (PORTICO_SMS_TRANSPORT, the default) writes each
message as JSON under PORTICO_DATA_DIR/sms/, for development and tests; a carrier's transport
plugs in here."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from portico_kernel.config import data_dir, env
from portico_kernel.events import utcnow


class FileSmsSender:
    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, to: str, text: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        sent_at = utcnow()
        name = f"{sent_at.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}.json"
        partial = self.folder / (name + ".part")
        partial.write_text(json.dumps({"to": to, "text": text, "sent_at": sent_at.isoformat()}))
        os.replace(partial, self.folder / name)  # readers never see half a message


def sms_sender_from_environment() -> FileSmsSender:
    transport = env("PORTICO_SMS_TRANSPORT", "file")
    if transport != "file":
        raise ValueError(f"PORTICO_SMS_TRANSPORT={transport!r}: only 'file' is known")
    return FileSmsSender(data_dir() / "sms")
