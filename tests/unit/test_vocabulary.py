"""The core's shared words: one redaction, one exit-code set, one key pair, one result list."""

from __future__ import annotations

from infra.core.exit_codes import ExitCode
from infra.core.redaction import MASK, Redactor, redact
from infra.core.runtime_env import KeyPair
from smoke.verdicts import AUDIT_RESULTS, SMOKE_RESULTS, Result

SECRET = "s3cr3t-" + "value-for-the-test"


def test_redact_masks_every_secret_longest_first() -> None:
    inner = SECRET[:10]
    text = f"a {SECRET} b {inner} c"
    assert redact(text, (inner, SECRET, "")) == f"a {MASK} b {MASK} c"


def test_redact_masks_signed_url_parameters() -> None:
    url = "https://h/b/k?X-Amz-Credential=AK%2Fx&X-Amz-Signature=abc123&X-Amz-Security-Token=t0k"
    cleaned = redact(url, ())
    for value in ("AK%2Fx", "abc123", "t0k"):
        assert value not in cleaned
    assert cleaned.count(MASK) == 3


def test_redact_caps_only_when_asked() -> None:
    assert redact("x" * 50, ()) == "x" * 50
    capped = redact("x" * 50, (), limit=10)
    assert capped.startswith("x" * 10)
    assert len(capped) < 20


def test_redactor_is_redact_bound_to_secrets() -> None:
    assert Redactor([SECRET])(f"echo {SECRET}") == f"echo {MASK}"
    assert Redactor(())("nothing to hide") == "nothing to hide"


def test_exit_codes_keep_their_numbers() -> None:
    assert (ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE) == (0, 1, 2)
    assert f"{ExitCode.USAGE}" == "2"


def test_key_pair_never_shows_its_secret() -> None:
    pair = KeyPair("AKID0123", SECRET)
    assert SECRET not in repr(pair)
    assert SECRET not in str(pair)
    assert "AKID0123" in repr(pair)


def test_reports_keep_their_words_and_order() -> None:
    assert [r.value for r in SMOKE_RESULTS] == ["passed", "failed", "not verifiable", "not run"]
    assert [r.value for r in AUDIT_RESULTS] == ["passed", "failed", "warned", "skipped"]
    assert set(SMOKE_RESULTS) | set(AUDIT_RESULTS) == set(Result)
