"""The inspector's pages, rendered on the server. Every value shown is escaped."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from importlib import resources
from urllib.parse import quote

from lxml import etree

from ..rules import model
from ..rules.model import Item
from ..soap.app import EwsApplication
from ..soap.items.shapes import Shape
from ..soap.items.text import Reader, item_element
from ..versions import gate
from .wirelog import WireCall, WireLog

KIND_NAMES = {
    model.CALENDAR_ITEM: "CalendarItem",
    model.MESSAGE: "Message",
    model.MEETING_REQUEST: "MeetingRequest",
    model.MEETING_RESPONSE: "MeetingResponse",
    model.MEETING_CANCELLATION: "MeetingCancellation",
}
FOLDER_NAMES = {
    model.INBOX: "Inbox",
    model.CALENDAR: "Calendar",
    model.SENT: "Sent Items",
    model.DELETED: "Deleted Items",
    model.DRAFTS: "Drafts",
}
RESPONSE_NAMES = {
    model.ACCEPT: "Accepted",
    model.TENTATIVE: "Tentative",
    model.DECLINE: "Declined",
    model.UNKNOWN: "Unknown",
    model.ORGANIZER: "Organizer",
    model.NO_RESPONSE: "No response received",
}
LISTED = 200  # items shown per folder
QUERY_KEYS = frozenset({"smtp", "id", "uid", "organizer", "seq", "limit"})
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
HTML = "text/html; charset=utf-8"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def span(start: datetime | None, end: datetime | None) -> str:
    if not start:
        return ""
    if end and end.date() == start.date():
        return f"{when(start)[:-4]}–{end.strftime('%H:%M')} UTC"
    return f"{when(start)} – {when(end)}"


def pretty_body(data: bytes) -> str:
    """Indented JSON (Graph) or XML (EWS), or the text as it came when it is neither."""
    if not data:
        return "(empty)"
    if data.lstrip()[:1] in (b"{", b"["):
        try:
            return json.dumps(json.loads(data), indent=2, ensure_ascii=False)
        except ValueError:
            return data.decode("utf-8", "replace")
    if b"<!DOCTYPE" not in data and b"<!ENTITY" not in data:
        try:
            root = etree.fromstring(data, _XML)
            return etree.tostring(root, pretty_print=True, encoding="unicode")
        except etree.XMLSyntaxError:
            pass
    return data.decode("utf-8", "replace")


def not_found(sub: str) -> bytes:
    return _page("Not found", f"<p>Nothing at <code>{escape(sub)}</code>.</p>")


def _page(title: str, body: str) -> bytes:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)} · ews-propose inspector</title>"
            f'<link rel="stylesheet" href="/inspector/assets/inspector.css">'
            f'<script src="/inspector/assets/inspector.js" defer></script></head><body>'
            f'<header><a href="/inspector/">ews-propose inspector</a></header><main>'
            f"<h1>{escape(title)}</h1>{body}</main></body></html>").encode()


def _live(fragment: str, html: str) -> str:
    return f'<section class="live" data-live="{escape(fragment)}">{html}</section>'


def _organizer(item: Item) -> str:
    return item.organizer.smtp.lower() if item.organizer is not None else ""


def _link(path: str, text: str, **query: str) -> str:
    args = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return f'<a href="{escape(f"/inspector/{path}" + ("?" + args if args else ""))}">{escape(text)}</a>'


def _table(headers: list[str], rows: list[list[str]], empty: str, css: str = "") -> str:
    if not rows:
        return f'<p class="empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class Pages:
    def __init__(self, ews: EwsApplication, log: WireLog) -> None:
        self.ews = ews
        self.log = log
        self.store = ews.rules.store
        self.directory = ews.directory

    def route(self, sub: str, query: dict[str, str]) -> tuple[bytes, str] | None:
        query = {k: v for k, v in query.items() if k in QUERY_KEYS}
        if sub.startswith("/assets/"):
            return self._asset(sub[len("/assets/"):])
        fragment = sub.startswith("/fragment/")
        name = sub[len("/fragment"):] if fragment else sub
        views = {"/": self.index, "/mailbox": self.mailbox, "/item": self.item, "/meeting": self.meeting,
                 "/log": self.calls, "/call": self.call}
        parts = {"/mailboxes": self._mailboxes, "/meetings": self._meetings, "/log": self._log,
                 "/mailbox": self._folders, "/meeting": self._story}
        if fragment:
            render = parts.get(name)
            return (render(**query).encode(), HTML) if render else None
        view = views.get(name)
        if view is None:
            return None
        result = view(**query)
        return (result, HTML) if result is not None else None

    @staticmethod
    def _asset(name: str) -> tuple[bytes, str] | None:
        types = {"inspector.css": "text/css; charset=utf-8", "inspector.js": "text/javascript; charset=utf-8"}
        if name not in types:
            return None
        return resources.files(__package__).joinpath("assets", name).read_bytes(), types[name]

    # --- pages ------------------------------------------------------------------------

    def index(self, **_: str) -> bytes:
        build = self.ews.build
        return _page("Mailboxes", (
            f'<p class="build">Emulated build {escape(str(build))} (newest schema {escape(build.newest_schema)})</p>'
            + _live("fragment/mailboxes", self._mailboxes())
            + "<h2>Meetings</h2>" + _live("fragment/meetings", self._meetings())
            + "<h2>Requests</h2>" + _live("fragment/log", self._log(limit="25"))
            + f"<p>{_link('log', 'All requests')}</p>"))

    def mailbox(self, smtp: str = "", **_: str) -> bytes | None:
        mailbox = self.directory.get(smtp)
        if mailbox is None:
            return None
        return _page(f"{mailbox.name} <{mailbox.smtp}>", _live(f"fragment/mailbox?smtp={quote(mailbox.smtp)}",
                                                               self._folders(mailbox.smtp)))

    def item(self, id: str = "", **_: str) -> bytes | None:
        with self.store.transaction(write=False) as tx:
            item = tx.get(id)
        if item is None:
            return None
        owner = self.directory.get(item.mailbox)
        fields = [[escape(k), escape(v)] for k, v in _fields(item)]
        attendees = [[escape(a.name or a.smtp), escape(a.smtp), escape(a.role), escape(RESPONSE_NAMES.get(a.response, a.response)),
                      escape(when(a.last_response_time)), escape(span(a.proposed_start, a.proposed_end))]
                     for a in item.attendees]
        story = (f"<p>{_link('meeting', 'This meeting across every mailbox', uid=item.uid, organizer=_organizer(item))}"
                 "</p>" if item.uid else "")
        return _page(item.subject or "(no subject)", (
            f"<p>{escape(KIND_NAMES.get(item.kind, item.kind))} in {_link('mailbox', owner.name if owner else item.mailbox, smtp=item.mailbox)}"
            f" / {escape(FOLDER_NAMES.get(item.folder, item.folder))}</p>{story}"
            + "<h2>Fields</h2>" + _table(["field", "value"], fields, "No fields.", "fields")
            + ("<h2>Attendees</h2>" + _table(["name", "address", "role", "response", "answered", "proposed"],
                                             attendees, "No attendees.") if item.attendees else "")
            + "<h2>As EWS XML</h2>" + f'<pre class="xml">{escape(self._ews_xml(item))}</pre>'
            + "<h2>As Graph JSON</h2>" + f'<pre class="json">{escape(self._graph_json(item))}</pre>'))

    def meeting(self, uid: str = "", organizer: str = "", **_: str) -> bytes | None:
        story = self._story(uid, organizer)
        where = f"fragment/meeting?uid={quote(uid, safe='')}&organizer={quote(organizer, safe='')}"
        return _page("Meeting", _live(where, story)) if uid else None

    def calls(self, **_: str) -> bytes:
        return _page("Requests", _live("fragment/log", self._log(limit="500")))

    def call(self, seq: str = "", **_: str) -> bytes | None:
        found = self.log.get(int(seq)) if seq.isdigit() else None
        if found is None:
            return None
        note = '<p class="empty">Bodies were cut at 64 KiB.</p>' if found.truncated else ""
        return _page(f"{found.operation or 'Request'} #{found.seq}", (
            _table(["time", "operation", "mailbox", "status", "ms"], [_call_row(found, link=False)], "")
            + note + "<h2>Request</h2>" + f'<pre class="xml">{escape(pretty_body(found.request))}</pre>'
            + "<h2>Response</h2>" + f'<pre class="xml">{escape(pretty_body(found.response))}</pre>'))

    # --- live parts -------------------------------------------------------------------

    def _mailboxes(self, **_: str) -> str:
        rows = []
        with self.store.transaction(write=False) as tx:
            for mb in self.directory:
                counts = []
                for folder in (model.INBOX, model.CALENDAR, model.SENT, model.DELETED):
                    total, unread = tx.counts(mb.smtp, folder)
                    counts.append(f"{total}" + (f' <span class="unread">({unread} unread)</span>' if unread else ""))
                rows.append([_link("mailbox", mb.name, smtp=mb.smtp), escape(mb.smtp), escape(mb.kind), *counts])
        return _table(["mailbox", "address", "kind", "Inbox", "Calendar", "Sent Items", "Deleted Items"], rows,
                      "No mailboxes.", "mailboxes")

    def _meetings(self, **_: str) -> str:
        # A meeting is its UID with its organizer: anyone may reuse a UID (calendar:UID).
        seen: dict[tuple[str, str], Item] = {}
        with self.store.transaction(write=False) as tx:
            for mb in self.directory:
                items, _count = tx.list_folder(mb.smtp, model.CALENDAR, 0, LISTED)
                for item in items:
                    if item.uid and item.is_meeting and item.is_organized_by(mb.smtp):
                        seen.setdefault((item.uid, _organizer(item)), item)
        rows = []
        for (uid, organizer), item in sorted(seen.items(), key=lambda kv: kv[1].start or datetime.min):
            answers = ", ".join(f"{a.name or a.smtp}: {RESPONSE_NAMES.get(a.response, a.response)}"
                                + (" (new time proposed)" if a.proposed_start else "") for a in item.attendees)
            rows.append([_link("meeting", item.subject or "(no subject)", uid=uid, organizer=organizer),
                         escape(item.organizer.name if item.organizer else ""), escape(span(item.start, item.end)),
                         escape(answers)])
        return _table(["meeting", "organizer", "when", "attendees"], rows, "No meetings yet.", "meetings")

    def _log(self, limit: str = "25", **_: str) -> str:
        calls = self.log.calls()[-int(limit if limit.isdigit() else 25):]
        rows = [_call_row(c) for c in reversed(calls)]
        return _table(["time", "operation", "mailbox", "status", "ms"], rows, "No requests yet.", "log")

    def _folders(self, smtp: str = "", **_: str) -> str:
        mailbox = self.directory.get(smtp)
        if mailbox is None:
            return ""
        out = []
        with self.store.transaction(write=False) as tx:
            for folder in model.ITEM_FOLDERS:
                items, count = tx.list_folder(mailbox.smtp, folder, 0, LISTED)
                rows = [[escape(when(i.received or i.created)), escape(KIND_NAMES.get(i.kind, i.kind)),
                         _link("item", i.subject or "(no subject)", id=i.id),
                         escape((i.sender or i.organizer or model.Person("")).name), escape(span(i.start, i.end)),
                         escape(_status(i))] for i in items]
                more = f" (first {LISTED} of {count})" if count > LISTED else ""
                out.append(f'<h2 id="{folder}">{escape(FOLDER_NAMES[folder])} <small>{count}{more}</small></h2>'
                           + _table(["received", "kind", "subject", "from", "when", "status"], rows,
                                    "Empty.", "items"))
        return "".join(out)

    def _story(self, uid: str = "", organizer: str = "", **_: str) -> str:
        """Every mailbox's items of the meeting ``uid`` organized by ``organizer`` (all
        organizers' when none is named)."""
        events: list[tuple[datetime, Item]] = []
        with self.store.transaction(write=False) as tx:
            for mb in self.directory:
                events += [(i.received or i.created or datetime.min, i) for i in tx.by_uid(mb.smtp, uid)
                           if not organizer or _organizer(i) == organizer.lower()]
        if not events:
            return '<p class="empty">No mailbox holds this meeting.</p>'
        events.sort(key=lambda pair: (pair[0], _story_rank(pair[1])))
        subject = next((i.subject for _, i in events if i.kind == model.CALENDAR_ITEM), events[0][1].subject)
        rows = []
        for at, item in events:
            owner = self.directory.get(item.mailbox)
            rows.append([escape(at.strftime("%Y-%m-%d %H:%M:%S")), _link("mailbox", owner.name if owner else item.mailbox, smtp=item.mailbox),
                         escape(FOLDER_NAMES.get(item.folder, item.folder)),
                         escape(KIND_NAMES.get(item.kind, item.kind)), _link("item", item.subject or "(no subject)", id=item.id),
                         escape(span(item.start, item.end)), escape(_status(item))])
        return (f'<p class="subject">{escape(subject)}</p>'
                + _table(["time", "mailbox", "folder", "kind", "subject", "when", "what"], rows, "", "story"))

    def _ews_xml(self, item: Item) -> str:
        build = self.ews.build
        schema = build.newest_schema
        proposals = gate("propose_new_time").open_for(build, schema)
        reader = Reader(item.mailbox, build, schema,
                        lambda it: self.ews.rules.actions(item.mailbox, it, proposals))
        element = item_element(item, Shape("AllProperties"), reader)
        return etree.tostring(element, pretty_print=True, encoding="unicode")


    def _graph_json(self, item: Item) -> str:
        """The item as its mailbox's owner reads it through Graph (/v1.0/me/...)."""
        from ..graph import events, messages
        from ..graph.common import Ctx

        me = self.directory.get(item.mailbox)
        if me is None:
            return "(the mailbox is no longer in the directory)"
        ctx = Ctx(me, self.ews.rules, self.directory, None, "/v1.0")
        if item.kind == model.CALENDAR_ITEM:
            shown = events.event_json(item, ctx)
        elif item.kind in messages.MESSAGE_KINDS:
            shown = messages.message_json(item, ctx)
        else:
            return f"(a {item.kind} is not a Graph resource)"
        return json.dumps(shown, indent=2, ensure_ascii=False)


