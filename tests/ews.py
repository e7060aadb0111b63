"""Test helpers for talking raw SOAP to an EWS endpoint and reading the answers."""

from __future__ import annotations

import requests

# The library's own raw-SOAP helpers (the conformance suite uses them too).
from ews_propose.conformance.wire import NS, Answer, envelope

__all__ = ["NS", "Answer", "envelope", "PASSWORDS", "Soap"]

PASSWORDS = {
    "AlexW@contoso.com": "alex-demo-pw",
    "AdeleV@contoso.com": "adele-demo-pw",
    "MeganB@contoso.com": "megan-demo-pw",
    "Rainier@contoso.com": "rainier-demo-pw",
}


# UTC as a SerializableTimeZone: Microsoft's schema requires StandardTime and DaylightTime.
UTC_ZONE = (
    "<t:TimeZone><t:Bias>0</t:Bias>"
    "<t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>1</t:DayOrder>"
    "<t:Month>1</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime>"
    "<t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>1</t:DayOrder>"
    "<t:Month>1</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>"
)

class Soap:
    """One mailbox's raw SOAP line to the endpoint."""

    def __init__(self, endpoint: str, user: str, password: str | None = None,
                 version: str | None = "Exchange2013") -> None:
        self.endpoint = endpoint
        self.user = user
        self.password = password if password is not None else PASSWORDS[user]
        self.version = version
        self.session = requests.Session()

    def post(self, data: bytes, auth=True, content_type="text/xml; charset=utf-8") -> Answer:
        r = self.session.post(
            self.endpoint, data=data, headers={"Content-Type": content_type},
            auth=(self.user, self.password) if auth else None, timeout=30,
        )
        return Answer(r.status_code, r.content, dict(r.headers))

    def call(self, body: str, version: str | None = ..., header: str = "") -> Answer:  # type: ignore[assignment]
        return self.post(envelope(body, self.version if version is ... else version, header))

    # --- the calls most tests need -------------------------------------------------

    def find_ids(self, folder: str, item_element: str | None = None) -> list[tuple[str, str]]:
        answer = self.call(
            f'<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
            f'<m:IndexedPageItemView MaxEntriesReturned="100" Offset="0" BasePoint="Beginning"/>'
            f'<m:ParentFolderIds><t:DistinguishedFolderId Id="{folder}"/></m:ParentFolderIds></m:FindItem>'
        )
        assert answer.status == 200, answer.content
        kind = f"t:{item_element}" if item_element else "*"
        return [(el.get("Id"), el.get("ChangeKey"))
                for el in answer.xpath(f"//t:Items/{kind}/t:ItemId")]

    def get(self, item_id: str, shape: str = "AllProperties", extra: tuple[str, ...] = ()) -> Answer:
        props = "".join(f'<t:FieldURI FieldURI="{u}"/>' for u in extra)
        additional = f"<t:AdditionalProperties>{props}</t:AdditionalProperties>" if extra else ""
        return self.call(
            f"<m:GetItem><m:ItemShape><t:BaseShape>{shape}</t:BaseShape>{additional}</m:ItemShape>"
            f'<m:ItemIds><t:ItemId Id="{item_id}"/></m:ItemIds></m:GetItem>'
        )

    def create_meeting(self, subject: str, start: str, end: str, attendees=("AdeleV@contoso.com",),
                       rooms=(), allow_proposals: bool = True, send="SendToAllAndSaveCopy") -> tuple[str, str]:
        required = "".join(
            f"<t:Attendee><t:Mailbox><t:EmailAddress>{a}</t:EmailAddress></t:Mailbox></t:Attendee>"
            for a in attendees)
        resources = "".join(
            f"<t:Attendee><t:Mailbox><t:EmailAddress>{a}</t:EmailAddress></t:Mailbox></t:Attendee>"
            for a in rooms)
        answer = self.call(
            f'<m:CreateItem SendMeetingInvitations="{send}"><m:Items><t:CalendarItem>'
            f"<t:Subject>{subject}</t:Subject><t:Start>{start}</t:Start><t:End>{end}</t:End>"
            f"<t:Location>Cafe</t:Location>"
            + (f"<t:RequiredAttendees>{required}</t:RequiredAttendees>" if required else "")
            + (f"<t:Resources>{resources}</t:Resources>" if resources else "")
            + f"<t:AllowNewTimeProposal>{'true' if allow_proposals else 'false'}</t:AllowNewTimeProposal>"
            "</t:CalendarItem></m:Items></m:CreateItem>"
        )
        assert answer.response_codes == ["NoError"], answer.content
        el = answer.first("//t:CalendarItem/t:ItemId")
        return el.get("Id"), el.get("ChangeKey")

    def reply(self, reference_id: str, kind: str = "TentativelyAcceptItem", proposed: tuple[str, str] | None = None,
              body: str = "", disposition: str | None = "SendAndSaveCopy", version=...) -> Answer:
        proposal = (f"<t:ProposedStart>{proposed[0]}</t:ProposedStart><t:ProposedEnd>{proposed[1]}</t:ProposedEnd>"
                    if proposed else "")
        body_el = f'<t:Body BodyType="Text">{body}</t:Body>' if body else ""
        attr = f' MessageDisposition="{disposition}"' if disposition else ""
        return self.call(
            f"<m:CreateItem{attr}><m:Items><t:{kind}>{body_el}"
            f'<t:ReferenceItemId Id="{reference_id}"/>{proposal}</t:{kind}></m:Items></m:CreateItem>',
            version=version,
        )

    def move(self, item_id: str, change_key: str, start: str, end: str,
             send="SendToAllAndSaveCopy", conflict="AutoResolve") -> Answer:
        return self.call(
            f'<m:UpdateItem ConflictResolution="{conflict}" SendMeetingInvitationsOrCancellations="{send}">'
            f'<m:ItemChanges><t:ItemChange><t:ItemId Id="{item_id}" ChangeKey="{change_key}"/><t:Updates>'
            f'<t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>{start}</t:Start>'
            f"</t:CalendarItem></t:SetItemField>"
            f'<t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem><t:End>{end}</t:End>'
            f"</t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"
        )
