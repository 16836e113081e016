"""Run in a subprocess by the tests: a GitLab push of a key GitLab cannot mask.

A run that fails inside an output leaves failed futures that asyncio reports only at
interpreter exit; a child process keeps those reports out of the test session and lets
the test read everything the failure printed. Prints one JSON line on stdout.
"""

from __future__ import annotations

import json
import sys

from infra.deploy.ci_secrets import MaskingRefused, declare_ci_secrets
from tests.ci.ci_fixtures import application_keys, base_config, plan_from
from tests.pulumi.mock_engine import B2Mocks, run
from tests.pulumi.pxb2_standin import ensure_pulumi_b2

SHORT_KEY_ID, SHORT_KEY = "appKeyId0", "appKey0"  # what b2sdk's RawSimulator hands out
GL_VARIABLE = "gitlab:index/projectVariable:ProjectVariable"


def main() -> int:
    ensure_pulumi_b2()
    plan = plan_from(base_config())
    cloud = B2Mocks(key_values=lambda name: (SHORT_KEY_ID, SHORT_KEY))

    def program() -> object:
        return declare_ci_secrets(plan, application_keys(plan), "acme-pxt-media-ci")

    outcome: dict[str, object] = {"refused": None}
    try:
        run(program, stack=plan.stack, mocks=cloud)
    except MaskingRefused as error:
        outcome["refused"] = str(error)
    outcome["sent"] = sorted(str(i.get("key")) for t, _, i in cloud.created if t == GL_VARIABLE)
    sys.stdout.write(json.dumps(outcome) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
