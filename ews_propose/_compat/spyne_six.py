"""Let spyne 2.14.0 import on Python 3.12 and later.

Why: spyne 2.14.0 (the last release) bundles an old copy of ``six`` as
``spyne.util.six``. Its meta-path importer, which provides ``spyne.util.six.moves``
and the ``moves`` submodules, implements only the PEP 302 ``find_module()`` /
``load_module()`` protocol. Python 3.12 stopped calling ``find_module()`` on meta-path
finders, so ``from spyne.util.six.moves... import ...`` fails with
``ModuleNotFoundError`` and spyne cannot be imported at all. (Newer releases of ``six``
fixed this by adding ``find_spec()``; spyne never picked it up.)

What: :func:`install` puts one finder at the front of ``sys.meta_path``. It answers only
for names under ``spyne.util.six.``, and only when spyne's own importer knows the name
but lacks ``find_spec()``; it then returns a spec whose loader hands the module over from
spyne's importer (``load_module``), exactly what that importer does on 3.11. Every other
import is left to the normal machinery; nothing in spyne is modified.

Installed by ``ews_propose.soap`` (the only package that imports spyne) before spyne is
first imported. Nothing else in ews-propose patches anything at import time.

Remove this module, and its call in ``ews_propose/soap/__init__.py``, when a spyne
release whose bundled six has ``find_spec()`` is the pinned version. Once spyne's
importer has ``find_spec()``, this finder already steps aside.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

PREFIX = "spyne.util.six."


def _spyne_six_importer():
    six = sys.modules.get("spyne.util.six")
    return getattr(six, "_importer", None)


class _HandOver(importlib.abc.Loader):
    """A PEP 451 loader around spyne's PEP 302 importer for one module."""

    def __init__(self, importer) -> None:
        self._importer = importer

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self._importer.load_module(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: spyne's importer returned a finished module."""

    def is_package(self, fullname: str) -> bool:
        return bool(self._importer.is_package(fullname))


class SpyneSixFinder(importlib.abc.MetaPathFinder):
    """Finds ``spyne.util.six.moves`` and its submodules through spyne's own importer."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(PREFIX):
            return None
        importer = _spyne_six_importer()
        if importer is None or hasattr(importer, "find_spec"):
            return None  # not loaded yet, or a fixed six that finds its own modules
        if importer.find_module(fullname) is None:
            return None
        loader = _HandOver(importer)
        return importlib.util.spec_from_loader(fullname, loader, is_package=loader.is_package(fullname))


def needed() -> bool:
    """Python 3.12 and later no longer fall back to ``find_module()``."""
    return sys.version_info >= (3, 12)


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once); a no-op before Python 3.12."""
    if not needed():
        return
    if any(isinstance(finder, SpyneSixFinder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, SpyneSixFinder())
