"""Server builds, requested schema versions, and the one table of feature gates.

Every version check in the project reads ``GATES``: the emulator (what it offers and
accepts), the serializers (which elements an older requested schema may see) and
the client (whether a server can take a proposal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

# ExchangeVersionType values, oldest first (types.xsd order).
SCHEMA_VERSIONS: tuple[str, ...] = (
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2009",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
    "Exchange2012",
    "Exchange2013",
    "Exchange2013_SP1",
    "Exchange2015",
    "Exchange2016",
    "V2015_10_05",
    "V2016_01_06",
    "V2016_04_13",
    "V2016_07_13",
    "V2016_10_10",
    "V2017_01_07",
    "V2017_04_14",
    "V2017_07_11",
    "V2017_10_09",
    "V2018_01_08",
)
_SCHEMA_RANK = {name: i for i, name in enumerate(SCHEMA_VERSIONS)}


def schema_rank(version: str) -> int:
    """Position of a requested schema version; KeyError when it is not a known value."""
    return _SCHEMA_RANK[version]


def is_schema_version(version: str) -> bool:
    return version in _SCHEMA_RANK


# Major versions of the Exchange releases that serve EWS.
SERVER_MAJORS = {8: "Exchange 2007", 14: "Exchange 2010", 15: "Exchange 2013, 2016, 2019, SE"}


@total_ordering
@dataclass(frozen=True)
class Build:
    """A server build such as 15.00.0800.007 (major.minor.build.revision)."""

    major: int
    minor: int
    build: int
    revision: int

    _PATTERN = re.compile(r"^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,5})\.(\d{1,5})\s*$")

    @classmethod
    def parse(cls, text: str) -> Build:
        m = cls._PATTERN.match(text or "")
        if not m:
            raise ValueError(
                f"invalid server build {text!r}: expected four dotted numbers such as 15.00.0800.007"
            )
        return cls(*(int(part) for part in m.groups()))

    @classmethod
    def parse_server(cls, text: str) -> Build:
        """A build an emulated server can have: Exchange 2007 (8.x), 2010 (14.x), or
        2013 and later (15.x); anything else is refused rather than emulated oddly."""
        build = cls.parse(text)
        if build.major not in SERVER_MAJORS:
            known = ", ".join(f"{major} ({name})" for major, name in SERVER_MAJORS.items())
            raise ValueError(f"invalid server build {text!r}: no Exchange release has major version "
                             f"{build.major}; known: {known}, e.g. 15.00.0800.007")
        return build

    def __str__(self) -> str:
        return f"{self.major:02d}.{self.minor:02d}.{self.build:04d}.{self.revision:03d}"

    def _key(self) -> tuple[int, int, int, int]:
        return (self.major, self.minor, self.build, self.revision)

    def __lt__(self, other: Build) -> bool:
        return self._key() < other._key()

    @property
    def version_string(self) -> str:
        """ServerVersionInfo's Version as a server of this build reports it."""
        return server_version_string(self)

    @property
    def newest_schema(self) -> str:
        """The newest RequestServerVersion value a server of this build understands."""
        for floor, schema in _BUILD_SCHEMAS:
            if self >= floor:
                return schema
        return "Exchange2007"


# Known public builds (Microsoft's 'Exchange Server build numbers and release dates', and
# the ServerVersionInfo of published answers).
EXCHANGE_2010_SP3 = Build(14, 3, 123, 4)
EXCHANGE_2013_RTM = Build(15, 0, 516, 32)
EXCHANGE_2013_CU3 = Build(15, 0, 775, 38)
PROPOSE_NEW_TIME_BUILD = Build(15, 0, 800, 7)
EXCHANGE_2013_SP1 = Build(15, 0, 847, 32)
EXCHANGE_2016_RTM = Build(15, 1, 225, 42)
EXCHANGE_2016_CU23 = Build(15, 1, 2507, 6)
EXCHANGE_2019_CU14 = Build(15, 2, 1544, 4)
EXCHANGE_2019_CU15 = Build(15, 2, 1748, 10)
EXCHANGE_ONLINE = Build(15, 20, 2516, 14)  # one build of Exchange Online (15.20.x), from a published answer
# The default emulated server: Exchange 2019 CU14, an on-premises build that keeps EWS.
DEFAULT_BUILD = EXCHANGE_2019_CU14

