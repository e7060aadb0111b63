"""Where the project's own WSDL and schemas live (a checkout, or an installed copy)."""

from __future__ import annotations

import sys
from pathlib import Path

WSDL_FILES = ("Services.wsdl", "messages.xsd", "types.xsd")


def wsdl_dir() -> Path:
    candidates = [
        Path(__file__).resolve().parent.parent / "wsdl",  # a checkout or editable install
        Path(sys.prefix) / "share" / "ews-propose" / "wsdl",  # a regular install
    ]
    for path in candidates:
        if (path / "Services.wsdl").is_file():
            return path
    raise FileNotFoundError("the ews-propose wsdl/ directory is missing from this installation")
