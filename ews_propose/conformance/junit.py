"""JUnit XML for CI systems: one testsuite, one testcase per check; a skipped check is
<skipped>, a broken rule <failure>, a broken server or network <error>."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .runner import ERROR, FAIL, SKIP, Report

SUITE_NAME = "ews-propose conformance"


def to_xml(report: Report) -> bytes:
    suites = ET.Element("testsuites", name=SUITE_NAME)
    suite = ET.SubElement(suites, "testsuite", {
        "name": SUITE_NAME,
        "tests": str(len(report.results)),
        "failures": str(report.count(FAIL)),
        "errors": str(report.count(ERROR)),
        "skipped": str(report.count(SKIP)),
        "time": f"{report.seconds:.3f}",
    })
    props = ET.SubElement(suite, "properties")
    for name, value in (("endpoint", report.endpoint), ("run_id", report.run_id),
                        ("server_build", str(report.server.build) if report.server else ""),
                        ("request_server_version", report.server.schema if report.server else "")):
        ET.SubElement(props, "property", name=name, value=value)
    for r in report.results:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"conformance.{r.check.basis.replace(' ', '_')}",
            "name": r.check.id,
            "time": f"{r.seconds:.3f}",
        })
        case_props = ET.SubElement(case, "properties")
        ET.SubElement(case_props, "property", name="title", value=r.check.title)
        ET.SubElement(case_props, "property", name="rule", value=r.check.rule)
        ET.SubElement(case_props, "property", name="basis", value=r.check.basis)
        if r.status == FAIL:
            ET.SubElement(case, "failure", message=r.detail[:500], type="RuleBroken").text = r.detail
        elif r.status == ERROR:
            ET.SubElement(case, "error", message=r.detail[:500], type="ServerError").text = r.detail
        elif r.status == SKIP:
            ET.SubElement(case, "skipped", message=r.detail)
        elif r.detail:
            ET.SubElement(case, "system-out").text = r.detail
    if report.cleanup is not None and report.cleanup.problems:
        ET.SubElement(suite, "system-err").text = "cleanup problems:\n" + "\n".join(report.cleanup.problems)
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def write(report: Report, path: str | Path) -> None:
    Path(path).write_bytes(to_xml(report))
