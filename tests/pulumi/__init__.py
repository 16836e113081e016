"""Pulumi-level tests: the program and its component under `pulumi.runtime` mocks."""
