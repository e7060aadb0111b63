"""The Graph WSGI application: Falcon routes (every path form of a resource is an alias
of one resource class), bearer auth, body limits, ``Prefer``, and Graph's error JSON for
everything that goes wrong, including routing errors and defects."""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import falcon

from ..directory import Directory
from ..rules import budget
from ..rules.engine import MeetingRules
from ..rules.errors import RuleError
from . import calendars, event_actions, events, messages, schedule, users
from .common import Ctx
from .errors import GraphError, from_rule
from .timezones import preferred

log = logging.getLogger(__name__)

PREFIX = "/v1.0"
OWNERS = ("/me", "/users/{user}")
# Where events live; each is a path form of the same events (seed 003 and its siblings).
EVENT_BASES = (
    "/events",
    "/calendar/events",
    "/calendars/{calendar_id}/events",
    "/calendargroups/{group_id}/calendars/{calendar_id}/events",
    "/calendargroup/calendars/{calendar_id}/events",
)
ACTIONS = ("accept", "tentativelyaccept", "decline", "cancel")
_BODY_METHODS = ("POST", "PATCH", "PUT")
_BODY_PREF = re.compile(r'outlook\.body-content-type\s*=\s*"([^"]*)"', re.IGNORECASE)
_IMMUTABLE_PREF = re.compile(r'IdType\s*=\s*"ImmutableId"', re.IGNORECASE)
_KNOWN_OPTIONS = {"$select", "$expand", "$filter", "$orderby", "$top", "$skip", "$count", "$search",
                  "$skiptoken", "$format", "$deltatoken", "$levels", "$apply", "$compute", "$index", "$schemaversion"}


class GraphApplication:
    """WSGI callable for ``/v1.0/...`` over the same rules, store and directory as EWS."""

    def __init__(self, rules: MeetingRules, directory: Directory, max_request_bytes: int) -> None:
        self.rules = rules
        self.directory = directory
        self.max_request_bytes = max_request_bytes
        self._literals: set[str] = set()
        # The falcon application is built at the first Graph request: registering its
        # routes (falcon checks every responder of ~470) was half of an emulator's start,
        # which the pytest fixture pays for every test (bench/fixture_start.py).
        self._app: falcon.App | None = None
        self._building = threading.Lock()

    @property
    def app(self) -> falcon.App:
        app = self._app
        if app is None:
            with self._building:
                if self._app is None:
                    self._app = self._build()
                app = self._app
        return app

    def _build(self) -> falcon.App:
        self._pending = app = falcon.App(middleware=[_Requests(self)])
        app.req_options.strip_url_path_trailing_slash = True
        # Every answer with a body sets its own type; 202/204 carry none (SDKs would parse it).
        app.resp_options.default_media_type = None
        self._routes()
        # falcon.HTTPError (routing 404, 405) has a default handler of its own: replace it too.
        app.add_error_handler(Exception, _error_handler)
        app.add_error_handler(falcon.HTTPError, _error_handler)
        del self._pending
        return app

    # --- routes ------------------------------------------------------------------------

    def add(self, template: str, resource: object, owners: Iterable[str] = OWNERS) -> None:
        for owner in owners:
            path = PREFIX + owner + template
            self._literals.update(s.lower() for s in path.split("/") if s and not s.startswith("{"))
            self._pending.add_route(path.lower() if "{" not in path else _lower_literals(path), resource)

    def _routes(self) -> None:
        self.add("", users.UserResource())
        self.add("", users.UsersCollection(), owners=("/users",))
        self.add("/translateexchangeids", users.TranslateExchangeIds())
        collection, item = events.EventsCollection(), events.EventItem()
        for base in EVENT_BASES:
            self.add(base, collection)
            self.add(base + "/{event_id}", item)
            for action in ACTIONS:
                self.add(f"{base}/{{event_id}}/{action}", event_actions.EventAction(action))
        self.add("/calendarview", events.CalendarView())
        self.add("/calendar/calendarview", events.CalendarView())
        self.add("/calendar", calendars.DefaultCalendar())
        self.add("/calendars", calendars.CalendarsCollection())
        self.add("/calendars/{calendar_id}", calendars.CalendarItem())
        self.add("/calendargroups", calendars.GroupsCollection())
        self.add("/calendargroups/{group_id}/calendars", calendars.GroupCalendars())
        self.add("/calendar/getschedule", schedule.GetSchedule())
        self.add("/findmeetingtimes", schedule.FindMeetingTimes())
        self.add("/messages", messages.MessagesCollection())
        self.add("/messages/{message_id}", messages.MessageItem())
        self.add("/mailfolders", messages.FoldersCollection())
        self.add("/mailfolders/{folder_id}", messages.FolderItem())
        self.add("/mailfolders/{folder_id}/messages", messages.MessagesCollection())
        self.add("/mailfolders/{folder_id}/messages/{message_id}", messages.MessageItem())

    # --- WSGI --------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        app = self.app  # built first: it fills the literals _canonical reads
        environ["PATH_INFO"] = self._canonical(environ.get("PATH_INFO") or "/")
        with budget.request_budget(self.rules.limits.max_request_seconds):
            return app(environ, start_response)

    def _canonical(self, path: str) -> str:
        """Literal segments matched case-insensitively (``calendarGroups``, ``tentativelyAccept``):
        they are folded to the registered lower case; ids are left as they are."""
        return "/".join(s.lower() if s.lower() in self._literals else s for s in path.split("/"))


