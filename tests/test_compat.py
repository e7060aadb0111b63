"""The spyne/six shim (ews_propose/_compat/spyne_six.py), in fresh interpreters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_the_soap_surface_imports_and_serves_spyne_six_moves():
    run = _python(
        "import ews_propose.soap.app, sys\n"
        "from spyne.util.six.moves.urllib.parse import quote\n"
        "from spyne.util.six.moves import collections_abc\n"
        "print(quote('a b'), collections_abc.MutableSet.__name__, sys.version_info[:2])\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("a%20b MutableSet")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="3.11 still calls find_module(); no shim needed")
def test_without_the_shim_spyne_does_not_import():
    """The shim is what makes the difference: spyne alone fails on this interpreter."""
    run = _python("import spyne")
    assert run.returncode != 0
    assert "No module named 'spyne.util.six.moves'" in run.stderr


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="only 3.11 leaves the shim out")
def test_python_311_gets_no_finder():
    run = _python("import sys, ews_propose.soap\n"
                  "print(any(type(f).__name__ == 'SpyneSixFinder' for f in sys.meta_path))")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"


def test_the_finder_answers_only_for_spyne_six_names():
    from ews_propose._compat.spyne_six import SpyneSixFinder

    finder = SpyneSixFinder()
    assert finder.find_spec("json") is None
    assert finder.find_spec("spyne.util.six.moves.no_such_thing") is None
    if sys.version_info >= (3, 12):
        spec = finder.find_spec("spyne.util.six.moves")
        assert spec is not None and spec.submodule_search_locations is not None


def test_installing_twice_adds_one_finder():
    run = _python("import sys\nfrom ews_propose._compat import spyne_six\n"
                  "spyne_six.install(); spyne_six.install()\n"
                  "print(sum(type(f).__name__ == 'SpyneSixFinder' for f in sys.meta_path))")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ("1" if sys.version_info >= (3, 12) else "0")
