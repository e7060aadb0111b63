"""Strict requests: the SOAP headers and the operation element of every request checked
against wsdl/ as its RequestServerVersion sees it (issue 13), before any operation runs.

Exchange validates the whole envelope: SOAP's Header holds any element, validated laxly,
so an EWS header element the schema declares (ExchangeImpersonation, TimeZoneContext,
DateTimePrecision, ManagementRole, MailboxCulture, SerializedSecurityContext, ...) is
checked against its declaration and an unknown one is skipped. RequestServerVersion is
read first by the protocol (an unknown Version is ErrorInvalidServerVersion, as Exchange
Online answers Exchange2007_SP3), so it arrives here with a known value.

One request form that breaks Microsoft's schema is accepted because Exchange accepts it
(docs/wire-fidelity.md): exchangelib 5.6's GetMailTips, which writes the
MailTipsRequested value as GetMailTips' own text.
"""

from __future__ import annotations

import copy
from functools import cache

from lxml import etree

from .. import schemas
from ..resources import wsdl_dir
from .errors import schema_fault
from .xml import M, T, position

XS = "{http://www.w3.org/2001/XMLSchema}"
_VERSION = T + "RequestServerVersion"


@cache
def declared_headers() -> frozenset[str]:
    """The global elements of types.xsd: the header elements the schema can check."""
    root = etree.parse(str(wsdl_dir() / "types.xsd")).getroot()
    return frozenset(f"{{{root.get('targetNamespace')}}}{el.get('name')}" for el in root.iterchildren(XS + "element"))


def _as_exchange_reads(operation: etree._Element) -> etree._Element | None:
    """The request as Exchange reads it, where a real client's known form breaks the schema
    and Exchange answers it all the same; None where no such form applies."""
    if operation.tag == M + "GetMailTips" and operation.find(M + "MailTipsRequested") is None:
        text = (operation.text or "").strip()
        if text and all(part.isalpha() for part in text.split()):
            fixed = copy.deepcopy(operation)
            fixed.text = None
            etree.SubElement(fixed, M + "MailTipsRequested").text = text
            return fixed
    return None


def _raise(violation: schemas.Violation, data: bytes) -> None:
    if violation.element is not None:
        line, column = position(violation.element, data)
    else:
        line, column = violation.line, 0
    raise schema_fault(violation.message, line, column)


def check_request(header: etree._Element | None, operation: etree._Element, version: str, data: bytes) -> None:
    """Raise ErrorSchemaValidation (real line, position and violated element) for the first
    header or body element that breaks the schema of ``version``."""
    if header is not None:
        declared = declared_headers()
        for el in header:
            if el.tag == _VERSION and len(el.attrib) == 1 and len(el) == 0 and not (el.text or "").strip():
                continue  # Version alone: the protocol has read and checked it already
            if isinstance(el.tag, str) and el.tag in declared:
                violation = schemas.request_violation(el, version)
                if violation is not None:
                    _raise(violation, data)
    if operation.tag not in schemas.declared_operations():
        return  # the dispatcher's own fault (ErrorInvalidRequest / ErrorInvalidOperation)
    violation = schemas.request_violation(operation, version)
    if violation is None:
        return
    lenient = _as_exchange_reads(operation)
    if lenient is not None and schemas.request_violation(lenient, version) is None:
        return
    _raise(violation, data)