def _lower_literals(path: str) -> str:
    return "/".join(s if s.startswith("{") else s.lower() for s in path.split("/"))


def with_graph(ews_app: Callable, graph_app: Callable) -> Callable:
    """One WSGI callable for the port: ``/v1.0/...`` to Graph, everything else to EWS."""

    def dispatch(environ, start_response):
        path = (environ.get("PATH_INFO") or "").lower()
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return graph_app(environ, start_response)
        return ews_app(environ, start_response)

    dispatch.graph = graph_app  # type: ignore[attr-defined]
    return dispatch


class _Requests:
    """Before any resource: auth, the body (size, media type), Prefer; after: the
    request-id headers and Preference-Applied."""

    def __init__(self, owner: GraphApplication) -> None:
        self.owner = owner

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.request_id = str(uuid.uuid4())
        req.context.client_request_id = req.get_header("client-request-id") or req.context.request_id
        req.context.graph = None
        header = req.get_header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        mailbox = self.owner.directory.authenticate_token(token.strip()) if (
            scheme.lower() == "bearer" and token.strip()) else None
        if mailbox is None:
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Access token is empty." if not header else "Access token validation failure.",
                             headers={"WWW-Authenticate": "Bearer"})
        req.context.body = self._body(req)
        prefer = req.get_header("Prefer") or ""
        zone = preferred([prefer])
        body = _BODY_PREF.search(prefer)
        if body is not None and body.group(1).lower() not in ("text", "html"):
            raise GraphError(400, "ErrorInvalidRequest",
                             f"outlook.body-content-type must be \"text\" or \"html\", not \"{body.group(1)}\".")
        req.context.graph = Ctx(mailbox, self.owner.rules, self.owner.directory, zone, req.prefix + PREFIX,
                                body_type=body.group(1).lower() if body else None,
                                immutable_ids=bool(_IMMUTABLE_PREF.search(prefer)))

    def _body(self, req: falcon.Request) -> bytes:
        limit = self.owner.max_request_bytes
        length = req.content_length
        if length is not None and length > limit:
            raise _too_large(limit)
        raw = req.bounded_stream.read(limit + 1) if req.method in _BODY_METHODS else b""
        if len(raw) > limit:
            raise _too_large(limit)
        if raw.strip():
            media = (req.content_type or "").split(";")[0].strip().lower()
            if media != "application/json":
                raise GraphError(415, "UnsupportedMediaType",
                                 f"The content type '{req.content_type or ''}' is not supported; "
                                 f"send 'application/json'.")
        return raw

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict) -> None:
        """System query options a resource does not take are a 400, not ignored."""
        allowed = getattr(resource, "query_options", frozenset())
        for name in req.params:
            if name.startswith("$") and name.lower() not in allowed:
                raise GraphError(400, "BadRequest", f"The query option '{name}' is not supported on this "
                                 f"resource by this emulator." if name.lower() in _KNOWN_OPTIONS else
                                 f"The query parameter '{name}' is not supported.")

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: Any,
                         req_succeeded: bool) -> None:
        rid = getattr(req.context, "request_id", None) or str(uuid.uuid4())
        resp.set_header("request-id", rid)
        resp.set_header("client-request-id", getattr(req.context, "client_request_id", None) or rid)
        ctx = getattr(req.context, "graph", None)
        if ctx is not None and req_succeeded and ctx.applied():
            resp.set_header("Preference-Applied", ", ".join(ctx.applied()))


def _too_large(limit: int) -> GraphError:
    return GraphError(413, "RequestEntityTooLarge",
                      f"The request is larger than this server's limit of {limit} bytes.")


def _error_handler(req: falcon.Request, resp: falcon.Response, ex: Exception, params: dict) -> None:
    if isinstance(ex, GraphError):
        error = ex
    elif isinstance(ex, RuleError):
        error = from_rule(ex)
    elif isinstance(ex, falcon.HTTPMethodNotAllowed):
        error = GraphError(405, "Request_BadRequest",
                           f"The HTTP method '{req.method}' is not allowed on this resource.",
                           headers=dict(ex.headers or {}))
    elif isinstance(ex, falcon.HTTPNotFound):
        segment = next((s for s in reversed(req.path.split("/")) if s), "")
        error = GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
    elif isinstance(ex, falcon.HTTPError):
        error = GraphError(ex.status_code, "BadRequest", ex.title or "The request is not valid.",
                           headers=dict(ex.headers or {}))
    else:
        log.exception("unhandled error in the Graph surface")
        error = GraphError(500, "InternalServerError", "An internal server error occurred.")
    rid = getattr(req.context, "request_id", None) or str(uuid.uuid4())
    body = {"error": {"code": error.code, "message": error.message, "innerError": {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": rid,
        "client-request-id": getattr(req.context, "client_request_id", None) or rid,
    }}}
    resp.status = error.status
    resp.content_type = "application/json"
    resp.data = json.dumps(body).encode()
    for name, value in error.headers.items():
        resp.set_header(name, value)
