"""Items on the wire, in the parts an answer or a request needs of them.

- :mod:`.vocabulary`: the element names and enumerations items are written with;
- :mod:`.fields`: the field table: each field declared once (its FieldURI, its element,
  how it is written, whether the Default shape has it, the feature gate an answer must
  pass to include it) and each item kind's elements in schema order (types.xsd);
- :mod:`.shapes`: ItemShape (BaseShape, AdditionalProperties) as read from a request;
- :mod:`.text`: items written into answers (GetItem, FindItem, SyncFolderItems ...);
- :mod:`.reading`: items, replies and changes read out of requests.
"""