# Newest schema version accepted by each build range, newest range first.
# Project decision: 15.1 and later accept every ExchangeVersionType value.
# 15.00.0800.007 accepts Exchange2013_SP1: Microsoft documents ProposeNewTime and the
# Proposed* elements as Exchange2013_SP1 features, and this is the build Microsoft's own
# samples of the feature were answered by (ServerVersionInfo 15.0.800, "V2_6"); a build that
# serves a feature accepts the schema version that declares it, and the EWS Managed API
# (and its ports) send Exchange2013_SP1 by default. Older 2013 builds stop at Exchange2013.
_BUILD_SCHEMAS: tuple[tuple[Build, str], ...] = (
    (Build(15, 1, 0, 0), SCHEMA_VERSIONS[-1]),
    (PROPOSE_NEW_TIME_BUILD, "Exchange2013_SP1"),
    (Build(15, 0, 0, 0), "Exchange2013"),
    (Build(14, 3, 0, 0), "Exchange2010_SP2"),
    (Build(14, 2, 0, 0), "Exchange2010_SP2"),
    (Build(14, 1, 0, 0), "Exchange2010_SP1"),
    (Build(14, 0, 0, 0), "Exchange2010"),
    (Build(8, 1, 0, 0), "Exchange2007_SP1"),
)

# What ServerVersionInfo's Version says for each build range, newest range first: the
# server's own value, whatever the request asked for. Sources are answers Microsoft and
# users published (docs.microsoft.com samples, client issue trackers):
#   14.3.123.3, 14.3.174.1, 14.3.279.2 -> Exchange2010_SP2; 15.0.775.7/35 -> V2_4;
#   15.0.800.5/16 -> V2_6; 15.0.815.6 -> V2_7; 15.0.847.12/31 -> V2_8;
#   15.1.2507.6/39/57, 15.2.1258.12, 15.2.1544.4 -> V2017_07_11;
#   15.20.1878.26, 15.20.2495.20, 15.20.2516.14 -> V2018_01_08 (Exchange Online).
# 2013 RTM (15.0.516) and 2010 before SP2: no published answer; the name of the newest
# schema the build accepts (project decision).
_BUILD_VERSION_STRINGS: tuple[tuple[Build, str], ...] = (
    (Build(15, 20, 0, 0), "V2018_01_08"),
    (Build(15, 1, 0, 0), "V2017_07_11"),
    (Build(15, 0, 847, 0), "V2_8"),
    (Build(15, 0, 815, 0), "V2_7"),
    (Build(15, 0, 800, 0), "V2_6"),
    (Build(15, 0, 775, 0), "V2_4"),
    (Build(15, 0, 0, 0), "Exchange2013"),
    (Build(14, 2, 0, 0), "Exchange2010_SP2"),
    (Build(14, 1, 0, 0), "Exchange2010_SP1"),
    (Build(14, 0, 0, 0), "Exchange2010"),
    (Build(8, 1, 0, 0), "Exchange2007_SP1"),
)


def server_version_string(build: Build) -> str:
    """ServerVersionInfo's Version for a build (see _BUILD_VERSION_STRINGS)."""
    for floor, value in _BUILD_VERSION_STRINGS:
        if build >= floor:
            return value
    return "Exchange2007"


@dataclass(frozen=True)
class Gate:
    """The oldest server build and requested schema version that have a feature."""

    feature: str
    min_build: Build
    min_schema: str
    note: str

    def server_has(self, build: Build) -> bool:
        return build >= self.min_build

    def schema_has(self, requested_schema: str) -> bool:
        return schema_rank(requested_schema) >= schema_rank(self.min_schema)

    def open_for(self, build: Build, requested_schema: str) -> bool:
        return self.server_has(build) and self.schema_has(requested_schema)


