"""ews-propose: an offline Exchange Web Services emulator and client for the
"propose a new meeting time" workflow.

Layout (request -> protocol adapter -> meeting rules -> store, and back):

- ``rules/``     meeting rules in plain Python (no XML, no HTTP): one engine for every surface
- ``store/``     persistence behind one interface (SQLite by default)
- ``soap/``      the EWS SOAP surface: protocol adapter, serializers, one module per operation
- ``versions``   server builds, schema versions and the one table of feature gates
- ``directory``  mailboxes and credentials
"""

__version__ = "0.1.0"
