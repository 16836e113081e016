"""No secret value in any report, message, log line or repr - also when authorisation fails.

Every secret in the simulated world starts with SENTINEL, so one search finds
any of them (and any wrong secret handed to the audit, which is a sentinel too).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from b2sdk.v3 import B2Api, B2HttpApiConfig, InMemoryAccountInfo, RawSimulator
from b2sdk.v3.exception import InvalidAuthToken

from infra.core.exit_codes import ExitCode
from smoke.audit.cli import main
from smoke.audit.credentials import (
    ACCOUNT_KEY,
    CredentialError,
    KeyCredential,
    Secret,
    credentials_from,
    parse_keys_document,
    role_variables,
)
from smoke.audit.simulated_account import SENTINEL, World


def assert_no_secret(world: World, *texts: str) -> None:
    blob = "\n".join(texts)
    squeezed = "".join(blob.split())  # a secret wrapped across table lines is still found
    for text in (blob, squeezed):
        assert SENTINEL not in text
        for secret in world.secrets:
            assert secret not in text


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_reports_and_logs_hold_no_secret(world, run_audit, debug_logs) -> None:
    w = world("prod")
    app = w.plan.key("app")
    w.provision(key_changes={"app": {"capabilities": (*app.capabilities, "shareFiles")}})
    w.bucket.update(bucket_type="allPublic")
    w.create_key("stray", ["readFiles"], bucket_ids=[w.bucket.id_])
    env = w.env()
    _, key_name = role_variables("readonly")
    env[key_name] = f"{SENTINEL}wrong-readonly-secret"  # the auth-failure path
    run = run_audit(w, env=env)
    assert run.code == ExitCode.FAILED
    assert run.findings("key.readonly.authorise")
    assert_no_secret(w, run.out, run.err, run.json_text, run.junit_text, debug_logs.text)
    assert debug_logs.records, "b2sdk's debug logging was not captured"


def test_refused_account_key_message_holds_no_secret(world, capsys, debug_logs) -> None:
    w = world("dev").provision()
    env = w.env() | {ACCOUNT_KEY: f"{SENTINEL}wrong-account-secret"}
    code = main(["--stack", "dev"], api_factory=w.api, env=env)
    captured = capsys.readouterr()
    assert code == ExitCode.USAGE
    assert "refused the account key" in captured.err
    assert_no_secret(w, captured.out, captured.err, debug_logs.text)


class _EchoingSimulator(RawSimulator):
    """A hostile server that echoes the secret in its error message."""

    def authorize_account(self, realm_url, application_key_id, application_key):
        raise InvalidAuthToken(f"bad secret {application_key}", "unauthorized")


def _echo_factory() -> B2Api:
    return B2Api(
        InMemoryAccountInfo(), api_config=B2HttpApiConfig(_raw_api_class=_EchoingSimulator)
    )


def test_secret_echoed_by_b2_is_redacted_in_every_report(world, run_audit, monkeypatch) -> None:
    w = world("dev").provision()
    monkeypatch.setattr(w, "api", _echo_factory)
    run = run_audit(w, env=w.env(account=False))
    assert run.code == ExitCode.FAILED
    actual = run.findings("key.app.authorise")[0]["actual"]
    assert "bad secret ***" in actual  # the message survives, the secret does not
    assert_no_secret(w, run.out, run.err, run.json_text, run.junit_text)


def test_secret_echoed_for_the_account_key_is_redacted(world, capsys) -> None:
    w = world("dev").provision()
    code = main(["--stack", "dev"], api_factory=_echo_factory, env=w.env())
    captured = capsys.readouterr()
    assert code == ExitCode.USAGE
    assert "bad secret ***" in captured.err
    assert_no_secret(w, captured.out, captured.err)


def test_credential_objects_never_show_the_secret(world) -> None:
    w = world("dev").provision()
    credentials = credentials_from(w.env(), w.plan.roles)
    texts = [repr(credentials), str(credentials), repr(credentials.account)]
    texts += [repr(c) for c in credentials.roles.values()]
    texts += [str(c.secret) for c in credentials.roles.values()]
    assert_no_secret(w, *texts)
    assert credentials.roles["app"].secret.reveal() in w.secrets


def test_credential_errors_name_variables_not_values(world) -> None:
    w = world("dev").provision()
    env = {k: v for k, v in w.env().items() if not k.endswith("_KEY_ID")}
    with pytest.raises(CredentialError) as raised:
        credentials_from(env, w.plan.roles)
    assert "PXB2_APP_KEY_ID" in str(raised.value)
    assert_no_secret(w, str(raised.value), repr(raised.value))


def test_keys_file_errors_hold_no_secret(world, capsys, tmp_path: Path) -> None:
    w = world("dev").provision()
    secret = w.roles["app"].secret
    with pytest.raises(CredentialError) as raised:
        parse_keys_document(
            {"app": {"key": secret}, "ghost": {"keyId": "x", "key": secret}}, "f", w.plan.roles
        )
    assert_no_secret(w, str(raised.value))
    broken = tmp_path / "keys.json"
    broken.write_text(json.dumps({"app": {"keyId": "x", "key": secret}})[:-1])  # truncated JSON
    code = main(["--stack", "dev", "--keys-json", str(broken)], env={})
    captured = capsys.readouterr()
    assert code == ExitCode.USAGE
    assert_no_secret(w, captured.out, captured.err)


def test_secret_wrapper() -> None:
    secret = Secret(f"{SENTINEL}x")
    credential = KeyCredential("id", secret, "src")
    assert SENTINEL not in repr(secret) + str(secret) + repr(credential) + f"{credential}"
    assert secret.reveal() == f"{SENTINEL}x"
