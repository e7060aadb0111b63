"""The project's wsdl/ schemas as each requested schema version sees them.

``wsdl/`` describes the newest schema version the emulator speaks. An older version's
view is the same text minus the elements ``versions.ELEMENTS_SINCE`` says that version
does not have, so the one table drives both the serializers and the schema answers are
checked against. Each view is compiled once per process.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache

from lxml import etree

from .resources import wsdl_dir
from .versions import ELEMENTS_SINCE, SCHEMA_VERSIONS, schema_rank

XS = "{http://www.w3.org/2001/XMLSchema}"
_LOCK = threading.Lock()


def missing_elements(version: str) -> frozenset[tuple[str, str]]:
    """(type, element) pairs that ``version`` does not have."""
    rank = schema_rank(version)
    return frozenset((type_name, element) for type_name, elements in ELEMENTS_SINCE.items()
                     for element, since in elements.items() if rank < schema_rank(since))


def types_document(version: str = SCHEMA_VERSIONS[-1]) -> etree._ElementTree:
    """wsdl/types.xsd as ``version`` sees it."""
    tree = etree.parse(str(wsdl_dir() / "types.xsd"))
    drop = missing_elements(version)
    if drop:
        for complex_type in tree.getroot().iter(XS + "complexType"):
            name = complex_type.get("name")
            for el in list(complex_type.iter(XS + "element")):
                if (name, el.get("name")) in drop:
                    el.getparent().remove(el)
    return tree


class _TypesResolver(etree.Resolver):
    def __init__(self, types: bytes) -> None:
        super().__init__()
        self.types = types

    def resolve(self, url, pubid, context):
        if url.rsplit("/", 1)[-1] == "types.xsd":
            return self.resolve_string(self.types, context)
        return None


def _compile(drop: frozenset[tuple[str, str]], version: str) -> etree.XMLSchema:
    types = etree.tostring(types_document(version))
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parser.resolvers.add(_TypesResolver(types))
    messages = etree.parse(str(wsdl_dir() / "messages.xsd"), parser)
    return etree.XMLSchema(messages)


@cache
def _view(version: str) -> tuple[frozenset[tuple[str, str]], str]:
    """The view ``version`` sees, named by the first version with that view."""
    drop = missing_elements(version)
    return drop, next(v for v in SCHEMA_VERSIONS if missing_elements(v) == drop)


@cache
def _shared(drop: frozenset[tuple[str, str]], first: str) -> etree.XMLSchema:
    return _compile(drop, first)


def messages_schema(version: str = SCHEMA_VERSIONS[-1]) -> etree.XMLSchema:
    """messages.xsd (with types.xsd) compiled as ``version`` sees it; versions that see
    the same elements share one compiled schema."""
    with _LOCK:
        return _shared(*_view(version))


class _RequestView:
    """One compiled view for checking requests, shared by the request threads: a
    schema's error log is its own, so a lock holds it from the validation to reading
    the log. Validating takes microseconds (libxml2, without the GIL); compiling a view
    takes about 20 ms, which each request thread used to pay on its first request
    (a new process's first answers, one per thread, came that much later)."""

    def __init__(self, view: tuple[frozenset[tuple[str, str]], str]) -> None:
        self.schema = _compile(*view)
        self.lock = threading.Lock()


_REQUEST_VIEWS: dict[tuple[frozenset[tuple[str, str]], str], _RequestView] = {}


def _request_view(version: str) -> _RequestView:
    view = _view(version)
    found = _REQUEST_VIEWS.get(view)
    if found is None:
        with _LOCK:  # compiled once, whichever thread asks first
            found = _REQUEST_VIEWS.get(view)
            if found is None:
                found = _REQUEST_VIEWS[view] = _RequestView(view)
    return found


def prepare_request_checks() -> None:
    """Compiles every view requests are checked against now, not at the first request
    of each (``ews-propose serve`` calls it before listening, and before forking its
    workers, which then share the compiled views)."""
    for version in SCHEMA_VERSIONS:
        _request_view(version)


# --- strict requests ------------------------------------------------------------------

_ELEMENT = re.compile(r"^Element '(?:\{([^}]*)\})?([^']+)'(?:, attribute '([^']+)')?: (.*)$", re.S)
_EXPECTED = re.compile(r"Expected is(?: one of)? \( (.*) \)\.?$", re.S)


@dataclass(frozen=True)
class Violation:
    """The first schema violation of a request: .NET-style text, and where it is."""

    message: str
    element: etree._Element | None
    line: int


def _names(expected: str) -> tuple[str, str]:
    """'{ns}A, {ns}B' -> ('A, B', ns)."""
    names, namespace = [], ""
    for part in expected.split(","):
        part = part.strip()
        if part.startswith("{"):
            namespace, _, local = part[1:].partition("}")
            names.append(local)
        elif part:
            names.append(part)
    return ", ".join(names), namespace


def _dotnet_text(entry, element: etree._Element | None) -> str:
    """libxml2's message as .NET's XmlSchemaValidator words it, as Exchange reports it
    (the two forms clients see most: an unexpected child and incomplete content)."""
    m = _ELEMENT.match(entry.message)
    if not m:
        return entry.message
    namespace, local, attribute, rest = m.groups()
    namespace = namespace or ""
    expected = _EXPECTED.search(rest)
    listed = ""
    if expected:
        names, names_ns = _names(expected.group(1))
        listed = f" List of possible elements expected: '{names}' in namespace '{names_ns}'."
    if attribute is None and "This element is not expected" in rest:
        parent = element.getparent() if element is not None else None
        if parent is not None:
            p = etree.QName(parent)
            return (f"The element '{p.localname}' in namespace '{p.namespace}' has invalid child element "
                    f"'{local}' in namespace '{namespace}'.{listed}")
    if attribute is None and "Missing child element" in rest:
        return f"The element '{local}' in namespace '{namespace}' has incomplete content.{listed}"
    enum = _ENUMERATION.match(rest)
    if enum:
        # .NET's words (as Exchange reports a bad enumeration value, e.g. DistinguishedFolderId
        # Id="Calendar"): "The 'Id' attribute is invalid - The value 'Calendar' is invalid
        # according to its datatype '{ns}:DistinguishedFolderIdNameType' - The Enumeration
        # constraint failed."
        value, allowed = enum.groups()
        datatype = _enumeration_types().get(frozenset(re.findall(r"'([^']*)'", allowed)))
        according = f" according to its datatype '{TYPES_NS}:{datatype}'" if datatype else ""
        what = f"'{attribute}' attribute" if attribute is not None else f"'{namespace}:{local}' element"
        return f"The {what} is invalid - The value '{value}' is invalid{according} - The Enumeration constraint failed."
    if attribute is not None and "is not allowed" in rest:
        return f"The '{attribute}' attribute is not declared."
    if attribute is not None:
        return f"The '{attribute}' attribute of element '{local}' in namespace '{namespace}' is invalid: {rest}"
    return f"The element '{local}' in namespace '{namespace}' is invalid: {rest}"


_ENUMERATION = re.compile(r"^\[facet 'enumeration'\] The value '([^']*)' is not an element of the set \{(.*)\}\.?$", re.S)
TYPES_NS = "http://schemas.microsoft.com/exchange/services/2006/types"


@cache
def _enumeration_types() -> dict[frozenset[str], str]:
    """Each enumerated simple type of types.xsd by its set of values (error path only)."""
    root = etree.parse(str(wsdl_dir() / "types.xsd")).getroot()
    found = {}
    for simple in root.iter(XS + "simpleType"):
        values = frozenset(e.get("value") for e in simple.iter(XS + "enumeration"))
        if values and simple.get("name"):
            found.setdefault(values, simple.get("name"))
    return found


def _offending(root: etree._Element, entry) -> etree._Element | None:
    m = _ELEMENT.match(entry.message)
    if not m:
        return None
    tag = f"{{{m.group(1)}}}{m.group(2)}" if m.group(1) else m.group(2)
    candidates = [el for el in root.iter(tag) if el.sourceline == entry.line]
    return candidates[0] if candidates else None


def request_violation(operation: etree._Element, version: str) -> Violation | None:
    """The first way the operation element breaks wsdl/ as ``version`` sees it, or None.
    The schema is compiled once per view; a valid request costs one validation pass."""
    checked = _request_view(version)
    with checked.lock:
        if checked.schema.validate(etree.ElementTree(operation)):
            return None
        entry = checked.schema.error_log[0]
    element = _offending(operation, entry)
    return Violation(_dotnet_text(entry, element), element, entry.line)


@cache
def declared_operations() -> frozenset[str]:
    """The request elements messages.xsd declares (GetItem, GetUserAvailabilityRequest, ...):
    only those are validated; any other body element gets the dispatcher's own fault."""
    root = etree.parse(str(wsdl_dir() / "messages.xsd")).getroot()
    return frozenset(f"{{{root.get('targetNamespace')}}}{el.get('name')}" for el in root.iterchildren(XS + "element"))
