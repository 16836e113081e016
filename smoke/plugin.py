"""The pytest plugin that turns pytest into the smoke runner.

It hands the run context to the checks, expands the scoping check over the
plan's expectation table, prints one line per check as it finishes, and keeps
messages free of secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

from infra.core.expectations import Expectation, Operation
from smoke.checks.identity import CheckId, identity_of
from smoke.context import SmokeContext
from smoke.pixeltable_warmup import overlap_enabled, start_warmup
from smoke.results import CheckResult, Result, print_progress, result_from_skip_reason


class SmokePlugin:
    def __init__(self, context: SmokeContext, console: Console) -> None:
        self.context = context
        self.console = console
        self.results: list[CheckResult] = []
        self._notes: dict[str, list[str]] = {}
        self._names: dict[str, str] = {}
        self._messages: dict[str, str] = {}

    @pytest.fixture(name="ctx", scope="session")
    def _ctx(self) -> SmokeContext:
        return self.context

    @pytest.fixture(name="note")
    def _note(self, request: pytest.FixtureRequest) -> Callable[[str], None]:
        """Lets a check explain a pass in plain words (shown under its line)."""
        notes = self._notes.setdefault(request.node.nodeid, [])
        return lambda text: notes.append(self.context.redact(text))

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "expectation" in metafunc.fixturenames:
            # ListBuckets is judged by the connectivity check; the rest of the table here.
            table: list[Expectation | None] = [
                e
                for e in self.context.target.expectations
                if e.operation is not Operation.LIST_BUCKETS
            ] or [None]
            ids = [e.name if e else "no plan" for e in table]
            metafunc.parametrize("expectation", table, ids=ids)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        selected = [i for i in items if self.context.wants(_group(i))]
        items[:] = selected

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        report = yield
        self._names[item.nodeid] = _display_name(item)
        if call.excinfo is not None and not call.excinfo.errisinstance(pytest.skip.Exception):
            error = call.excinfo.value
            text = (str(error) or type(error).__name__).split("\nassert ")[0]
            if not isinstance(error, AssertionError):
                text = f"{type(error).__name__}: {text}"
            self._messages[item.nodeid] = self.context.redact(text.strip())
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        done = report.when == "call" or (report.when == "setup" and not report.passed)
        if not done:
            return
        noted = False
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            result, message = result_from_skip_reason(self.context.redact(str(reason)))
        elif report.failed:
            result, message = Result.FAILED, self._messages.get(report.nodeid, "failed")
        else:
            result, message = Result.PASSED, "; ".join(self._notes.get(report.nodeid, []))
            noted = bool(message)
        check = CheckResult(
            name=self._names.get(report.nodeid, report.nodeid),
            result=result,
            seconds=round(report.duration, 3),
            message=message,
            note=noted,
        )
        self.results.append(check)
        print_progress(self.console, check)
        # What the Pixeltable phase waits for starts as soon as the endpoint is known to answer.
        if overlap_enabled():
            start_warmup(self.context)


def _identity(item: pytest.Item) -> CheckId:
    """The identity its `@check` states; a check without one stops the run at collection."""
    return identity_of(getattr(item, "function", None))


def _group(item: pytest.Item) -> str:
    return _identity(item).group.value


def _display_name(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    return _identity(item).title(callspec.id if callspec else None)
