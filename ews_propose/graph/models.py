"""Request bodies, as pydantic models with Graph's camelCase names.

Keys are matched case-insensitively (the seeds send ``Start``/``DateTime``, the Python
SDK PascalCase action parameters), ``@odata.*`` annotations are skipped, booleans are
read leniently (``"sendResponse": "true"``), and any other unknown property is a 400
naming it, as Graph answers.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .errors import GraphError


class GraphModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
    graph_type: ClassVar[str] = "microsoft.graph.entity"

    @model_validator(mode="before")
    @classmethod
    def _fold_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = {(f.alias or name).lower(): (f.alias or name) for name, f in cls.model_fields.items()}
        out: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(key, str) and key.startswith("@odata."):
                continue
            out[known.get(key.lower(), key) if isinstance(key, str) else key] = value
        return out

    def given(self) -> set[str]:
        """The fields the client sent."""
        return set(self.model_fields_set)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class EmailAddress(GraphModel):
    graph_type = "microsoft.graph.emailAddress"
    address: str
    name: str | None = None


class Recipient(GraphModel):
    graph_type = "microsoft.graph.recipient"
    email_address: EmailAddress


class AttendeeIn(GraphModel):
    graph_type = "microsoft.graph.attendee"
    email_address: EmailAddress
    type: Literal["required", "optional", "resource"] = "required"

    _type = field_validator("type", mode="before")(lambda cls, v: _lower(v))


class DateTimeTimeZone(GraphModel):
    graph_type = "microsoft.graph.dateTimeTimeZone"
    date_time: str
    time_zone: str | None = None


class TimeSlot(GraphModel):
    graph_type = "microsoft.graph.timeSlot"
    start: DateTimeTimeZone
    end: DateTimeTimeZone


class ItemBody(GraphModel):
    graph_type = "microsoft.graph.itemBody"
    content_type: Literal["text", "html"] = "text"
    content: str = ""

    _type = field_validator("content_type", mode="before")(lambda cls, v: _lower(v))


class LocationIn(GraphModel):
    graph_type = "microsoft.graph.location"
    display_name: str = ""
    location_type: str | None = None
    unique_id: str | None = None
    unique_id_type: str | None = None


ShowAs = Literal["free", "tentative", "busy", "oof", "workingElsewhere", "unknown"]
Level = Literal["low", "normal", "high"]
Sensitivity = Literal["normal", "personal", "private", "confidential"]


class EventFields(GraphModel):
    """What POST and PATCH of an event may carry."""

    graph_type = "microsoft.graph.event"
    subject: str | None = None
    body: ItemBody | None = None
    start: DateTimeTimeZone | None = None
    end: DateTimeTimeZone | None = None
    location: LocationIn | None = None
    locations: list[LocationIn] | None = None
    attendees: list[AttendeeIn] | None = None
    allow_new_time_proposals: bool | None = None
    is_all_day: bool | None = None
    show_as: ShowAs | None = None
    importance: Level | None = None
    sensitivity: Sensitivity | None = None
    categories: list[str] | None = None
    reminder_minutes_before_start: int | None = Field(default=None, ge=0)
    is_reminder_on: bool | None = None
    transaction_id: str | None = None

    @field_validator("importance", "sensitivity", mode="before")
    @classmethod
    def _enum_case(cls, v: Any) -> Any:
        return _lower(v)

    @field_validator("show_as", mode="before")
    @classmethod
    def _show_as_case(cls, v: Any) -> Any:
        if isinstance(v, str) and v.lower() == "workingelsewhere":
            return "workingElsewhere"
        return _lower(v)


class MessagePatch(GraphModel):
    """What PATCH of a received message may change here."""

    graph_type = "microsoft.graph.message"
    is_read: bool | None = None
    categories: list[str] | None = None


class AcceptBody(GraphModel):
    graph_type = "microsoft.graph.accept"
    comment: str | None = None
    send_response: bool = True


class ProposingBody(AcceptBody):
    """tentativelyAccept and decline also take a proposed new time."""

    proposed_new_time: TimeSlot | None = None


class CancelBody(GraphModel):
    graph_type = "microsoft.graph.cancel"
    comment: str | None = None


class TranslateExchangeIds(GraphModel):
    graph_type = "microsoft.graph.translateExchangeIds"
    input_ids: list[str]
    source_id_type: Literal["entryId", "ewsId", "immutableEntryId", "restId", "restImmutableEntryId"]
    target_id_type: Literal["entryId", "ewsId", "immutableEntryId", "restId", "restImmutableEntryId"]


class GetScheduleBody(GraphModel):
    graph_type = "microsoft.graph.getSchedule"
    schedules: list[str]
    start_time: DateTimeTimeZone
    end_time: DateTimeTimeZone
    availability_view_interval: int = Field(default=30, ge=5, le=1440)


class LocationConstraintItem(GraphModel):
    graph_type = "microsoft.graph.locationConstraintItem"
    display_name: str = ""
    location_email_address: str | None = None
    resolve_availability: bool = False


class LocationConstraint(GraphModel):
    graph_type = "microsoft.graph.locationConstraint"
    is_required: bool = False
    suggest_location: bool = False
    locations: list[LocationConstraintItem] = []


class TimeConstraint(GraphModel):
    graph_type = "microsoft.graph.timeConstraint"
    activity_domain: Literal["work", "personal", "unrestricted", "unknown"] = "work"
    time_slots: list[TimeSlot] = []

    _domain = field_validator("activity_domain", mode="before")(lambda cls, v: _lower(v))


class FindMeetingTimesBody(GraphModel):
    graph_type = "microsoft.graph.findMeetingTimes"
    attendees: list[AttendeeIn] = []
    location_constraint: LocationConstraint | None = None
    time_constraint: TimeConstraint | None = None
    meeting_duration: str = "PT30M"
    max_candidates: int = Field(default=20, ge=1, le=1000)
    is_organizer_optional: bool = False
    return_suggestion_reasons: bool = False
    minimum_attendee_percentage: float = Field(default=50.0, ge=0, le=100)


def parse_body(model: type[GraphModel], data: Any) -> GraphModel:
    """Validate a decoded JSON body; a 400 in Graph's form naming the first problem."""
    if not isinstance(data, dict):
        raise GraphError(400, "RequestBodyRead", "The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise GraphError(400, "RequestBodyRead", _describe(model, exc)) from None


def _describe(model: type[GraphModel], exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    where = ".".join(loc) or "body"
    if first.get("type") == "extra_forbidden":
        owner = _owner_type(model, loc[:-1])
        return (f"The property '{loc[-1]}' does not exist on type '{owner}'. Make sure to only use "
                f"property names that are defined by the type.")
    if first.get("type") == "missing":
        return f"The property '{where}' is required."
    return f"Invalid value for '{where}': {first.get('msg')}."


def _owner_type(model: type[GraphModel], path: list[str]) -> str:
    current: Any = model
    for part in path:
        if part.isdigit():
            continue
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            break
        annotation = field.annotation
        inner = _model_in(annotation)
        if inner is None:
            break
        current = inner
    return getattr(current, "graph_type", "microsoft.graph.entity")


def _model_in(annotation: Any) -> type[GraphModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, GraphModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None
