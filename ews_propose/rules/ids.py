"""Opaque item, folder and change-key tokens.

Ids look like Exchange's (standard base64) and carry no mailbox name, so an id seen
by one mailbox tells another nothing. A token that is not of this shape is malformed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import uuid
from functools import lru_cache

_ITEM_TAG = b"\x01EP"
_FOLDER_TAG = b"\x02EP"
_RAW_LEN = 27  # tag + 24 bytes -> 36 base64 characters


def new_item_id() -> str:
    return base64.b64encode(_ITEM_TAG + os.urandom(_RAW_LEN - len(_ITEM_TAG))).decode("ascii")


@lru_cache(maxsize=4096)  # every item written carries its folder's id: worked out once
def folder_id(mailbox: str, folder: str) -> str:
    """The wire id of a mailbox's folder: a default folder's is derived from its name; a
    created folder's key already is its id."""
    if is_folder_id(folder):
        return folder
    digest = hashlib.sha256(f"{mailbox.lower()}/{folder}".encode()).digest()
    return base64.b64encode(_FOLDER_TAG + digest[: _RAW_LEN - len(_FOLDER_TAG)]).decode("ascii")


def _decode(token: str) -> bytes | None:
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == _RAW_LEN else None


def is_item_id(token: str) -> bool:
    raw = _decode(token)
    return raw is not None and raw.startswith(_ITEM_TAG)


def is_folder_id(token: str) -> bool:
    raw = _decode(token)
    return raw is not None and raw.startswith(_FOLDER_TAG)


def new_folder_id() -> str:
    return base64.b64encode(_FOLDER_TAG + os.urandom(_RAW_LEN - len(_FOLDER_TAG))).decode("ascii")


def new_change_key() -> str:
    return "CQAAABYA" + base64.b64encode(os.urandom(9)).decode("ascii")


def new_uid() -> str:
    # Exchange UIDs are the hex of a global object id; any unique opaque string does.
    return "040000008200E00074C5B7101A82E008" + uuid.uuid4().hex.upper()
