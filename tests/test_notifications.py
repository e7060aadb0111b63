"""Pull notifications on the wire: Subscribe, GetEvents (Created / NewMail / Modified /
Moved / Deleted), Unsubscribe; streaming subscriptions are not pulled."""

from __future__ import annotations


def subscribe(soap, folders='<t:DistinguishedFolderId Id="inbox"/>', types=("CreatedEvent", "NewMailEvent",
              "ModifiedEvent", "MovedEvent", "DeletedEvent"), kind="PullSubscriptionRequest"):
    event_types = "".join(f"<t:EventType>{t}</t:EventType>" for t in types)
    return soap.call(f"<m:Subscribe><m:{kind}><t:FolderIds>{folders}</t:FolderIds>"
                     f"<t:EventTypes>{event_types}</t:EventTypes><t:Timeout>10</t:Timeout></m:{kind}></m:Subscribe>")


def events(soap, sub_id, mark):
    answer = soap.call(f"<m:GetEvents><m:SubscriptionId>{sub_id}</m:SubscriptionId>"
                       f"<m:Watermark>{mark}</m:Watermark></m:GetEvents>")
    assert answer.response_codes == ["NoError"], answer.content
    note = answer.first("//m:Notification")
    kinds = [el.tag.split("}")[1] for el in note if el.tag.endswith("Event")]
    return kinds, note[-1].findtext("{*}Watermark")


def test_the_organizer_learns_that_a_reply_arrived(alex, adele):
    answer = subscribe(alex)
    assert answer.response_codes == ["NoError"], answer.content
    sub_id, mark = answer.first("//m:SubscriptionId").text, answer.first("//m:Watermark").text
    assert events(alex, sub_id, mark)[0] == ["StatusEvent"]
    alex.create_meeting("Lunch", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
    ((request, _),) = adele.find_ids("inbox", "MeetingRequest")
    assert adele.reply(request, "AcceptItem").response_codes == ["NoError"]
    kinds, mark = events(alex, sub_id, mark)
    assert kinds == ["CreatedEvent", "NewMailEvent"]  # the MeetingResponse in Alex's inbox
    ((response, ck),) = alex.find_ids("inbox", "MeetingResponse")
    alex.call('<m:MoveItem><m:ToFolderId><t:DistinguishedFolderId Id="deleteditems"/></m:ToFolderId>'
              f'<m:ItemIds><t:ItemId Id="{response}"/></m:ItemIds></m:MoveItem>')
    kinds, mark = events(alex, sub_id, mark)
    assert kinds == ["MovedEvent"]
    assert events(alex, sub_id, mark)[0] == ["StatusEvent"]
    unsub = f"<m:Unsubscribe><m:SubscriptionId>{sub_id}</m:SubscriptionId></m:Unsubscribe>"
    assert alex.call(unsub).response_codes == ["NoError"]
    assert alex.call(unsub).response_codes == ["ErrorSubscriptionNotFound"]


def test_a_streaming_subscription_has_no_watermark_and_no_pull_events(alex):
    answer = alex.call('<m:Subscribe><m:StreamingSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId '
                       'Id="inbox"/></t:FolderIds><t:EventTypes><t:EventType>CreatedEvent</t:EventType>'
                       '</t:EventTypes></m:StreamingSubscriptionRequest></m:Subscribe>')
    assert answer.response_codes == ["NoError"], answer.content
    assert answer.xpath("//m:Watermark") == []
    sub_id = answer.first("//m:SubscriptionId").text
    pulled = alex.call(f"<m:GetEvents><m:SubscriptionId>{sub_id}</m:SubscriptionId>"
                       "<m:Watermark>AAAA</m:Watermark></m:GetEvents>")
    assert pulled.response_codes == ["ErrorInvalidPullSubscriptionId"]
