"""The pass/fail table (rich) printed at the end of a run."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .checks import PROJECT_DECISION
from .runner import ERROR, FAIL, PASS, SKIP, Report

_STYLE = {PASS: "bold green", FAIL: "bold red", ERROR: "bold magenta", SKIP: "yellow"}


def render(report: Report, console: Console) -> None:
    server = report.server
    where = f"{report.endpoint}"
    if server is not None:
        where += f"  build {server.build}, RequestServerVersion {server.schema}"
    surface = "Graph" if server is None and report.endpoint.rstrip("/").endswith("/v1.0") else "EWS"
    table = Table(title=f"{surface} conformance: {where}\nrun id {report.run_id}", show_lines=False,
                  title_justify="left")
    table.add_column("Check", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Basis", no_wrap=True)
    table.add_column("Rule")
    table.add_column("Detail")
    for r in report.results:
        basis = "[italic]project decision[/]" if r.check.basis == PROJECT_DECISION else "public"
        table.add_row(r.check.id, f"[{_STYLE[r.status]}]{r.status}[/]", basis, r.check.rule, r.detail,
                      style=None)
    console.print(table)
    console.print(summary(report))
    if report.cleanup is not None:
        deleted = ", ".join(f"{who}: {n}" for who, n in report.cleanup.deleted.items()) or "nothing to delete"
        console.print(f"cleanup: deleted {deleted}")
        for problem in report.cleanup.problems:
            console.print(f"[bold red]cleanup problem:[/] {problem}")


def summary(report: Report) -> str:
    verdict = "OK" if report.ok else "FAILED"
    return (f"{verdict}: {len(report.results)} checks: {report.count(PASS)} passed, {report.count(FAIL)} failed, "
            f"{report.count(ERROR)} errors, {report.count(SKIP)} skipped in {report.seconds:.1f}s")
