"""Pulumi unit tests: the real program under `pulumi.runtime` mocks."""

from pxb2_standin import ensure_pulumi_b2

ensure_pulumi_b2()
