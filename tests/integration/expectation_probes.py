"""Run `infra.core.expectations` rows against a local deployment with the smoke probe engine.

`smoke.probes.probe` performs and judges each row as the smoke suite does; what the tests add
is stricter about the local server: an error is never acceptable, and a restriction the
backend declares unenforced must really go unenforced (else the declaration is wrong).
"""

from __future__ import annotations

from typing import Any

from infra.core.expectations import Expectation, probe_prefix
from infra.core.plan_model import KeyPlan, StackPlan
from smoke import probes
from smoke.verdicts import Outcome, Result

BACKEND = "the local server"


def bucket_scoped_roles(plan: StackPlan) -> tuple[str, ...]:
    """The roles a local deployment can stand in for.

    The local servers scope every key to the stack's bucket and have no key API, so an
    account-wide key (`accountWide: true`: listKeys, no bucket restriction) is a B2-only
    construct; b2sdk's simulator covers those keys (tests/audit/test_account_key_only.py).
    """
    return tuple(k.role for k in plan.keys if not k.account_wide)


def names_for(key: KeyPlan, bucket: str, other_bucket: str) -> probes.ProbeNames:
    """Fresh names per role; the rows of one table must run in order on the same names."""
    return probes.ProbeNames(
        bucket=bucket,
        other_bucket=other_bucket,
        in_prefix_key=f"{probe_prefix(key)}pxb2-it/{key.role}/probe.txt",
        outside_prefix_key=f"pxb2-outside-{key.role}/probe.txt",
    )


def mismatch(
    client: Any, row: Expectation, names: probes.ProbeNames, unenforced: frozenset[str]
) -> str | None:
    """None when the local server behaved as the plan and `unenforced` say, else why not."""
    probed = probes.probe(client, row, names, unenforced, BACKEND)
    observed = probed.observation
    if observed.outcome in (Outcome.ERROR, Outcome.NO_SUCH_BUCKET):
        raise AssertionError(f"{row.name}: {observed.outcome} {observed.code} {observed.detail}")
    where = f" ({observed.outcome} {observed.code})"
    if probed.verdict.status is Result.FAILED:
        return probed.verdict.message + where
    blind = set(row.relies_on) & unenforced
    if not row.allowed and blind and observed.outcome is Outcome.DENIED:
        # Declared unenforced: the local server must really let it through, or the
        # declaration is wrong (too conservative) and the set does not match reality.
        return f"{row.name} was refused though {sorted(blind)} is unenforced" + where
    return None
