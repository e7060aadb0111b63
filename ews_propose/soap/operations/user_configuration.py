"""GetUserConfiguration, CreateUserConfiguration, UpdateUserConfiguration and
DeleteUserConfiguration: named configuration objects of a folder, kept by
``ews_propose.rules.user_configurations``.

The Dictionary is kept as written (its entries, their types and values) and answered the
same way; XmlData and BinaryData are kept as the base64 text they came in (checked to
be base64). GetUserConfiguration answers the parts UserConfigurationProperties asks
for (Id, Dictionary, XmlData, BinaryData or All).
"""

from __future__ import annotations

import base64
import binascii

from lxml import etree

from ...rules.user_configurations import UserConfigurations
from ..context import EwsRequest, Responses
from ..trees import from_tree, to_tree
from ..xml import M, SchemaViolation, T, parse_enum, sub
from . import operation
from ._folders import resolve_folder

PROPERTIES = ("Id", "Dictionary", "XmlData", "BinaryData", "All")
VALUE_TYPES = ("DateTime", "Boolean", "Byte", "String", "Integer32", "UnsignedInteger32", "Integer64",
               "UnsignedInteger64", "StringArray", "ByteArray")


def _name(req: EwsRequest, el) -> tuple[str, str]:
    """(folder key, configuration name) of a UserConfigurationName element."""
    if el is None:
        raise SchemaViolation("The request needs a UserConfigurationName.")
    name = el.get("Name")
    if not name:
        raise SchemaViolation("UserConfigurationName needs the Name attribute.", el)
    folder_el = next((c for c in el if isinstance(c.tag, str)), None)
    if folder_el is None:
        raise SchemaViolation("UserConfigurationName needs a FolderId or DistinguishedFolderId.", el)
    return resolve_folder(req, folder_el), name


def _parts(el) -> dict:
    parts: dict = {}
    dictionary = el.find(T + "Dictionary")
    if dictionary is not None:
        _check_dictionary(dictionary)
        parts["dictionary"] = to_tree(dictionary)
    for tag, key in (("XmlData", "xml_data"), ("BinaryData", "binary_data")):
        found = el.find(T + tag)
        if found is not None:
            text = "".join((found.text or "").split())
            try:
                base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise SchemaViolation(f"The {tag} of a UserConfiguration is not base64.", found) from None
            parts[key] = text
    return parts


def _check_dictionary(dictionary) -> None:
    """Each key and value has a type of the schema's; booleans are kept as Exchange
    answers them (true / false)."""
    for entry in dictionary:
        if not isinstance(entry.tag, str):
            continue
        if entry.tag != T + "DictionaryEntry":
            raise SchemaViolation("A Dictionary holds DictionaryEntry elements only.", entry)
        for part in entry:
            if not isinstance(part.tag, str):
                continue
            kind_el = part.find(T + "Type")
            if kind_el is None:
                raise SchemaViolation(f"{etree_name(part)} needs a Type.", part)
            kind = parse_enum(kind_el, kind_el.text, VALUE_TYPES, "UserConfigurationDictionaryObjectType")
            if kind == "Boolean":
                for value in part.findall(T + "Value"):
                    text = (value.text or "").strip().lower()
                    if text not in ("true", "false", "1", "0"):
                        raise SchemaViolation(f"The value '{value.text}' is not a Boolean.", value)
                    value.text = "true" if text in ("true", "1") else "false"


def etree_name(el) -> str:
    return el.tag.split("}")[-1]


def _configuration(req: EwsRequest, request):
    config = request.find(M + "UserConfiguration")
    if config is None:
        raise SchemaViolation("The request needs a UserConfiguration.", request)
    name_el = config.find(T + "UserConfigurationName")
    if name_el is None:
        name_el = config.find(M + "UserConfigurationName")
    return _name(req, name_el), _parts(config)


def GetUserConfiguration(req: EwsRequest, request):
    props_el = request.find(M + "UserConfigurationProperties")
    if props_el is None:
        raise SchemaViolation("GetUserConfiguration needs UserConfigurationProperties.", request)
    wanted = set((props_el.text or "").split())
    for value in wanted or {""}:
        parse_enum(props_el, value, PROPERTIES, "UserConfigurationProperties")
    if "All" in wanted:
        wanted = set(PROPERTIES)
    out = Responses("GetUserConfiguration")
    try:
        folder, name = _name(req, request.find(M + "UserConfigurationName"))
        record = UserConfigurations(req.rules.store).get(req.actor, folder, name)
    except Exception as exc:
        out.failure(exc)
        return out.root
    config = sub(out.success(), M + "UserConfiguration")
    holder = sub(config, T + "UserConfigurationName", Name=name)
    sub(holder, T + "FolderId", Id=req.folders.get(req.actor, folder).id)
    if "Id" in wanted:
        sub(config, T + "ItemId", Id=record["id"], ChangeKey=record["change_key"])
    if "Dictionary" in wanted and record.get("dictionary") is not None:
        from_tree(config, record["dictionary"])
    if "XmlData" in wanted and record.get("xml_data") is not None:
        sub(config, T + "XmlData", record["xml_data"])
    if "BinaryData" in wanted and record.get("binary_data") is not None:
        sub(config, T + "BinaryData", record["binary_data"])
    return out.root


def _changed(operation_name: str, change) -> etree._Element:
    """One response message: NoError after ``change()``, or the error it raised (a
    malformed request is a fault, raised on)."""
    out = Responses(operation_name)
    try:
        change()
    except SchemaViolation:
        raise
    except Exception as exc:
        out.failure(exc)
        return out.root
    out.success()
    return out.root


def CreateUserConfiguration(req: EwsRequest, request):
    def change():
        (folder, name), parts = _configuration(req, request)
        UserConfigurations(req.rules.store).create(req.actor, folder, name, parts)
    return _changed("CreateUserConfiguration", change)


def UpdateUserConfiguration(req: EwsRequest, request):
    def change():
        (folder, name), parts = _configuration(req, request)
        UserConfigurations(req.rules.store).update(req.actor, folder, name, parts)
    return _changed("UpdateUserConfiguration", change)


def DeleteUserConfiguration(req: EwsRequest, request):
    def change():
        folder, name = _name(req, request.find(M + "UserConfigurationName"))
        UserConfigurations(req.rules.store).delete(req.actor, folder, name)
    return _changed("DeleteUserConfiguration", change)


services = [operation(h) for h in (GetUserConfiguration, CreateUserConfiguration, UpdateUserConfiguration,
                                   DeleteUserConfiguration)]
