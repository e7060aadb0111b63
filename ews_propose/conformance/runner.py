"""Running checks: each one's outcome, its time, and cleanup whatever happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .checks import CHECKS, Check
from .run import CheckFailed, CleanupReport, NotApplicable, Run, ServerInfo, Target

PASS, FAIL, ERROR, SKIP = "PASS", "FAIL", "ERROR", "SKIP"


@dataclass
class Result:
    check: Check
    status: str
    detail: str
    seconds: float


@dataclass
class Report:
    endpoint: str
    run_id: str
    server: ServerInfo | None
    results: list[Result] = field(default_factory=list)
    cleanup: CleanupReport | None = None
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        """No check failed or errored, and cleanup left nothing behind."""
        return (self.count(FAIL) == 0 and self.count(ERROR) == 0
                and (self.cleanup is None or self.cleanup.ok))


def run_check(run: Run, check: Check) -> Result:
    started = time.monotonic()
    try:
        detail = check.run(run) or ""
        status = PASS
    except NotApplicable as exc:
        status, detail = SKIP, str(exc)
    except CheckFailed as exc:
        status, detail = FAIL, str(exc)
    except AssertionError as exc:  # an Answer helper found nothing where the rule needs something
        status, detail = FAIL, str(exc)
    except Exception as exc:  # noqa: BLE001 - the server or the network broke, not the rule
        status, detail = ERROR, f"{type(exc).__name__}: {exc}"
    return Result(check, status, detail, time.monotonic() - started)


def run_suite(target: Target, checks: list[Check] | None = None, run_id: str | None = None,
              on_result: Callable[[Result], None] | None = None) -> Report:
    """Probe the server, run the checks in order, then delete everything the run created
    in both mailboxes (also after a failure or Ctrl-C). SetupError escapes when the
    server cannot be used at all."""
    run = Run(target) if run_id is None else Run(target, run_id=run_id)
    started = time.monotonic()
    report = Report(target.endpoint, run.run_id, None)
    try:
        report.server = run.probe()
        for check in checks if checks is not None else CHECKS:
            result = run_check(run, check)
            report.results.append(result)
            if on_result is not None:
                on_result(result)
    finally:
        if report.server is not None:
            report.cleanup = run.cleanup()
        run.close()
        report.seconds = time.monotonic() - started
    return report
