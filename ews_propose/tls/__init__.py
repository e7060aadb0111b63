"""Native HTTPS: a local certificate authority kept beside the store, server
certificates it issues, and an HTTPS server for the emulator's WSGI application.

- :mod:`.ca` makes the CA once (``trustme``, on ``cryptography``), reuses it on every
  later start, and issues a certificate for the addresses the emulator answers on.
- :mod:`.server` serves the application over TLS with cheroot (waitress, the plain-HTTP
  server, has no TLS of its own).
"""

from .ca import TlsError, TlsFiles, local_tls_files, own_tls_files, tls_dir_for

__all__ = ["TlsError", "TlsFiles", "local_tls_files", "own_tls_files", "tls_dir_for"]
