"""Makes `import pulumi_b2` work for the tests here (the stand-in when no SDK is generated)."""

from tests.pulumi.pxb2_standin import ensure_pulumi_b2

ensure_pulumi_b2()
