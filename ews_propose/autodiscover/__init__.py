"""Autodiscover: where a mailbox's EWS endpoint is, for clients that start from an
e-mail address.

Two surfaces, both answering with this emulator's own EWS URL (built from the
request's scheme and Host), the mailbox's display name and the emulated build:

- POX Autodiscover, ``POST /autodiscover/autodiscover.xml`` (:mod:`.pox`), the
  Outlook request schema 2006 with the 2006a response schema;
- SOAP Autodiscover, ``POST /autodiscover/autodiscover.svc`` (:mod:`.soap`),
  GetUserSettings and GetDomainSettings.

What each mailbox's settings are is decided once, in :mod:`.settings`. The WSGI
application routes these two paths here (``AutodiscoverService.handles``) and passes
its own authentication, so Autodiscover takes exactly the credentials EWS takes.
"""

from .service import AUTODISCOVER_POX_PATH, AUTODISCOVER_SOAP_PATH, AutodiscoverService

__all__ = ["AUTODISCOVER_POX_PATH", "AUTODISCOVER_SOAP_PATH", "AutodiscoverService"]
