"""The embedded bus: kombu's filesystem transport, with each message written atomically.

kombu writes a message file in place, so a consumer polling the folder can take a file that is
still being written and read half a message. Here the message is written under a temporary name
that matches no queue and renamed into place when complete (rename is atomic within a folder).
"""
from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".partial-{uuid.uuid4()}")
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add message {name!r} to the bus folder") from exc


class Transport(filesystem.Transport):
    Channel = Channel
