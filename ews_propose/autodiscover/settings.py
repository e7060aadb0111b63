"""A mailbox's Autodiscover settings: one place that decides every value both
surfaces (POX and SOAP) answer with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ..directory import Mailbox
from ..versions import SCHEMA_VERSIONS, Build, schema_rank

ORGANIZATION = "ews-propose"
ADMIN_GROUP = "Exchange Administrative Group (FYDIBOHF23SPDLT)"
_DEPLOYMENT_NAMESPACE = uuid.UUID("6f1d6a43-3c1e-4c4e-9f55-2b1f6ad0e7a1")

# The Setting names of GetUserSettings (Microsoft's "Setting (SOAP)" table). A name
# outside this list is InvalidSetting; a listed one the emulator has no value for is
# SettingIsNotAvailable.
KNOWN_USER_SETTINGS = frozenset("""
UserDisplayName UserDN UserDeploymentId InternalMailboxServer InternalRpcClientServer
InternalMailboxServerDN InternalEcpUrl InternalEcpVoicemailUrl InternalEcpEmailSubscriptionsUrl
InternalEcpTextMessagingUrl InternalEcpDeliveryReportUrl InternalEcpRetentionPolicyTagsUrl
InternalEcpPublishingUrl InternalEwsUrl InternalOABUrl InternalUMUrl InternalWebClientUrls
MailboxDN PublicFolderServer ActiveDirectoryServer ExternalMailboxServer
ExternalMailboxServerRequiresSSL ExternalMailboxServerAuthenticationMethods
EcpVoicemailUrlFragment EcpEmailSubscriptionsUrlFragment EcpTextMessagingUrlFragment
EcpDeliveryReportUrlFragment EcpRetentionPolicyTagsUrlFragment EcpPublishingUrlFragment
ExternalEcpUrl ExternalEcpVoicemailUrl ExternalEcpEmailSubscriptionsUrl ExternalEcpTextMessagingUrl
ExternalEcpDeliveryReportUrl ExternalEcpRetentionPolicyTagsUrl ExternalEcpPublishingUrl
ExternalEwsUrl ExternalOABUrl ExternalUMUrl ExternalWebClientUrls CrossOrganizationSharingEnabled
AlternateMailboxes CasVersion EwsSupportedSchemas InternalPop3Connections ExternalPop3Connections
InternalImap4Connections ExternalImap4Connections InternalSmtpConnections ExternalSmtpConnections
InternalServerExclusiveConnect ExternalServerExclusiveConnect ExchangeRpcUrl ShowGalAsDefaultView
AutoDiscoverSMTPAddress InteropExternalEwsUrl ExternalEwsVersion InteropExternalEwsVersion
MobileMailboxPolicyInterop GroupingInformation UserMSOnline MapiHttpEnabled
""".split())

# GetDomainSettings' DomainSettingName values.
KNOWN_DOMAIN_SETTINGS = frozenset({"ExternalEwsUrl", "ExternalEwsVersion"})


def supported_schemas(build: Build) -> list[str]:
    """EwsSupportedSchemas: the released ``ExchangeXXXX`` schema names up to the build's
    newest. Project decision: the dated ``V20xx_xx_xx`` values (Exchange Online's
    request versions) and the never-released Exchange2009 / Exchange2012 are left out,
    as on-premises servers list them."""
    newest = schema_rank(build.newest_schema)
    return [name for name in SCHEMA_VERSIONS
            if name.startswith("Exchange") and name not in ("Exchange2009", "Exchange2012")
            and schema_rank(name) <= newest]


def pox_server_version(build: Build) -> str:
    """POX ServerVersion: 4 bits 0111, 6 bits major, 6 bits minor, a set flag bit, and
    15 bits of the build number, as eight hex digits (ServerVersion (POX))."""
    value = (0b0111 << 28) | ((build.major & 0x3F) << 22) | ((build.minor & 0x3F) << 16) \
        | (1 << 15) | (build.build & 0x7FFF)
    return f"{value:08X}"


@dataclass(frozen=True)
class MailboxSettings:
    mailbox: Mailbox
    ews_url: str
    server: str  # the host name clients reached (no port)
    build: Build

    @property
    def legacy_dn(self) -> str:
        local = self.mailbox.smtp.split("@", 1)[0]
        return f"/o={ORGANIZATION}/ou={ADMIN_GROUP}/cn=Recipients/cn={local}"

    @property
    def deployment_id(self) -> str:
        return str(uuid.uuid5(_DEPLOYMENT_NAMESPACE, ORGANIZATION))

    @property
    def server_dn(self) -> str:
        return f"/o={ORGANIZATION}/ou={ADMIN_GROUP}/cn=Configuration/cn=Servers/cn={self.server}"

    def user_settings(self) -> dict[str, str]:
        """Every GetUserSettings value the emulator has for this mailbox."""
        return {
            "UserDisplayName": self.mailbox.name,
            "UserDN": self.legacy_dn,
            "UserDeploymentId": self.deployment_id,
            "AutoDiscoverSMTPAddress": self.mailbox.smtp,
            "InternalEwsUrl": self.ews_url,
            "ExternalEwsUrl": self.ews_url,
            "InternalMailboxServer": self.server,
            "CasVersion": str(self.build),
            "ExternalEwsVersion": str(self.build),
            "EwsSupportedSchemas": ", ".join(supported_schemas(self.build)),
            "UserMSOnline": "False",
            "MapiHttpEnabled": "False",
        }


def domain_settings(ews_url: str, build: Build) -> dict[str, str]:
    return {"ExternalEwsUrl": ews_url, "ExternalEwsVersion": str(build)}
