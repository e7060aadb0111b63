"""Raw SOAP over HTTP(S) with Basic auth: the only way the conformance suite (and the
pytest plugin's raw helper) talks to an endpoint, so it works against any EWS server."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import requests
from lxml import etree

NS = {
    "s": "http://schemas.xmlsoap.org/soap/envelope/",
    "m": "http://schemas.microsoft.com/exchange/services/2006/messages",
    "t": "http://schemas.microsoft.com/exchange/services/2006/types",
    "e": "http://schemas.microsoft.com/exchange/services/2006/errors",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def envelope(body: str, version: str | None = "Exchange2013", header: str = "") -> bytes:
    """A SOAP 1.1 envelope with RequestServerVersion (left out when ``version`` is None)."""
    version_header = f'<t:RequestServerVersion Version="{version}"/>' if version else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<soap:Envelope xmlns:soap="{NS["s"]}" xmlns:t="{NS["t"]}" xmlns:m="{NS["m"]}">'
        f"<soap:Header>{version_header}{header}</soap:Header>"
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


@dataclass
class Answer:
    """One HTTP answer, with XPath helpers over the EWS prefixes (s, m, t, e)."""

    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> etree._Element:
        return etree.fromstring(self.content, _PARSER)

    @property
    def is_xml(self) -> bool:
        try:
            etree.fromstring(self.content, _PARSER)
        except etree.XMLSyntaxError:
            return False
        return True

    def xpath(self, expr: str) -> list:
        return self.root.xpath(expr, namespaces=NS)

    def first(self, expr: str):
        found = self.xpath(expr)
        if not found:
            raise AssertionError(f"nothing at {expr} in the answer (HTTP {self.status}): "
                                 f"{self.content[:600].decode('utf-8', 'replace')}")
        return found[0]

    def text(self, expr: str) -> str:
        value = self.first(expr)
        return value if isinstance(value, str) else (value.text or "")

    @property
    def response_codes(self) -> list[str]:
        return [el.text or "" for el in self.xpath("//m:ResponseCode")] if self.is_xml else []

    @property
    def message_texts(self) -> list[str]:
        return [el.text or "" for el in self.xpath("//m:MessageText")] if self.is_xml else []

    @property
    def fault_code(self) -> str | None:
        if not self.is_xml:
            return None
        found = self.xpath("//s:Fault/detail/e:ResponseCode")
        return found[0].text if found else None

    @property
    def fault_string(self) -> str:
        found = self.xpath("//s:Fault/faultstring") if self.is_xml else []
        return found[0].text or "" if found else ""

    def describe(self) -> str:
        """A one-line summary for failure messages."""
        if self.fault_code:
            return f"HTTP {self.status} fault {self.fault_code}: {self.fault_string[:200]}"
        codes = self.response_codes
        if codes:
            return f"HTTP {self.status} ResponseCode {', '.join(codes)}"
        return f"HTTP {self.status}: {self.content[:200].decode('utf-8', 'replace')}"


class SoapLine:
    """One mailbox's raw SOAP line to an EWS endpoint (HTTP Basic, any scheme)."""

    def __init__(self, endpoint: str, user: str, password: str, version: str | None = "Exchange2013",
                 verify: bool | str = True, timeout: float = 60.0) -> None:
        self.endpoint = endpoint
        self.user = user
        self.version = version
        self.timeout = timeout
        self.session = requests.Session()
        self.session.auth = (user, password)
        # Passed with each request: a Session's own verify loses to REQUESTS_CA_BUNDLE.
        self.verify = verify

    def post(self, data: bytes, operation: str | None = None) -> Answer:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if operation:
            headers["SOAPAction"] = f'"{NS["m"]}/{operation}"'
        r = self.session.post(self.endpoint, data=data, headers=headers, timeout=self.timeout,
                              verify=self.verify)
        return Answer(r.status_code, r.content, dict(r.headers))

    def call(self, body: str, version: str | None | object = ..., header: str = "") -> Answer:
        """POST one operation; ``version`` overrides RequestServerVersion (None leaves it out)."""
        requested = self.version if version is ... else version
        operation = body.split(":", 1)[1].split(" ", 1)[0].split(">", 1)[0] if body.startswith("<m:") else None
        return self.post(envelope(body, requested, header), operation)  # type: ignore[arg-type]

    def close(self) -> None:
        self.session.close()

    # --- the calls the suite and tests need ------------------------------------------

    def find(self, folder: str, subject_contains: str | None = None, shape: str = "IdOnly",
             extra: tuple[str, ...] = ("item:Subject",)) -> Answer:
        """FindItem in a distinguished folder, optionally only items whose subject contains a text."""
        restriction = ""
        if subject_contains:
            restriction = (
                '<m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase">'
                '<t:FieldURI FieldURI="item:Subject"/>'
                f"<t:Constant Value={quoteattr(subject_contains)}/></t:Contains></m:Restriction>")
        props = "".join(f'<t:FieldURI FieldURI="{u}"/>' for u in extra)
        additional = f"<t:AdditionalProperties>{props}</t:AdditionalProperties>" if props else ""
        return self.call(
            f'<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>{shape}</t:BaseShape>{additional}'
            "</m:ItemShape>"
            '<m:IndexedPageItemView MaxEntriesReturned="200" Offset="0" BasePoint="Beginning"/>'
            f"{restriction}"
            f'<m:ParentFolderIds><t:DistinguishedFolderId Id="{folder}"/></m:ParentFolderIds></m:FindItem>')

    def find_items(self, folder: str, subject_contains: str | None = None) -> list[FoundItem]:
        answer = self.find(folder, subject_contains)
        if answer.fault_code or answer.status != 200:
            raise AssertionError(f"FindItem in {folder}: {answer.describe()}")
        found = []
        for item in answer.xpath("//t:Items/*"):
            item_id = item.find(f"{{{NS['t']}}}ItemId")
            subject = item.find(f"{{{NS['t']}}}Subject")
            found.append(FoundItem(etree.QName(item).localname, item_id.get("Id"), item_id.get("ChangeKey"),
                                   subject.text if subject is not None else ""))
        return found

    def get(self, item_id: str, shape: str = "AllProperties", extra: tuple[str, ...] = (),
            version: str | None | object = ...) -> Answer:
        props = "".join(f'<t:FieldURI FieldURI="{u}"/>' for u in extra)
        additional = f"<t:AdditionalProperties>{props}</t:AdditionalProperties>" if extra else ""
        return self.call(
            f"<m:GetItem><m:ItemShape><t:BaseShape>{shape}</t:BaseShape>{additional}</m:ItemShape>"
            f"<m:ItemIds><t:ItemId Id={quoteattr(item_id)}/></m:ItemIds></m:GetItem>", version=version)

    def create_meeting(self, subject: str, start: str, end: str, attendees: tuple[str, ...] = (),
                       allow_proposals: bool = True, send: str = "SendToAllAndSaveCopy") -> Answer:
        required = "".join(
            f"<t:Attendee><t:Mailbox><t:EmailAddress>{escape(a)}</t:EmailAddress></t:Mailbox></t:Attendee>"
            for a in attendees)
        return self.call(
            f'<m:CreateItem SendMeetingInvitations="{send}"><m:Items><t:CalendarItem>'
            f"<t:Subject>{escape(subject)}</t:Subject><t:Start>{start}</t:Start><t:End>{end}</t:End>"
            + (f"<t:RequiredAttendees>{required}</t:RequiredAttendees>" if required else "")
            + f"<t:AllowNewTimeProposal>{'true' if allow_proposals else 'false'}</t:AllowNewTimeProposal>"
            "</t:CalendarItem></m:Items></m:CreateItem>")

    def reply(self, reference_id: str | None, kind: str = "TentativelyAcceptItem",
              proposed: tuple[str, str] | None = None, body: str = "",
              version: str | None | object = ...) -> Answer:
        """AcceptItem / TentativelyAcceptItem / DeclineItem, with a proposal when ``proposed`` is given."""
        proposal = (f"<t:ProposedStart>{proposed[0]}</t:ProposedStart><t:ProposedEnd>{proposed[1]}</t:ProposedEnd>"
                    if proposed else "")
        body_el = f'<t:Body BodyType="Text">{escape(body)}</t:Body>' if body else ""
        reference = f"<t:ReferenceItemId Id={quoteattr(reference_id)}/>" if reference_id is not None else ""
        return self.call(
            f'<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:{kind}>{body_el}'
            f"{reference}{proposal}</t:{kind}></m:Items></m:CreateItem>", version=version)

    def update_times(self, item_id: str, change_key: str, start: str, end: str,
                     send: str = "SendToAllAndSaveCopy", conflict: str = "AutoResolve") -> Answer:
        return self.call(
            f'<m:UpdateItem ConflictResolution="{conflict}" SendMeetingInvitationsOrCancellations="{send}">'
            f"<m:ItemChanges><t:ItemChange><t:ItemId Id={quoteattr(item_id)} ChangeKey={quoteattr(change_key)}/>"
            "<t:Updates>"
            f'<t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>{start}</t:Start>'
            "</t:CalendarItem></t:SetItemField>"
            f'<t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem><t:End>{end}</t:End>'
            "</t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>")

    def update_location(self, item_id: str, change_key: str, location: str,
                        conflict: str = "NeverOverwrite", send: str = "SendToNone") -> Answer:
        return self.call(
            f'<m:UpdateItem ConflictResolution="{conflict}" SendMeetingInvitationsOrCancellations="{send}">'
            f"<m:ItemChanges><t:ItemChange><t:ItemId Id={quoteattr(item_id)} ChangeKey={quoteattr(change_key)}/>"
            '<t:Updates><t:SetItemField><t:FieldURI FieldURI="calendar:Location"/><t:CalendarItem>'
            f"<t:Location>{escape(location)}</t:Location></t:CalendarItem></t:SetItemField></t:Updates>"
            "</t:ItemChange></m:ItemChanges></m:UpdateItem>")

    def delete(self, item_ids: list[str], hard: bool = True) -> Answer:
        ids = "".join(f"<t:ItemId Id={quoteattr(i)}/>" for i in item_ids)
        # SendToNone: cleaning up must not send cancellations to anyone.
        return self.call(
            f'<m:DeleteItem DeleteType="{"HardDelete" if hard else "MoveToDeletedItems"}" '
            'SendMeetingCancellations="SendToNone" AffectedTaskOccurrences="AllOccurrences">'
            f"<m:ItemIds>{ids}</m:ItemIds></m:DeleteItem>")


@dataclass(frozen=True)
class FoundItem:
    kind: str
    id: str
    change_key: str | None
    subject: str
