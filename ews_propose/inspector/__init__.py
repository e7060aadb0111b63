"""The web inspector at ``/inspector/``: what a person looks at while the emulator runs.

- :mod:`.wirelog` keeps the last calls that crossed the wire (operation, mailbox,
  status, time, request and response bodies; never a header, so never a credential).
- :mod:`.middleware` sits in front of the whole WSGI application: it records every EWS
  call into the log and serves the inspector's pages, open on a loopback address and
  behind the EWS credentials otherwise.
- :mod:`.pages` renders mailboxes, folders, items (fields and the item as EWS XML), each
  meeting's story across mailboxes, and the log, as server-side HTML. ``assets/``
  holds the stylesheet and the script that refreshes the live parts without a reload.

It reads mailboxes through the store interface and the EWS serializer, the same ones
the SOAP surface uses; it changes nothing.
"""

from .middleware import Inspector, is_loopback

__all__ = ["Inspector", "is_loopback"]
