"""The element names and enumerations of items on the wire, by the rules' values."""

from __future__ import annotations

from ...rules import model as m

RESPONSE_TYPES = {
    m.UNKNOWN: "Unknown",
    m.ORGANIZER: "Organizer",
    m.TENTATIVE: "Tentative",
    m.ACCEPT: "Accept",
    m.DECLINE: "Decline",
    m.NO_RESPONSE: "NoResponseReceived",
}
FREE_BUSY = {
    m.FREE: "Free",
    m.TENTATIVE: "Tentative",
    m.BUSY: "Busy",
    m.OOF: "OOF",
    "working_elsewhere": "WorkingElsewhere",
    "no_data": "NoData",
}
FREE_BUSY_IN = {v: k for k, v in FREE_BUSY.items()}
REQUEST_TYPES = {
    m.NEW_REQUEST: "NewMeetingRequest",
    m.FULL_UPDATE: "FullUpdate",
    m.INFORMATIONAL_UPDATE: "InformationalUpdate",
}
ACTION_ELEMENTS = {
    m.ACT_ACCEPT: "AcceptItem",
    m.ACT_TENTATIVE: "TentativelyAcceptItem",
    m.ACT_DECLINE: "DeclineItem",
    m.ACT_PROPOSE: "ProposeNewTime",
    m.ACT_REPLY: "ReplyToItem",
    m.ACT_REPLY_ALL: "ReplyAllToItem",
    m.ACT_FORWARD: "ForwardItem",
    m.ACT_CANCEL: "CancelCalendarItem",
    m.ACT_REMOVE: "RemoveItem",
}
ITEM_ELEMENTS = {
    m.CALENDAR_ITEM: "CalendarItem",
    m.MESSAGE: "Message",
    m.MEETING_REQUEST: "MeetingRequest",
    m.MEETING_RESPONSE: "MeetingResponse",
    m.MEETING_CANCELLATION: "MeetingCancellation",
    m.GENERIC: "Item",
}
# The types.xsd type of each kind (for versions.ELEMENTS_SINCE).
ITEM_TYPES = {
    m.CALENDAR_ITEM: "CalendarItemType",
    m.MESSAGE: "MessageType",
    m.MEETING_REQUEST: "MeetingRequestMessageType",
    m.MEETING_RESPONSE: "MeetingResponseMessageType",
    m.MEETING_CANCELLATION: "MeetingCancellationMessageType",
    m.GENERIC: "ItemType",
}
IMPORTANCE = ("Low", "Normal", "High")
SENSITIVITY = ("Normal", "Personal", "Private", "Confidential")
BODY_TYPES = ("HTML", "Text")
_APPOINTMENT_STATE_MEETING, _APPOINTMENT_STATE_RECEIVED, _APPOINTMENT_STATE_CANCELLED = 1, 2, 4
