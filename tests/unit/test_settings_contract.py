"""The config contract: every setting described, the shipped JSON Schema and the README's
settings table generated from the models and current, and the schema agreeing with the
offline check on the shipped stacks and on broken ones."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from infra.cli import main
from infra.core import settings_reference, stack_schema
from infra.core.exit_codes import ExitCode
from infra.core.problems import NAMESPACE, PlanError
from infra.core.settings_reference import BEGIN, END, with_settings_reference
from infra.core.stack_files import PROJECT_ROOT, available_stacks, load_plan_file
from infra.core.stack_schema import REGENERATE, SCHEMA_FILE, schema_text, stack_file_schema
from infra.core.stack_settings import StackSettings

NS = f"{NAMESPACE}:"
SHIPPED = available_stacks()
SCHEMA_COMMENT = "# yaml-language-server: $schema="


def _models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """`model` and every settings model reachable through its field types."""
    yield model

    def inner(annotation: Any) -> Iterator[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _models(annotation)
        for arg in typing.get_args(annotation):
            yield from inner(arg)

    for info in model.model_fields.values():
        yield from inner(info.annotation)


def stack_document(stack: str) -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))


def schema_errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text("utf-8")))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def check_refuses(document: dict[str, Any], tmp_path: Path) -> bool:
    """Whether `python -m infra check --file` refuses the document."""
    path = tmp_path / "Pulumi.contract.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    try:
        load_plan_file(path, project="pixeltable-b2")
    except PlanError:
        return True
    return False


# ------------------------------------------------------------------ descriptions


def test_every_setting_has_a_description():
    undescribed = [
        f"{model.__name__}.{name}"
        for model in dict.fromkeys(_models(StackSettings))
        for name, info in model.model_fields.items()
        if not (info.description or "").strip()
    ]
    assert not undescribed, f"settings without Field(description=...): {undescribed}"


def test_every_section_is_in_the_schema_with_its_description():
    properties = stack_file_schema()["properties"]["config"]["properties"]
    for name, info in StackSettings.model_fields.items():
        assert properties[NS + (info.alias or name)]["description"] == info.description


# ------------------------------------------------------------------ generated files are current


def test_the_shipped_schema_is_current():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        f"{SCHEMA_FILE.relative_to(PROJECT_ROOT)} is stale: run `{REGENERATE}`"
    )


def test_the_readme_settings_section_is_current():
    readme = settings_reference.README_FILE.read_text(encoding="utf-8")
    assert readme.count(BEGIN) == 1
    assert readme.count(END) == 1
    assert readme == with_settings_reference(readme), (
        f"README.md's settings table is stale: run `{REGENERATE}`"
    )


def test_the_readme_table_names_every_setting():
    table = settings_reference.settings_reference()
    for model in _models(StackSettings):
        for name, info in model.model_fields.items():
            assert f"{info.alias or name}` |" in table, name


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(stack_file_schema())


# ------------------------------------------------------------------ the shipped stacks


@pytest.mark.parametrize("stack", SHIPPED)
def test_a_shipped_stack_names_the_schema_on_its_first_line(stack):
    path = PROJECT_ROOT / f"Pulumi.{stack}.yaml"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(SCHEMA_COMMENT), first
    assert (path.parent / first.removeprefix(SCHEMA_COMMENT)).resolve() == SCHEMA_FILE


@pytest.mark.parametrize("stack", SHIPPED)
def test_a_shipped_stack_matches_the_schema(stack):
    assert schema_errors(stack_document(stack)) == []


def test_both_shipped_stacks_are_checked():
    assert {"dev", "prod"} <= set(SHIPPED)


# ------------------------------------------------------------------ schema and check agree

Edit = Callable[[dict[str, Any]], None]


def _set(section: str, *path: Any, value: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        target = config[NS + section]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return edit


def _drop(key: str) -> Edit:
    return lambda config: config.pop(key)


def _add(key: str, value: Any) -> Edit:
    return lambda config: config.__setitem__(key, value)


ACCEPTED: dict[str, Edit] = {
    "other-namespaces": _add("aws:region", "us-east-1"),
    "provider-key-as-secret": lambda c: c.update(
        {"b2:applicationKeyId": {"secure": "v1:abc"}, "b2:applicationKey": {"secure": "v1:def"}}
    ),
    "provider-key-in-plain-text": _add("b2:applicationKeyId", "0041234567890ab000000000a"),
    "one-github-target-without-a-list": _set(
        "ciSecrets",
        "github",
        value={"repository": "acme/media-platform", "environment": "prod", "roles": ["smoke"]},
    ),
    "lock-in-years": lambda c: c[NS + "objectLock"].update({"days": None, "years": 2}),
    "cors-rule": _set(
        "bucket",
        "cors",
        value=[
            {
                "corsRuleName": "app",
                "allowedOrigins": ["https://app.example.com"],
                "allowedOperations": ["s3_get", "s3_head"],
            }
        ],
    ),
}

REFUSED: dict[str, Edit] = {
    "missing-region": _drop(NS + "region"),
    "missing-bucket": _drop(NS + "bucket"),
    "unknown-section": _add(NS + "bukcet", {"name": "acme-pxt-media-prod"}),
    "unknown-bucket-setting": _set("bucket", "publik", value=True),
    "bucket-name-too-short": _set("bucket", "name", value="acme"),
    "bucket-public-quoted": _set("bucket", "public", value="false"),
    "encryption-none": _set("bucket", "encryption", value="none"),
    "region-format": _add(NS + "region", "us-west"),
    "lock-mode-unknown": _set("objectLock", "mode", value="strict"),
    "lock-days-over-limit": _set("objectLock", "days", value=3001),
    "capability-wrong-case": _set("keys", "app", "capabilities", value=["readfiles"]),
    "role-name-upper-case": lambda c: c[NS + "keys"].update(App=c[NS + "keys"].pop("app")),
    "key-valid-days-zero": _set("keys", "smoke", "validDays", value=0),
    "lifecycle-days-zero": _set("lifecycle", 0, "hideAfterDays", value=0),
    "github-repository-without-owner": _set("ciSecrets", "github", 0, "repository", value="x"),
    "github-wait-timer-negative": _set("ciSecrets", "github", 0, "waitTimerMinutes", value=-1),
    "gitlab-no-roles": _set("ciSecrets", "gitlab", 0, "roles", value=[]),
    "secret-in-our-namespace": _add(NS + "region", {"secure": "v1:abc"}),
}


def _edited(edit: Edit) -> dict[str, Any]:
    document = copy.deepcopy(stack_document("prod"))
    edit(document["config"])
    return document


@pytest.mark.parametrize("edit", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_schema_accepts_what_check_accepts(edit, tmp_path):
    document = _edited(edit)
    assert schema_errors(document) == []
    assert not check_refuses(document, tmp_path)


@pytest.mark.parametrize("edit", REFUSED.values(), ids=REFUSED.keys())
def test_the_schema_refuses_what_check_refuses(edit, tmp_path):
    document = _edited(edit)
    assert schema_errors(document), "the schema accepted a broken stack file"
    assert check_refuses(document, tmp_path)


@pytest.mark.parametrize("document", [{}, {"config": []}, []], ids=["no-config", "list", "top"])
def test_the_schema_refuses_a_file_without_a_config_mapping(document):
    assert schema_errors(document)


# ------------------------------------------------------------------ python -m infra schema


@pytest.fixture
def generated_copies(tmp_path, monkeypatch):
    """The README and the schema file as copies in tmp_path, where the command writes."""
    readme, schema = tmp_path / "README.md", tmp_path / "stack-settings.schema.json"
    readme.write_text(settings_reference.README_FILE.read_text("utf-8"), encoding="utf-8")
    schema.write_text(SCHEMA_FILE.read_text("utf-8"), encoding="utf-8")
    monkeypatch.setattr(settings_reference, "README_FILE", readme)
    monkeypatch.setattr(stack_schema, "SCHEMA_FILE", schema)
    return readme, schema


def test_schema_prints_the_schema(capsys):
    assert main(["schema"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out) == stack_file_schema()


def test_schema_check_passes_on_the_tree(capsys):
    assert main(["schema", "--check"]) == ExitCode.OK
    assert "up to date" in capsys.readouterr().out


def test_schema_check_fails_on_stale_files_and_write_fixes_them(generated_copies, capsys):
    readme, schema = generated_copies
    text = readme.read_text("utf-8")
    readme.write_text(text.replace(BEGIN + "\n", BEGIN + "\n| old row |\n"), encoding="utf-8")
    schema.write_text("{}\n", encoding="utf-8")
    assert main(["schema", "--check"]) == ExitCode.FAILED
    err = capsys.readouterr().err
    for needed in (REGENERATE, "README.md", "stack-settings.schema.json"):
        assert needed in err
    assert main(["schema", "--write"]) == ExitCode.OK
    assert "wrote" in capsys.readouterr().out
    assert readme.read_text("utf-8") == text
    assert schema.read_text("utf-8") == schema_text()
    assert main(["schema", "--check"]) == ExitCode.OK


def test_schema_write_without_markers_names_them_and_the_fix(generated_copies, capsys):
    readme, schema = generated_copies
    readme.write_text("# a README without the markers\n", encoding="utf-8")
    schema.unlink()
    assert main(["schema", "--write"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    for needed in (BEGIN, END, "Fix:"):
        assert needed in err
    assert "Traceback" not in err
    assert not schema.exists(), "nothing is written when the README cannot take the table"


def test_schema_write_on_an_unreadable_readme_is_one_paragraph(generated_copies, capsys):
    readme, _ = generated_copies
    readme.unlink()
    readme.mkdir()
    assert main(["schema", "--check"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    for needed in ("README.md", "Fix:"):
        assert needed in err
    assert "Traceback" not in err


def test_schema_write_and_check_together_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["schema", "--write", "--check"])
    assert exit_info.value.code == ExitCode.USAGE
    assert "usage:" in capsys.readouterr().err


def test_schema_check_as_a_user_runs_it():
    run = subprocess.run(
        [sys.executable, "-m", "infra", "schema", "--check"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == ExitCode.OK, run.stderr
    assert "up to date" in run.stdout
