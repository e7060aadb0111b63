"""What every Graph resource needs: the signed-in mailbox, the target user of a
``/users/{id}`` path, JSON bodies in and out, ``$select``, paging and OData context."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import falcon

from ..directory import Directory, Mailbox
from ..rules.engine import MeetingRules
from . import ids
from .errors import GraphError
from .models import GraphModel, parse_body
from .timezones import UTC_ZONE, Zone

JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
CTX_KEY = "ews_propose.graph"


@dataclass
class Ctx:
    """One Graph request: who signed in, the answer's zone, where the service lives."""

    me: Mailbox
    rules: MeetingRules
    directory: Directory
    zone: Zone | None  # from Prefer: outlook.timezone; None means UTC and no Preference-Applied
    service_root: str  # http://host:port/v1.0
    body_type: str | None = None  # Prefer: outlook.body-content-type ("text" | "html")
    immutable_ids: bool = False  # Prefer: IdType="ImmutableId" (ids here never change anyway)

    def applied(self) -> list[str]:
        """What Preference-Applied says."""
        out = []
        if self.zone is not None:
            out.append(f'outlook.timezone="{self.zone.name}"')
        if self.body_type is not None:
            out.append(f'outlook.body-content-type="{self.body_type}"')
        if self.immutable_ids:
            out.append('IdType="ImmutableId"')
        return out

    @property
    def out_zone(self) -> Zone:
        return self.zone or UTC_ZONE

    def context_url(self, mailbox: Mailbox, tail: str) -> str:
        return f"{self.service_root}/$metadata#users('{ids.user_id(mailbox.smtp)}')/{tail}"


def ctx_of(req: falcon.Request) -> Ctx:
    return req.context.graph


def target(ctx: Ctx, user: str | None) -> Mailbox:
    """The mailbox a path names: ``/me`` or ``/users/{id | userPrincipalName}``.

    Only the signed-in mailbox's own data can be read or changed (the emulator has no
    delegation): another existing user is a 403, an unknown one a 404.
    """
    if user is None:
        return ctx.me
    found = ctx.directory.get(user)
    if found is None:
        found = next((m for m in ctx.directory if ids.user_id(m.smtp) == user.lower()), None)
    if found is None:
        raise GraphError(404, "ErrorInvalidUser", f"The requested user '{user}' is invalid.")
    if found.smtp.lower() != ctx.me.smtp.lower():
        raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    return found


def read_body(req: falcon.Request, model: type[GraphModel], empty_ok: bool = False) -> GraphModel:
    raw = req.context.body
    if not raw.strip():
        if empty_ok:
            return model.model_validate({})
        raise GraphError(400, "RequestBodyRead", "The request body is empty; a JSON object is expected.")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise GraphError(400, "RequestBodyRead", "The request body is not valid JSON.") from None
    except RecursionError:
        raise GraphError(400, "RequestBodyRead", "The request body is nested too deeply.") from None
    _check_text(data)
    return parse_body(model, data)


# What XML 1.0 cannot carry: an item written through Graph must stay readable through EWS.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _check_text(value: Any, depth: int = 0) -> None:
    if depth > 64:
        raise GraphError(400, "RequestBodyRead", "The request body is nested too deeply.")
    if isinstance(value, str):
        if _NOT_XML.search(value):
            raise GraphError(400, "ErrorInvalidRequest", "A string in the request body holds a control "
                             "character or an unpaired surrogate, which mailbox items cannot store.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, depth + 1)
            _check_text(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, depth + 1)


def send_json(req: falcon.Request, resp: falcon.Response, payload: Any, status: int = 200) -> None:
    resp.status = status
    resp.content_type = JSON_TYPE
    resp.data = json.dumps(payload, ensure_ascii=False).encode("utf-8")


def no_content(resp: falcon.Response, status: int) -> None:
    """202/204 with no body and no Content-Type (an SDK that sees a JSON media type tries
    to parse the empty body)."""
    resp.status = status
    resp.data = b""
    resp.content_type = None


def selected(req: falcon.Request, type_name: str, available: dict[str, Any] | None = None) -> list[str] | None:
    """``$select`` as the properties' own spellings; None when absent. An unknown name is a 400."""
    raw = req.get_param("$select")
    if raw is None:
        return None
    names = [n.strip() for n in raw.split(",") if n.strip()]
    if available is None:
        return names
    folded = {k.lower(): k for k in available if not k.startswith("@")}
    out = []
    for name in names:
        if name.lower() not in folded:
            raise GraphError(400, "RequestBroker--ParseUri",
                             f"Could not find a property named '{name}' on type '{type_name}'.")
        out.append(folded[name.lower()])
    return out


def apply_select(payload: dict[str, Any], names: list[str] | None, keep: tuple[str, ...]) -> dict[str, Any]:
    if names is None:
        return payload
    wanted = set(names) | set(keep)
    return {k: v for k, v in payload.items() if k in wanted or (k.startswith("@odata.") and k in keep)}


def int_param(req: falcon.Request, name: str, default: int | None, low: int = 0,
              high: int | None = None) -> int | None:
    raw = req.get_param(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise GraphError(400, "BadRequest", f"Invalid value '{raw}' for query option '{name}'.") from None
    if value < low or (high is not None and value > high):
        raise GraphError(400, "BadRequest", f"Invalid value '{raw}' for query option '{name}'.")
    return value


def next_link(req: falcon.Request, ctx: Ctx, skip: int) -> str:
    """The same request with ``$skip`` moved on."""
    params = [(k, v) for k, v in _query_pairs(req) if k.lower() != "$skip"]
    params.append(("$skip", str(skip)))
    path = req.path[len("/v1.0"):] if req.path.lower().startswith("/v1.0") else req.path
    return f"{ctx.service_root}{path}?" + urlencode(params, quote_via=quote, safe="$,'()/:")


def _query_pairs(req: falcon.Request) -> list[tuple[str, str]]:
    out = []
    for key, value in req.params.items():
        for v in value if isinstance(value, list) else [value]:
            out.append((key, v))
    return out
