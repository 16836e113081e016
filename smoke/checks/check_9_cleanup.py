"""Clean-up: the run's objects are removed, or reported as held by object lock."""

from __future__ import annotations

from smoke.checks.identity import Group, check
from smoke.cleanup import HIDE, VERSION_DELETE, remove_run_objects
from smoke.context import SmokeContext


@check(Group.CLEANUP, "run objects removed")
def check_run_objects_removed(ctx: SmokeContext, note) -> None:
    if not ctx.preflight_passed:
        note("nothing to clean: the endpoint was never reached")
        return
    remove_run_objects(ctx)
    if ctx.locked:
        plan = ctx.target.plan
        rule = plan.lifecycle_rule_covering(ctx.run_prefix) if plan else None
        until = max(o.retain_until for o in ctx.locked)
        note(
            f"{len(ctx.locked)} object version(s) are under object lock until {until[:10]} and "
            "were not deleted; "
            + (
                f"the lifecycle rule for {rule.file_name_prefix!r} removes them afterwards"
                if rule
                else "no lifecycle rule covers them"
            )
        )
    assert not ctx.leftovers, (
        "could not remove: " + ", ".join(ctx.leftovers) + f". The deployed key was refused "
        f"DeleteObjectVersion, which needs {VERSION_DELETE} (or DeleteObject, which needs "
        f"{HIDE}); the scoping rows above say which. Fix: give the key what the plan grants "
        "(`pulumi up`, or rotate it)"
    )
