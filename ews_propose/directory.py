"""Mailboxes the emulator hosts, and their credentials.

Loaded from a TOML file (one ``[[mailbox]]`` table each) or the built-in demo set.
"""

from __future__ import annotations

import hmac
import re
import tomllib
from dataclasses import dataclass
from typing import Any

USER = "user"
ROOM = "room"
KINDS = (USER, ROOM)
_SMTP = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Mailbox:
    smtp: str
    name: str
    password: str | None
    kind: str = USER
    token: str | None = None  # a bearer token that signs in as this mailbox
    can_impersonate: bool = False  # may act as any mailbox through ExchangeImpersonation
    # rules.availability.WorkingHours from the TOML's working_hours; None: the default hours
    working_hours: Any = None

    @property
    def is_room(self) -> bool:
        return self.kind == ROOM


DEMO_MAILBOXES: tuple[Mailbox, ...] = (
    Mailbox("AlexW@contoso.com", "Alex Wilber", "alex-demo-pw", USER, token="alex-demo-graph-token"),
    Mailbox("AdeleV@contoso.com", "Adele Vance", "adele-demo-pw", USER, token="adele-demo-graph-token"),
    Mailbox("MeganB@contoso.com", "Megan Bowen", "megan-demo-pw", USER, token="megan-demo-graph-token"),
    Mailbox("Rainier@contoso.com", "Conf Room Rainier", "rainier-demo-pw", ROOM, token="rainier-demo-graph-token"),
)


class DirectoryError(ValueError):
    """A directory file that cannot be used; the message names the file and the entry."""


class Directory:
    def __init__(self, mailboxes: tuple[Mailbox, ...] | list[Mailbox]) -> None:
        self._by_smtp: dict[str, Mailbox] = {}
        for mb in mailboxes:
            self.add(mb)

    def add(self, mailbox: Mailbox) -> None:
        key = mailbox.smtp.lower()
        if key in self._by_smtp:
            raise DirectoryError(f"duplicate mailbox {mailbox.smtp}")
        self._by_smtp[key] = mailbox

    def __iter__(self):
        return iter(self._by_smtp.values())

    def __len__(self) -> int:
        return len(self._by_smtp)

    def get(self, smtp: str | None) -> Mailbox | None:
        return self._by_smtp.get((smtp or "").lower())

    def authenticate(self, user: str, password: str) -> Mailbox | None:
        """The mailbox whose SMTP address (or its local part) and password match.

        Every candidate's password is compared in constant time.
        """
        user = user.strip()
        mailbox = self.get(user)
        if mailbox is None and "@" not in user:
            matches = [m for m in self._by_smtp.values() if m.smtp.split("@")[0].lower() == user.lower()]
            mailbox = matches[0] if len(matches) == 1 else None
        # Compare even when the user is unknown, so timing does not reveal which users exist.
        expected = (mailbox.password if mailbox else None) or "\x00" * max(len(password), 1)
        ok = hmac.compare_digest(expected.encode(), password.encode())
        return mailbox if (ok and mailbox is not None and mailbox.password) else None

    def authenticate_token(self, token: str) -> Mailbox | None:
        """The mailbox a bearer token belongs to; every token is compared, in constant time."""
        found = None
        for mailbox in self._by_smtp.values():
            if mailbox.token and hmac.compare_digest(mailbox.token.encode(), token.encode()):
                found = mailbox
        return found

    @classmethod
    def demo(cls) -> Directory:
        return cls(DEMO_MAILBOXES)

    @classmethod
    def load(cls, path: str) -> Directory:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise DirectoryError(f"{path}: cannot read directory file: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise DirectoryError(f"{path}: not valid TOML: {exc}") from exc
        except UnicodeDecodeError as exc:
            hint = " (it looks like UTF-16: save it as UTF-8)" if exc.object[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
            raise DirectoryError(f"{path}: not UTF-8 text at byte {exc.start}; TOML files must be "
                                 f"UTF-8{hint}") from None
        entries = data.get("mailbox")
        if not isinstance(entries, list) or not entries:
            raise DirectoryError(f"{path}: expected one or more [[mailbox]] tables")
        unknown_top = sorted(set(data) - {"mailbox"})
        if unknown_top:
            raise DirectoryError(f"{path}: unknown top-level key(s): {', '.join(unknown_top)}")
        directory = cls(())
        for index, entry in enumerate(entries, start=1):
            where = f"{path}: mailbox #{index}"
            if not isinstance(entry, dict):
                raise DirectoryError(f"{where}: expected a table")
            smtp = entry.get("smtp")
            if isinstance(smtp, str):
                where += f" ({smtp})"
            unknown = sorted(set(entry) - {"smtp", "name", "password", "kind", "token", "impersonation",
                                     "working_hours"})
            if unknown:
                raise DirectoryError(f"{where}: unknown key(s): {', '.join(unknown)}")
            if not isinstance(smtp, str) or not _SMTP.match(smtp):
                raise DirectoryError(f"{where}: 'smtp' must be an e-mail address, got {smtp!r}")
            name = entry.get("name", smtp.split("@")[0])
            if not isinstance(name, str) or not name.strip():
                raise DirectoryError(f"{where}: 'name' must be a non-empty string")
            password = entry.get("password")
            token = entry.get("token")
            if token is not None and (not isinstance(token, str) or len(token) < 16):
                raise DirectoryError(f"{where}: 'token' must be a string of at least 16 characters")
            if password is None and token is None:
                raise DirectoryError(f"{where}: 'password' must be a non-empty string (or give a 'token')")
            if password is not None and (not isinstance(password, str) or not password):
                raise DirectoryError(f"{where}: 'password' must be a non-empty string")
            impersonation = entry.get("impersonation", False)
            if not isinstance(impersonation, bool):
                raise DirectoryError(f"{where}: 'impersonation' must be true or false")
            kind = entry.get("kind", USER)
            if kind not in KINDS:
                raise DirectoryError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
            hours = None
            if "working_hours" in entry:
                from .rules.availability import parse_working_hours

                try:
                    hours = parse_working_hours(entry["working_hours"])
                except ValueError as exc:
                    raise DirectoryError(f"{where}: 'working_hours': {exc}") from None
            try:
                directory.add(Mailbox(smtp, name, password, kind, token, impersonation, hours))
            except DirectoryError as exc:
                raise DirectoryError(f"{where}: {exc}") from None
        tokens = [m.token for m in directory if m.token]
        if len(tokens) != len(set(tokens)):
            raise DirectoryError(f"{path}: two mailboxes have the same 'token'")
        return directory
