"""The EWS SOAP surface: protocol adapter (``protocol``), item serializers (``items``),
one module per operation (``operations/``), and the WSGI application (``app``)."""