# Feature -> gate. Elements that only exist from a schema version are gated here too,
# so an answer to an older requested schema leaves them out.
GATES: dict[str, Gate] = {
    g.feature: g
    for g in (
        Gate(
            "propose_new_time",
            PROPOSE_NEW_TIME_BUILD,
            "Exchange2013",
            "ProposeNewTime response object; ProposedStart/ProposedEnd on replies, "
            "MeetingResponse and attendees. Docs list Exchange2013_SP1, Microsoft's own "
            "sample sends Exchange2013 (project decision: Exchange2013).",
        ),
        Gate(
            "add_item_to_my_calendar",
            Build(15, 0, 0, 0),
            "Exchange2013",
            "AddItemToMyCalendar response object (absent from the 2010 SP2 schema).",
        ),
        Gate(
            "accept_item",
            Build(8, 1, 0, 0),
            "Exchange2007_SP1",
            "AcceptItem/TentativelyAcceptItem/DeclineItem through CreateItem.",
        ),
        Gate(
            "start_end_time_zone",
            Build(14, 0, 0, 0),
            "Exchange2010",
            "StartTimeZone/EndTimeZone of calendar items (Exchange2007 has MeetingTimeZone).",
        ),
        Gate(
            "time_zone_ids",
            Build(15, 0, 0, 0),
            "Exchange2013",
            "StartTimeZoneId/EndTimeZoneId of calendar items.",
        ),
    )
}


def gate(feature: str) -> Gate:
    return GATES[feature]



# Elements that not every schema version has: type -> element -> the oldest requested
# schema version with it. Read from Microsoft's published schemas: the Exchange2010_SP2
# types.xsd has none of these; the 2013 and later ones (V2018_01_08) have them all.
# Exchange2012 (a pre-release name) is treated as older than Exchange2013. Serializers
# read this table (soap/items/fields.py), so an answer to an older requested schema leaves the
# elements out; tests build the per-version schema view from it.
ELEMENTS_SINCE: dict[str, dict[str, str]] = {
    "ItemType": {"TextBody": "Exchange2013"},
    "AttendeeType": {"ProposedStart": "Exchange2013", "ProposedEnd": "Exchange2013"},
    "NonEmptyArrayOfResponseObjectsType": {"AddItemToMyCalendar": "Exchange2013", "ProposeNewTime": "Exchange2013"},
    "MeetingResponseMessageType": {
        name: "Exchange2013"
        for name in ("Start", "End", "Location", "Recurrence", "CalendarItemType", "ProposedStart",
                     "ProposedEnd")
    },
    "MeetingCancellationMessageType": {
        name: "Exchange2013" for name in ("Start", "End", "Location", "Recurrence", "CalendarItemType")
    },
}
# The item types' bases (types.xsd), so that a derived type sees its bases' entries.
TYPE_BASES: dict[str, str] = {
    "MessageType": "ItemType",
    "CalendarItemType": "ItemType",
    "MeetingMessageType": "MessageType",
    "MeetingRequestMessageType": "MeetingMessageType",
    "MeetingResponseMessageType": "MeetingMessageType",
    "MeetingCancellationMessageType": "MeetingMessageType",
}


def elements_since(type_name: str) -> dict[str, str]:
    """ELEMENTS_SINCE for a type and its bases (the type's own entries win)."""
    chain = []
    name: str | None = type_name
    while name is not None:
        chain.append(name)
        name = TYPE_BASES.get(name)
    merged: dict[str, str] = {}
    for name in reversed(chain):
        merged.update(ELEMENTS_SINCE.get(name, {}))
    return merged


def schema_has_element(type_name: str, element: str, requested_schema: str) -> bool:
    """Whether ``element`` of ``type_name`` exists in the requested schema version."""
    since = elements_since(type_name).get(element)
    return since is None or schema_rank(requested_schema) >= schema_rank(since)
