"""``/me``, ``/users``, ``/users/{id | userPrincipalName}`` and ``translateExchangeIds``."""

from __future__ import annotations

from typing import Any

from ..directory import Mailbox
from . import ids
from .common import Ctx, ctx_of, read_body, send_json, target
from .errors import GraphError
from .models import TranslateExchangeIds as TranslateBody


def user_json(mailbox: Mailbox) -> dict[str, Any]:
    given, _, surname = mailbox.name.partition(" ")
    return {
        "businessPhones": [],
        "displayName": mailbox.name,
        "givenName": given or None,
        "jobTitle": None,
        "mail": mailbox.smtp,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": surname or None,
        "userPrincipalName": mailbox.smtp,
        "id": ids.user_id(mailbox.smtp),
    }


class UserResource:
    def on_get(self, req, resp, user=None):
        ctx: Ctx = ctx_of(req)
        if user is None:
            mailbox = ctx.me
        else:
            # Any user's directory entry is readable (User.ReadBasic.All); their mail is not.
            mailbox = ctx.directory.get(user) or next(
                (m for m in ctx.directory if ids.user_id(m.smtp) == user.lower()), None)
            if mailbox is None:
                raise GraphError(404, "Request_ResourceNotFound",
                                 f"Resource '{user}' does not exist or one of its queried reference-property "
                                 f"objects are not present.")
        payload = {"@odata.context": f"{ctx.service_root}/$metadata#users/$entity"}
        payload.update(user_json(mailbox))
        send_json(req, resp, payload)


class UsersCollection:
    def on_get(self, req, resp):
        ctx: Ctx = ctx_of(req)
        send_json(req, resp, {"@odata.context": f"{ctx.service_root}/$metadata#users",
                              "value": [user_json(m) for m in ctx.directory]})


_REST_LIKE = ("restId", "restImmutableEntryId")
_EWS_LIKE = ("ewsId", "immutableEntryId", "entryId")


class TranslateExchangeIds:
    """Between ``ewsId`` and ``restId`` (immutable forms are the same ids here: they never
    change; ``entryId`` is not supported)."""

    def on_post(self, req, resp, user=None):
        ctx: Ctx = ctx_of(req)
        target(ctx, user)
        body = read_body(req, TranslateBody)
        for kind in (body.source_id_type, body.target_id_type):
            if kind == "entryId":
                raise GraphError(400, "ErrorInvalidRequest", "entryId is not supported by this emulator.")
        values = []
        for source in body.input_ids:
            if body.source_id_type in _REST_LIKE and body.target_id_type in _EWS_LIKE:
                converted = ids.ews_id(source)
            elif body.source_id_type in _EWS_LIKE and body.target_id_type in _REST_LIKE:
                converted = ids.rest_id(source)
            else:
                converted = source
            values.append({"sourceId": source, "targetId": converted})
        send_json(req, resp, {"@odata.context": f"{ctx.service_root}/$metadata#Collection(microsoft.graph."
                              f"convertIdResult)", "value": values})
