"""exchangelib's own test suite against the emulator (see tests/exchangelib_suite.py and
docs/compatibility.md): no fewer tests may pass than the recorded floor, and the
emulator must never answer with an internal error while the suite runs."""

from __future__ import annotations

import pytest

from . import exchangelib_suite as suite


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return suite.run_suite(tmp_path_factory.mktemp("exchangelib"))


def test_no_fewer_exchangelib_tests_pass_than_the_floor(run):
    passed = run.count("passed")
    failing = sorted(n for n, o in run.results.items() if o.status == "failed")
    assert passed >= suite.floor(), (
        f"{passed} exchangelib tests pass, the floor is {suite.floor()}; failing now:\n" + "\n".join(failing))


def test_every_in_scope_module_ran(run):
    ran = {suite.module_of(node) for node in run.results}
    assert ran == set(suite.MODULES), run.pytest_tail


def test_the_emulator_never_answered_with_an_internal_error(run):
    internal = {op: n for (op, code), n in run.faults.items() if code == "ErrorInternalServerError"}
    assert not internal, internal


def test_a_failed_subtest_fails_its_method(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite>'
        '<testcase classname="tests.test_x.T" name="test_a"><failure message="AssertionError: 1"/>'
        '<failure message="AssertionError: 2"/></testcase>'
        '<testcase classname="tests.test_items.test_y.U" name="test_b"/>'
        '<testcase classname="tests.test_x.CommonItemTest" name="test_c"><skipped message="base"/></testcase>'
        '</testsuite></testsuites>')
    results = suite.read_junit(junit)
    assert set(results) == {"tests/test_x.py::T::test_a", "tests/test_items/test_y.py::U::test_b"}
    assert results["tests/test_x.py::T::test_a"].status == "failed"
    assert "1 more failed subtest" in results["tests/test_x.py::T::test_a"].cause
    assert results["tests/test_items/test_y.py::U::test_b"].status == "passed"
