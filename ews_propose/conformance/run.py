"""A conformance run: the two mailboxes' SOAP lines, the server's build, unique names and
times, the waits a real server needs (delivery is asynchronous there), and cleanup."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
from lxml import etree

from ..versions import PROPOSE_NEW_TIME_BUILD, Build
from .wire import Answer, FoundItem, SoapLine

# Folders a run can leave items in, in both mailboxes.
FOLDERS = ("inbox", "calendar", "sentitems", "deleteditems", "drafts")
T = TypeVar("T")


class CheckFailed(AssertionError):
    """The server answered, and the answer breaks the rule."""


class NotApplicable(Exception):
    """The rule does not apply to this server (e.g. its build predates the feature)."""


class SetupError(Exception):
    """The run cannot start: unreachable endpoint, refused login, no ServerVersionInfo."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def far_future_base() -> datetime:
    """Where a run's slots begin: far in the future (nothing real is there), and a random
    day per run, so two runs against one server never share a slot."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=400 + secrets.randbelow(3000), hours=6)


class RunSteps:
    """What every conformance run (EWS and Graph) does the same way: names carrying the run
    id, fresh slots, waiting for asynchronous delivery, setups shared by checks. The
    dataclasses using it have ``run_id``, ``target.wait_seconds``, ``_base``, ``_slot`` and
    ``_cache``."""

    run_id: str
    target: Any
    _base: datetime
    _slot: int
    _cache: dict[str, object]

    def subject(self, label: str) -> str:
        return f"[{self.run_id}] {label}"

    def slot(self) -> tuple[datetime, datetime]:
        """A fresh one-hour slot; proposals use the same hour a day later."""
        start = self._base + timedelta(hours=3 * self._slot)
        self._slot += 1
        return start, start + timedelta(hours=1)

    def eventually(self, probe: Callable[[], T | None], what: str) -> T:
        """Poll until ``probe`` returns something: real servers deliver and update asynchronously."""
        deadline = time.monotonic() + self.target.wait_seconds
        pause = 0.2
        while True:
            found = probe()
            if found is not None and found is not False:
                return found
            if time.monotonic() >= deadline:
                raise CheckFailed(f"{what}: not seen within {self.target.wait_seconds:g}s")
            time.sleep(pause)
            pause = min(pause * 2, 2.0)

    def shared(self, key: str, make: Callable[[], T]) -> T:
        """One setup used by several read-only checks; a failed setup fails each of them."""
        if key not in self._cache:
            try:
                self._cache[key] = ("ok", make())
            except Exception as exc:  # noqa: BLE001 - replayed to every check that shares it
                self._cache[key] = ("error", exc)
        state, value = self._cache[key]
        if state == "error":
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An EWS xs:dateTime (``Z`` or an offset) as an aware datetime."""
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


@dataclass
class Meeting:
    subject: str
    id: str
    change_key: str
    start: datetime
    end: datetime


@dataclass
class Target:
    """Where to run and as whom. Passwords come from the caller (the CLI reads them from
    environment variables), never from the command line."""

    endpoint: str
    organizer: str
    attendee: str
    organizer_password: str
    attendee_password: str
    organizer_login: str | None = None
    attendee_login: str | None = None
    verify: bool | str = True
    wait_seconds: float = 60.0
    # A server started just before the suite (`serve ... &`) may not listen yet.
    connect_seconds: float = 15.0


@dataclass
class ServerInfo:
    build: Build
    schema: str  # the RequestServerVersion the run sends

    @property
    def has_proposals(self) -> bool:
        return self.build >= PROPOSE_NEW_TIME_BUILD


