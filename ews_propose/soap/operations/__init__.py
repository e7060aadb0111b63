"""One module per EWS operation. Each exposes ``service``: a spyne Service whose single
method takes the request element and returns the response element."""

from __future__ import annotations

import logging
from collections.abc import Callable

from lxml import etree
from spyne import AnyXml, Service, rpc

from ...rules import budget
from ...rules.errors import RuleError
from ..context import EwsRequest
from ..errors import EwsFault, ItemError, response_code, schema_fault
from ..xml import SchemaViolation, position, reading_in

log = logging.getLogger("ews_propose.soap")

Handler = Callable[[EwsRequest, etree._Element], etree._Element]


def operation(handler: Handler, request_element: str | None = None) -> type[Service]:
    """Bind ``handler`` (named after the EWS operation) as a bare document/literal method.

    ``request_element`` names the body element when it is not the operation's name
    (GetUserAvailability takes GetUserAvailabilityRequest).
    """
    name = handler.__name__

    def method(ctx, request):
        try:
            req = EwsRequest(ctx)
            with reading_in(req.zone), budget.request_budget(req.rules.limits.max_request_seconds):
                return handler(req, request)
        except SchemaViolation as exc:
            line, column = exc.line, exc.column
            if exc.element is not None and exc.element.getroottree().getroot() is ctx.in_document:
                line, column = position(exc.element, ctx.in_string)
            raise schema_fault(exc.message, line, column) from None
        except EwsFault:
            raise
        except ItemError as exc:  # a problem with the request as a whole (its shape, ...)
            raise EwsFault(exc.code, exc.message) from None
        except RuleError as exc:  # refused as a whole (the time budget spent, ...)
            raise EwsFault(response_code(exc), exc.message) from None
        except Exception:
            # A defect: keep the traceback in the server log, answer with a fault.
            log.exception("%s failed", name)
            raise EwsFault("ErrorInternalServerError",
                           "An internal server error occurred. The operation failed.") from None

    method.__name__ = name
    bound = rpc(
        AnyXml,
        _returns=AnyXml,
        _body_style="bare",
        _in_message_name=request_element or name,
        _out_message_name=name + "Response",
    )(method)
    return type(name + "Service", (Service,), {name: bound, "__module__": handler.__module__})


def all_services() -> list[type[Service]]:
    from . import (
        archive_item,
        attachments,
        convert_id,
        create_folder,
        create_item,
        delete_folder,
        delete_item,
        directory_calls,
        export_upload,
        find_folder,
        find_item,
        get_folder,
        get_item,
        get_server_time_zones,
        get_user_availability,
        inbox_rules,
        mailbox_calls,
        move_item,
        notifications,
        oof_settings,
        send_item,
        sync,
        update_folder,
        update_item,
        user_configuration,
    )

    return [m.service for m in (get_folder, find_item, get_item, create_item, update_item, delete_item,
                                convert_id, get_user_availability, get_server_time_zones,
                                find_folder, create_folder, delete_folder, update_folder)] + [
        delete_folder.empty_service, update_folder.move_service, move_item.service, move_item.copy_service, move_item.junk_service,
        send_item.service, *directory_calls.services, *oof_settings.services, sync.service,
        sync.hierarchy_service, *attachments.services, *notifications.services,
        *mailbox_calls.services, *export_upload.services, *inbox_rules.services, archive_item.service,
        *user_configuration.services]
