"""User configurations on the wire: Create/Get/Update/DeleteUserConfiguration in a
folder, the dictionary kept typed, the parts asked for."""

from __future__ import annotations

import base64

NAME = '<t:UserConfigurationName Name="App.Settings"><t:DistinguishedFolderId Id="{folder}"/></t:UserConfigurationName>'
M_NAME = NAME.replace("t:UserConfigurationName", "m:UserConfigurationName")
XML = base64.b64encode(b"<foo>bar</foo>").decode()


def entry(key_type, key, value_type, value):
    return (f"<t:DictionaryEntry><t:DictionaryKey><t:Type>{key_type}</t:Type><t:Value>{key}</t:Value>"
            f"</t:DictionaryKey><t:DictionaryValue><t:Type>{value_type}</t:Type><t:Value>{value}</t:Value>"
            "</t:DictionaryValue></t:DictionaryEntry>")


def get(soap, folder="inbox", props="All"):
    return soap.call(f"<m:GetUserConfiguration>{M_NAME.format(folder=folder)}"
                     f"<m:UserConfigurationProperties>{props}</m:UserConfigurationProperties>"
                     "</m:GetUserConfiguration>")


def test_a_configuration_lives_in_its_folder(alex, adele):
    assert get(alex).response_codes == ["ErrorItemNotFound"]
    dictionary = entry("String", "colour", "Boolean", "1") + entry("Integer32", "7", "String", "seven")
    created = alex.call(f"<m:CreateUserConfiguration><m:UserConfiguration>{NAME.format(folder='inbox')}"
                        f"<t:Dictionary>{dictionary}</t:Dictionary><t:XmlData>{XML}</t:XmlData>"
                        "</m:UserConfiguration></m:CreateUserConfiguration>")
    assert created.response_codes == ["NoError"], created.content
    got = get(alex)
    assert got.response_codes == ["NoError"]
    assert got.first("//t:ItemId").get("Id")
    values = [v.text for v in got.xpath("//t:DictionaryEntry/*/t:Value")]
    assert values == ["colour", "true", "7", "seven"]  # a Boolean as Exchange writes it
    assert base64.b64decode(got.first("//t:XmlData").text) == b"<foo>bar</foo>"
    assert got.xpath("//t:BinaryData") == []
    twice = alex.call(f"<m:CreateUserConfiguration><m:UserConfiguration>{NAME.format(folder='inbox')}"
                      "</m:UserConfiguration></m:CreateUserConfiguration>")
    assert twice.response_codes == ["ErrorItemSave"]
    assert get(alex, folder="drafts").response_codes == ["ErrorItemNotFound"]
    assert get(adele).response_codes == ["ErrorItemNotFound"]
    updated = alex.call(f"<m:UpdateUserConfiguration><m:UserConfiguration>{NAME.format(folder='inbox')}"
                        f"<t:BinaryData>{base64.b64encode(b'YYY').decode()}</t:BinaryData>"
                        "</m:UserConfiguration></m:UpdateUserConfiguration>")
    assert updated.response_codes == ["NoError"]
    only = get(alex, props="BinaryData")
    assert base64.b64decode(only.first("//t:BinaryData").text) == b"YYY"
    assert only.xpath("//t:XmlData") == [] and only.xpath("//t:Dictionary") == []
    assert get(alex, props="XmlData").first("//t:XmlData").text == XML  # kept by the update
    deleted = alex.call(f"<m:DeleteUserConfiguration>{M_NAME.format(folder='inbox')}</m:DeleteUserConfiguration>")
    assert deleted.response_codes == ["NoError"]
    assert get(alex).response_codes == ["ErrorItemNotFound"]


def test_names_and_types_are_checked(alex):
    bad_name = alex.call('<m:CreateUserConfiguration><m:UserConfiguration><t:UserConfigurationName '
                         'Name="IPM.Configuration.X"><t:DistinguishedFolderId Id="inbox"/></t:UserConfigurationName>'
                         "</m:UserConfiguration></m:CreateUserConfiguration>")
    assert bad_name.response_codes == ["ErrorInvalidArgument"]
    bad_type = alex.call(f"<m:CreateUserConfiguration><m:UserConfiguration>{NAME.format(folder='inbox')}"
                         f"<t:Dictionary>{entry('Float', '1', 'String', 'x')}</t:Dictionary>"
                         "</m:UserConfiguration></m:CreateUserConfiguration>")
    assert bad_type.status == 500 and b"ErrorSchemaValidation" in bad_type.content
    assert get(alex, props="Everything").status == 500