@dataclass
class Run(RunSteps):
    target: Target
    run_id: str = field(default_factory=lambda: "ewsconf-" + secrets.token_hex(4))
    server: ServerInfo | None = None
    organizer: SoapLine = field(init=False)
    attendee: SoapLine = field(init=False)
    _slot: int = 0
    _base: datetime = field(init=False)
    _cache: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = self.target
        self.organizer = SoapLine(t.endpoint, t.organizer_login or t.organizer, t.organizer_password,
                                  verify=t.verify)
        self.attendee = SoapLine(t.endpoint, t.attendee_login or t.attendee, t.attendee_password,
                                 verify=t.verify)
        self._base = far_future_base()

    # --- setup ---------------------------------------------------------------------------

    def probe(self) -> ServerInfo:
        """Read the server's build from ServerVersionInfo and log in as both mailboxes."""
        build = None
        for line, who in ((self.organizer, self.target.organizer), (self.attendee, self.target.attendee)):
            answer = None
            # Exchange2010_SP2 is understood by every build that can have the feature's
            # predecessors; older servers say ErrorInvalidServerVersion and get 2007_SP1.
            for schema in ("Exchange2010_SP2", "Exchange2007_SP1"):
                answer = self._first_call(line, schema)
                if answer.fault_code != "ErrorInvalidServerVersion":
                    break
            assert answer is not None
            if answer.status == 401:
                raise SetupError(f"{self.target.endpoint} refused the login of {who} (HTTP 401)")
            if not answer.is_xml:
                raise SetupError(f"{self.target.endpoint} did not answer SOAP for {who}: {answer.describe()}")
            if answer.response_codes != ["NoError"]:
                raise SetupError(f"GetFolder inbox as {who}: {answer.describe()}")
            info = answer.xpath("//s:Header/t:ServerVersionInfo")
            if not info:
                raise SetupError(f"{self.target.endpoint} sent no ServerVersionInfo")
            build = Build(*(int(info[0].get(a, "0")) for a in
                            ("MajorVersion", "MinorVersion", "MajorBuildNumber", "MinorBuildNumber")))
        assert build is not None
        schema = "Exchange2013" if build.major >= 15 else "Exchange2010_SP2"
        self.organizer.version = self.attendee.version = schema
        self.server = ServerInfo(build, schema)
        return self.server

    def _first_call(self, line: SoapLine, schema: str):
        """The first request, retried while the connection is refused (the server is
        still starting), for up to ``connect_seconds``."""
        deadline = time.monotonic() + self.target.connect_seconds
        while True:
            try:
                return line.call(_GET_INBOX, version=schema)
            except requests.exceptions.SSLError as exc:
                raise SetupError(f"cannot reach {self.target.endpoint}: TLS failed: {exc}") from exc
            except requests.ConnectionError as exc:
                refused = (isinstance(_root_cause(exc), ConnectionRefusedError)
                           or "Connection refused" in str(exc))
                if not refused or time.monotonic() >= deadline:
                    why = "connection refused" if refused else str(exc)
                    raise SetupError(f"cannot reach {self.target.endpoint}: {why}"
                                     + (f" (waited {self.target.connect_seconds:g} s)" if refused else "")
                                     ) from exc
                time.sleep(0.1)
            except OSError as exc:
                raise SetupError(f"cannot reach {self.target.endpoint}: {exc}") from exc

    @property
    def info(self) -> ServerInfo:
        assert self.server is not None, "probe() first"
        return self.server

    def find(self, line: SoapLine, folder: str, subject: str, kind: str | None = None) -> list[FoundItem]:
        return [i for i in line.find_items(folder, subject)
                if subject in (i.subject or "") and (kind is None or i.kind == kind)]

    def wait_for(self, line: SoapLine, folder: str, subject: str, kind: str) -> FoundItem:
        who = self.target.organizer if line is self.organizer else self.target.attendee
        return self.eventually(lambda: next(iter(self.find(line, folder, subject, kind)), None),
                               f"a {kind} '{subject}' in {who}'s {folder}")

    # --- the steps most checks share -----------------------------------------------------

    def create_meeting(self, label: str, allow_proposals: bool = True, invite: bool = True) -> Meeting:
        subject = self.subject(label)
        start, end = self.slot()
        answer = self.organizer.create_meeting(
            subject, iso(start), iso(end), attendees=(self.target.attendee,) if invite else (),
            allow_proposals=allow_proposals, send="SendToAllAndSaveCopy" if invite else "SendToNone")
        if answer.response_codes != ["NoError"]:
            raise CheckFailed(f"CreateItem CalendarItem '{subject}': {answer.describe()}")
        item_id = answer.first("//m:Items/t:CalendarItem/t:ItemId")
        return Meeting(subject, item_id.get("Id"), item_id.get("ChangeKey"), start, end)

    def response_objects(self, line: SoapLine, item_id: str, version: str | None | object = ...) -> list[str]:
        answer = line.get(item_id, "IdOnly", ("item:ResponseObjects",), version=version)
        if answer.response_codes != ["NoError"]:
            raise CheckFailed(f"GetItem item:ResponseObjects: {answer.describe()}")
        return [etree.QName(el).localname for el in answer.xpath("//t:ResponseObjects/*")]

    # --- cleanup -------------------------------------------------------------------------

    def cleanup(self) -> CleanupReport:
        """HardDelete everything whose subject carries the run id, in both mailboxes, sending
        no cancellations. Two passes: late deliveries on a real server land after the first."""
        report = CleanupReport()
        for attempt in range(2):
            for line, who in ((self.organizer, self.target.organizer), (self.attendee, self.target.attendee)):
                for folder in FOLDERS:
                    try:
                        ids = [i.id for i in self.find(line, folder, self.run_id)]
                        if ids:
                            answer = line.delete(ids)
                            deleted = answer.response_codes.count("NoError")
                            report.deleted[who] = report.deleted.get(who, 0) + deleted
                            if deleted != len(ids):
                                report.problems.append(f"{who} {folder}: {answer.describe()}")
                    except Exception as exc:  # noqa: BLE001 - cleanup reports, never raises
                        report.problems.append(f"{who} {folder}: {exc}")
            if attempt == 0:
                time.sleep(min(1.0, self.target.wait_seconds / 10))
        for line, who in ((self.organizer, self.target.organizer), (self.attendee, self.target.attendee)):
            for folder in FOLDERS:
                try:
                    left = self.find(line, folder, self.run_id)
                except Exception as exc:  # noqa: BLE001
                    report.problems.append(f"{who} {folder}: {exc}")
                    continue
                if left:
                    report.problems.append(f"{who} {folder}: {len(left)} item(s) left")
        return report

    def close(self) -> None:
        self.organizer.close()
        self.attendee.close()


@dataclass
class CleanupReport:
    deleted: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


_GET_INBOX = ("<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
              '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>')


def reply_ids(answer: Answer) -> list[tuple[str, str]]:
    """(element name, Id) of each item a reply's CreateItem returned."""
    return [(etree.QName(el).localname, el.find("{*}ItemId").get("Id"))
            for el in answer.xpath("//m:Items/*") if el.find("{*}ItemId") is not None]


def _root_cause(exc: BaseException) -> BaseException:
    seen = exc
    while True:
        nxt = seen.__cause__ or seen.__context__ or getattr(seen, "reason", None)
        if not isinstance(nxt, BaseException) or nxt is seen:
            return seen
        seen = nxt
