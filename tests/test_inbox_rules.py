"""Inbox rules on the wire: GetInboxRules / UpdateInboxRules (create, set, delete), kept
as written, priorities without gaps, and Exchange's validation errors."""

from __future__ import annotations


def rule(name: str, priority: int, actions: str, conditions: str = "", enabled: str = "true") -> str:
    return (f"<t:Rule><t:DisplayName>{name}</t:DisplayName><t:Priority>{priority}</t:Priority>"
            f"<t:IsEnabled>{enabled}</t:IsEnabled>{conditions}<t:Actions>{actions}</t:Actions></t:Rule>")


def update(soap, operations: str):
    return soap.call("<m:UpdateInboxRules><m:RemoveOutlookRuleBlob>true</m:RemoveOutlookRuleBlob>"
                     f"<m:Operations>{operations}</m:Operations></m:UpdateInboxRules>")


def rules(soap) -> list[tuple[str, str, str]]:
    answer = soap.call("<m:GetInboxRules/>")
    assert answer.first("//m:ResponseCode").text == "NoError", answer.content
    return [(r.findtext("{*}RuleId"), r.findtext("{*}DisplayName"), r.findtext("{*}Priority"))
            for r in answer.xpath("//m:InboxRules/t:Rule")]


def code(answer) -> str:
    return answer.first("//m:ResponseCode").text


def test_rules_are_created_changed_and_deleted(alex, adele):
    assert rules(alex) == []
    created = update(alex, "<m:CreateRuleOperation>" + rule(
        "Lunch", 1, "<t:MoveToFolder><t:DistinguishedFolderId Id=\"deleteditems\"/></t:MoveToFolder>",
        "<t:Conditions><t:ContainsSubjectStrings><t:String>lunch</t:String></t:ContainsSubjectStrings>"
        "</t:Conditions>") + "</m:CreateRuleOperation>")
    assert code(created) == "NoError", created.content
    assert code(update(alex, "<m:CreateRuleOperation>" + rule("First", 1, "<t:MarkAsRead>true</t:MarkAsRead>")
                       + "</m:CreateRuleOperation>")) == "NoError"
    assert [(n, p) for _, n, p in rules(alex)] == [("First", "1"), ("Lunch", "2")]
    got = alex.call("<m:GetInboxRules/>")
    assert got.first("//t:Rule[t:DisplayName='Lunch']/t:Conditions/t:ContainsSubjectStrings/t:String").text == "lunch"
    assert got.first("//t:Rule[t:DisplayName='Lunch']/t:Actions/t:MoveToFolder/t:DistinguishedFolderId"
                     ).get("Id") == "deleteditems"
    assert rules(adele) == []  # each mailbox its own
    lunch_id = next(i for i, n, _ in rules(alex) if n == "Lunch")
    renamed = update(alex, "<m:SetRuleOperation>" + rule("Lunch!", 1, "<t:Delete>true</t:Delete>").replace(
        "<t:Rule>", f"<t:Rule><t:RuleId>{lunch_id}</t:RuleId>") + "</m:SetRuleOperation>")
    assert code(renamed) == "NoError", renamed.content
    assert [(n, p) for _, n, p in rules(alex)] == [("Lunch!", "1"), ("First", "2")]
    deleted = update(alex, f"<m:DeleteRuleOperation><t:RuleId>{lunch_id}</t:RuleId></m:DeleteRuleOperation>")
    assert code(deleted) == "NoError"
    assert [(n, p) for _, n, p in rules(alex)] == [("First", "1")]
    again = update(alex, f"<m:DeleteRuleOperation><t:RuleId>{lunch_id}</t:RuleId></m:DeleteRuleOperation>")
    assert code(again) == "ErrorInboxRulesValidationError"
    assert again.first("//t:RuleOperationError/t:ValidationErrors/t:Error/t:ErrorCode").text == "RuleNotFound"


def test_refused_rules_say_which_operation_and_field(alex):
    sms = update(alex, "<m:CreateRuleOperation>" + rule("Ok", 1, "<t:MarkAsRead>true</t:MarkAsRead>")
                 + "</m:CreateRuleOperation><m:CreateRuleOperation>" + rule(
                     "Sms", 2, "<t:SendSMSAlertToRecipients><t:Address><t:EmailAddress>x@contoso.com"
                     "</t:EmailAddress></t:Address></t:SendSMSAlertToRecipients>") + "</m:CreateRuleOperation>")
    assert code(sms) == "ErrorInboxRulesValidationError"
    assert sms.first("//m:MessageText").text == "A validation error occurred while executing the rule operation."
    assert sms.first("//t:RuleOperationError/t:OperationIndex").text == "1"
    error = sms.first("//t:ValidationErrors/t:Error")
    assert (error.findtext("{*}FieldURI"), error.findtext("{*}ErrorCode")) == (
        "Action:SendSMSAlertToRecipients", "UnsupportedRule")
    assert rules(alex) == []  # neither operation was applied
    reply = update(alex, "<m:CreateRuleOperation>" + rule(
        "Reply", 1, "<t:ServerReplyWithMessage><t:ItemId Id=\"x\"/></t:ServerReplyWithMessage>")
        + "</m:CreateRuleOperation>")
    assert reply.first("//t:ValidationErrors/t:Error/t:ErrorMessage").text == "Id must be non-empty."
    nobody = update(alex, "<m:CreateRuleOperation>" + rule(
        "Fwd", 1, "<t:ForwardToRecipients><t:Address/></t:ForwardToRecipients>") + "</m:CreateRuleOperation>")
    assert nobody.first("//t:ValidationErrors/t:Error/t:ErrorCode").text == "InvalidAddress"
    unknown = update(alex, "<m:CreateRuleOperation>" + rule("X", 1, "<t:Teleport>true</t:Teleport>")
                     + "</m:CreateRuleOperation>")
    assert unknown.status == 500 and b"ErrorSchemaValidation" in unknown.content
    other = alex.call("<m:GetInboxRules><m:MailboxSmtpAddress>AdeleV@contoso.com</m:MailboxSmtpAddress>"
                      "</m:GetInboxRules>")
    assert code(other) == "ErrorAccessDenied"
