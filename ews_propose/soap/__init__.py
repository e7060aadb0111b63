"""The EWS SOAP surface: protocol adapter (``protocol``), item serializers (``items``),
one module per operation (``operations/``), and the WSGI application (``app``)."""

# spyne 2.14.0 does not import on Python 3.12+ without this; see the module's docstring.
from .._compat import spyne_six

spyne_six.install()
