"""Run the checks through pytest with the smoke plugin; write the reports."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from infra.core.exit_codes import ExitCode
from smoke.capability_report import capability_lines
from smoke.cleanup import remove_run_objects
from smoke.context import SmokeContext
from smoke.pixeltable_warmup import close_warmup
from smoke.plugin import SmokePlugin
from smoke.results import print_capabilities, print_summary, write_json
from smoke.verdicts import Result

CHECKS_DIR = Path(__file__).resolve().parent / "checks"


def _scrub_file(path: Path, context: SmokeContext) -> None:
    if path.is_file():
        path.write_text(context.redact(path.read_text()))


def _facts(context: SmokeContext) -> dict[str, Any]:
    target = context.target
    facts: dict[str, Any] = {
        "target": target.source,
        "endpoint": target.endpoint,
        "bucket": target.bucket,
        "role": target.role,
        "run id": context.run_id,
        "S3 requests (suite's clients)": context.stats.requests,
        "retries": context.stats.retries,
        "uploaded bytes": context.stats.uploaded_bytes,
    }
    facts.update(context.facts)
    if context.locked:
        facts["objects left under object lock"] = len(context.locked)
    if context.leftovers:
        facts["objects left behind"] = ", ".join(context.leftovers)
    if target.notes:
        facts["local backend notes"] = " ".join(target.notes)
    return facts


def run_suite(
    context: SmokeContext,
    *,
    console: Console,
    junit_xml: Path | None = None,
    json_path: Path | None = None,
) -> int:
    """Run every selected check in order; 0 all passed, 1 a check failed."""
    plugin = SmokePlugin(context, console)
    args = [
        str(CHECKS_DIR),
        "-c",
        str(CHECKS_DIR / "pytest.ini"),
        "--rootdir",
        str(CHECKS_DIR),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
    ]
    if junit_xml:
        junit_xml.parent.mkdir(parents=True, exist_ok=True)
        args += ["--junit-xml", str(junit_xml), "-o", "junit_suite_name=pixeltable-b2-smoke"]
    saved = os.environ.copy()
    try:
        status = pytest.main(args, plugins=[plugin])
    finally:
        try:
            close_warmup(context)  # normally the Pixeltable check closed it already
        finally:
            os.environ.clear()
            os.environ.update(saved)
            remove_run_objects(context)  # idempotent: the cleanup check normally did it already
    failed = any(c.result is Result.FAILED for c in plugin.results)
    internal = int(status) not in (0, 1, 5)
    if internal:
        console.print(f"[bold red]the smoke runner itself failed (pytest exit {int(status)})[/]")
    exit_code = ExitCode.FAILED if failed or internal or not plugin.results else ExitCode.OK
    facts = _facts(context)
    key = context.target.key_plan
    capabilities = capability_lines(key, context.probed) if key and context.probed else []
    if capabilities:
        print_capabilities(console, capabilities)
    print_summary(console, plugin.results, facts)
    if junit_xml:
        _scrub_file(junit_xml, context)
    if json_path:
        write_json(json_path, plugin.results, facts, exit_code, capabilities)
    return exit_code