def _story_rank(item: Item) -> int:
    """Order within one instant: the organizer's meeting, the request sent, received,
    the attendee's calendar item, the answer sent, the answer received."""
    organizer = item.is_organized_by(item.mailbox)
    if item.kind == model.CALENDAR_ITEM:
        return 0 if organizer else 3
    if item.kind in (model.MEETING_REQUEST, model.MEETING_CANCELLATION):
        return 1 if item.folder == model.SENT else 2
    if item.kind == model.MEETING_RESPONSE:
        return 4 if item.folder == model.SENT else 5
    return 6


def _call_row(call: WireCall, link: bool = True) -> list[str]:
    name = call.operation or "(not SOAP)"
    status_css = "ok" if call.status < 400 else "bad"
    return [escape(call.time.strftime("%H:%M:%S")),
            _link("call", name, seq=str(call.seq)) if link else escape(name),
            escape(call.mailbox or ""), f'<span class="{status_css}">{call.status}</span>', f"{call.millis:.0f}"]


def _status(item: Item) -> str:
    """What happened to this item, in a few words."""
    bits = []
    if item.kind == model.MEETING_RESPONSE and item.response:
        bits.append(RESPONSE_NAMES.get(item.response, item.response))
    if item.proposed_start:
        bits.append(f"proposed {span(item.proposed_start, item.proposed_end)}")
    if item.kind == model.CALENDAR_ITEM and item.my_response and item.my_response != model.ORGANIZER:
        bits.append(f"my response: {RESPONSE_NAMES.get(item.my_response, item.my_response)}")
    if item.kind == model.CALENDAR_ITEM and item.organizer and item.is_organized_by(item.mailbox):
        bits.append("organizer")
    if item.kind == model.MEETING_REQUEST and item.request_type:
        bits.append({"new": "new request", "full_update": "updated time"}.get(item.request_type, item.request_type))
    if item.is_out_of_date:
        bits.append("out of date")
    if item.is_cancelled:
        bits.append("cancelled")
    if not item.is_read and item.folder == model.INBOX:
        bits.append("unread")
    return ", ".join(bits)


def _fields(item: Item) -> list[tuple[str, str]]:
    out = []
    for name in ("id", "change_key", "item_class", "subject", "body", "created", "received", "start", "end",
                 "location", "uid", "sequence", "is_meeting", "is_cancelled", "my_response", "allow_new_time_proposal",
                 "associated_item_id", "response", "request_type", "proposed_start", "proposed_end",
                 "is_out_of_date", "is_read", "free_busy"):
        value = getattr(item, name)
        if value in (None, "", False) and name not in ("is_read",):
            continue
        out.append((name, when(value) if isinstance(value, datetime) else str(value)))
    for name in ("sender", "organizer"):
        person = getattr(item, name)
        if person is not None:
            out.append((name, f"{person.name} <{person.smtp}>"))
    for name in ("to", "cc"):
        people = getattr(item, name)
        if people:
            out.append((name, ", ".join(f"{p.name} <{p.smtp}>" for p in people)))
    return out
