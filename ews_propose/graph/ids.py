"""Graph ids are the REST form of the items' EWS ids: the same base64 with ``/`` written
``-`` and ``+`` written ``_``, so an id fits in a URL segment unescaped."""

from __future__ import annotations

import hashlib
import uuid

_TO_REST = str.maketrans({"/": "-", "+": "_"})
_TO_EWS = str.maketrans({"-": "/", "_": "+"})


def rest_id(ews_id: str) -> str:
    return ews_id.translate(_TO_REST)


def ews_id(rest: str) -> str:
    return rest.translate(_TO_EWS)


def user_id(smtp: str) -> str:
    """A mailbox's stable directory object id (a GUID, as Entra ID gives)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "ews-propose:user:" + smtp.lower()))


def conversation_id(uid: str | None, item_id: str) -> str:
    digest = hashlib.sha256((uid or item_id).encode()).hexdigest()[:32]
    return "AAQkAD" + digest
