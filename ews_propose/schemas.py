"""The project's wsdl/ schemas as each requested schema version sees them.

``wsdl/`` describes the newest schema version the emulator speaks. An older version's
view is the same text minus the elements ``versions.ELEMENTS_SINCE`` says that version
does not have, so the one table drives both the serializers and the schema answers are
checked against. Each view is compiled once per process.
"""

from __future__ import annotations

import threading
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


@cache
def _compiled(drop: frozenset[tuple[str, str]], version: str) -> etree.XMLSchema:
    types = etree.tostring(types_document(version))
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parser.resolvers.add(_TypesResolver(types))
    messages = etree.parse(str(wsdl_dir() / "messages.xsd"), parser)
    return etree.XMLSchema(messages)


def messages_schema(version: str = SCHEMA_VERSIONS[-1]) -> etree.XMLSchema:
    """messages.xsd (with types.xsd) compiled as ``version`` sees it; versions that see
    the same elements share one compiled schema."""
    drop = missing_elements(version)
    with _LOCK:
        # Compile under the version whose view it is; the first version with this view.
        first = next(v for v in SCHEMA_VERSIONS if missing_elements(v) == drop)
        return _compiled(drop, first)
