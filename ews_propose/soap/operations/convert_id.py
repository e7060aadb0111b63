"""ConvertId: enough for clients that probe the server with it (exchangelib does, with
the id "DUMMY"). This emulator has one id format, so EwsId and EwsLegacyId convert to
themselves; other formats are refused per id."""

from __future__ import annotations

from ...rules.ids import is_folder_id, is_item_id
from ..context import EwsRequest, Responses
from ..xml import M, SchemaViolation, parse_enum, sub
from . import operation

FORMATS = ("EwsLegacyId", "EwsId", "EntryId", "HexEntryId", "StoreId", "OwaId")
CONVERTIBLE = ("EwsLegacyId", "EwsId")


def ConvertId(req: EwsRequest, request):
    destination = parse_enum(request, request.get("DestinationFormat"), FORMATS,
                             "the DestinationFormat attribute")
    source = request.find(M + "SourceIds")
    if source is None:
        raise SchemaViolation("The element 'ConvertId' is missing its required child 'SourceIds'.", request)
    out = Responses("ConvertId")
    for alt in source:
        if not isinstance(alt.tag, str):
            continue
        fmt = parse_enum(alt, alt.get("Format"), FORMATS, "the Format attribute")
        ident = alt.get("Id") or ""
        mailbox = alt.get("Mailbox") or req.actor
        if fmt not in CONVERTIBLE or destination not in CONVERTIBLE or not (
            is_item_id(ident) or is_folder_id(ident)
        ):
            out.error("ErrorInvalidIdMalformed", "Id is malformed.")
            continue
        if mailbox.lower() != req.actor.lower():
            out.error("ErrorItemNotFound", "The specified object was not found in the store.")
            continue
        msg = out.success()
        sub(msg, M + "AlternateId", Format=destination, Id=ident, Mailbox=mailbox).set(
            "{http://www.w3.org/2001/XMLSchema-instance}type", "t:AlternateIdType")
    return out.root


service = operation(ConvertId)
