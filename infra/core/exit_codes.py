"""The exit codes every command of the kit ends with, so CI can tell a finding from a typo."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # valid, passed, clean
    FAILED = 1  # ran, and found a mismatch, a failed check or an audit error
    USAGE = 2  # could not run: bad input or a backend that cannot start; one paragraph says why
