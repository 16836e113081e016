"""Every rule of the validation contract: one breaking change each, on a valid base config.

Each case names the exact field path(s) the PlanError must report and a piece of
text (the bad value as shown) that the rendered problem must contain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.core import b2_facts as b2
from infra.core.problems import PlanError
from infra.core.stack_files import available_stacks, load_plan_file, load_plan_for_stack
from infra.core.stack_settings import SECTION_MODELS

Mutation = Callable[[dict[str, Any]], None]
NS = "pixeltable-b2"
# From the contract, shared/reference/b2.md and b2sdk 2.13.2's ALL_CAPABILITIES (which adds the
# replication pair), written out so a wrong constant is caught.
ACCOUNT_LEVEL = ("writeKeys", "deleteKeys", "listKeys", "writeBuckets", "deleteBuckets")
B2_CAPABILITIES = [
    "listKeys",
    "writeKeys",
    "deleteKeys",
    "listAllBucketNames",
    "listBuckets",
    "readBuckets",
    "writeBuckets",
    "deleteBuckets",
    "readBucketRetentions",
    "writeBucketRetentions",
    "readBucketEncryption",
    "writeBucketEncryption",
    "readBucketNotifications",
    "writeBucketNotifications",
    "readBucketReplications",
    "writeBucketReplications",
    "listFiles",
    "readFiles",
    "shareFiles",
    "writeFiles",
    "deleteFiles",
    "readFileLegalHolds",
    "writeFileLegalHolds",
    "readFileRetentions",
    "writeFileRetentions",
    "bypassGovernance",
]
BUCKET_CAPABILITIES = [
    c for c in B2_CAPABILITIES if c not in ACCOUNT_LEVEL and c != "listAllBucketNames"
]


def put(*loc: Any, value: Any) -> Mutation:
    """Set raw[loc...] = value."""

    def mutate(raw: dict[str, Any]) -> None:
        target = raw
        for part in loc[:-1]:
            target = target[part]
        target[loc[-1]] = value

    return mutate


def drop(*loc: Any) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        target = raw
        for part in loc[:-1]:
            target = target[part]
        del target[loc[-1]]

    return mutate


def add(*loc: Any, item: Any) -> Mutation:
    """Append to the list at raw[loc...]."""

    def mutate(raw: dict[str, Any]) -> None:
        target = raw
        for part in loc:
            target = target[part]
        target.append(item)

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(raw)

    return mutate


def problems_of(make_plan: Callable[..., Any], raw: dict[str, Any]) -> PlanError:
    with pytest.raises(PlanError) as info:
        make_plan(raw)
    return info.value


def assert_reported(error: PlanError, expected: list[tuple[str, str]]) -> None:
    """Exactly these paths (as a multiset), each line showing its value and a fix."""
    assert sorted(p.path for p in error.problems) == sorted(path for path, _ in expected)
    rendered = str(error)
    for path, shown in expected:
        lines = [p.render() for p in error.problems if p.path == path]
        assert any(shown in line for line in lines), (shown, lines)
    for problem in error.problems:
        line = problem.render()
        assert line.startswith(f"{problem.path} = "), line
        assert re.search(r"\. Fix: \S", line), line
        assert problem.fix.strip()
        assert line in rendered


def test_b2_capability_lists_match_the_reference():
    assert sorted(b2.CAPABILITIES) == sorted(B2_CAPABILITIES)
    assert frozenset(ACCOUNT_LEVEL) == b2.ACCOUNT_LEVEL_CAPABILITIES


def test_base_config_is_valid(make_plan, base):
    plan = make_plan(base)
    assert plan.roles == ("app", "smoke")


RULES = [
    # --- bucket name and region -------------------------------------------------------
    pytest.param(
        put("bucket", "name", value="acme"),
        [(f"{NS}:bucket.name", "'acme'")],
        id="bucket-name-too-short",
    ),
    pytest.param(
        put("bucket", "name", value="a" * 64),
        [(f"{NS}:bucket.name", "64 characters")],
        id="bucket-name-too-long",
    ),
    pytest.param(
        put("bucket", "name", value="acme_pxt.media"),
        [(f"{NS}:bucket.name", "'acme_pxt.media'")],
        id="bucket-name-bad-characters",
    ),
    pytest.param(
        put("bucket", "name", value="b2-acme-media"),
        [(f"{NS}:bucket.name", "'b2-acme-media'")],
        id="bucket-name-b2-prefix",
    ),
    pytest.param(
        put("bucket", "name", value="B2-acme-media"),
        [(f"{NS}:bucket.name", "'B2-acme-media'")],
        id="bucket-name-b2-prefix-any-case",
    ),
    pytest.param(
        both(put("bucket", "randomSuffix", value=True), put("bucket", "name", value="a" * 60)),
        [(f"{NS}:bucket.name", "'" + "a" * 60)],
        id="bucket-name-too-long-with-random-suffix",
    ),
    pytest.param(
        put("region", value="us_west_004"),
        [(f"{NS}:region", "'us_west_004'")],
        id="region-underscores",
    ),
    pytest.param(
        put("region", value="US-WEST-004"),
        [(f"{NS}:region", "'US-WEST-004'")],
        id="region-upper-case",
    ),
    pytest.param(
        put("region", value="us-west-4"),
        [(f"{NS}:region", "'us-west-4'")],
        id="region-short-number",
    ),
    # --- lifecycle ----------------------------------------------------------------------
    pytest.param(
        put("lifecycle", value=[{"prefix": f"p{i:03d}/", "hideAfterDays": 1} for i in range(101)]),
        [(f"{NS}:lifecycle", "101 rules")],
        id="lifecycle-more-than-100-rules",
    ),
    pytest.param(
        add("lifecycle", item={"prefix": "media/thumbs/", "hideAfterDays": 3}),
        [(f"{NS}:lifecycle[2].prefix", "'media/thumbs/'")],
        id="lifecycle-prefix-inside-earlier-prefix",
    ),
    pytest.param(
        add("lifecycle", item={"prefix": "med", "hideAfterDays": 3}),
        [(f"{NS}:lifecycle[2].prefix", "'med'")],
        id="lifecycle-prefix-containing-earlier-prefix",
    ),
    pytest.param(
        add("lifecycle", item={"prefix": "tmp/", "deleteHiddenAfterDays": 3}),
        [(f"{NS}:lifecycle[2].prefix", "'tmp/'")],
        id="lifecycle-duplicate-prefix",
    ),
    pytest.param(
        put("lifecycle", 0, "hideAfterDays", value=0),
        [(f"{NS}:lifecycle[0].hideAfterDays", "= 0")],
        id="lifecycle-hide-zero-days",
    ),
    pytest.param(
        put("lifecycle", 1, "deleteHiddenAfterDays", value=-3),
        [(f"{NS}:lifecycle[1].deleteHiddenAfterDays", "= -3")],
        id="lifecycle-delete-negative-days",
    ),
    pytest.param(
        put("lifecycle", 1, "cancelUnfinishedLargeFilesAfterDays", value=0),
        [(f"{NS}:lifecycle[1].cancelUnfinishedLargeFilesAfterDays", "= 0")],
        id="lifecycle-cancel-zero-days",
    ),
    pytest.param(
        add("lifecycle", item={"prefix": "logs/"}),
        [(f"{NS}:lifecycle[2]", "'logs/'")],
        id="lifecycle-no-day-count",
    ),
    pytest.param(
        add(
            "lifecycle",
            item={"prefix": "logs/", "hideAfterDays": None, "deleteHiddenAfterDays": None},
        ),
        [(f"{NS}:lifecycle[2]", "'logs/'")],
        id="lifecycle-all-day-counts-null",
    ),
    pytest.param(
        put("lifecycle", value=[{"prefix": "", "hideAfterDays": 30}]),
        [(f"{NS}:lifecycle[0].hideAfterDays", "= 30")],
        id="lifecycle-whole-bucket-expiry-without-opt-in",
    ),
    pytest.param(
        put(
            "lifecycle",
            value=[{"prefix": "", "hideAfterDays": 30, "allowWholeBucketExpiry": False}],
        ),
        [(f"{NS}:lifecycle[0].hideAfterDays", "= 30")],
        id="lifecycle-whole-bucket-expiry-opt-in-false",
    ),
    # --- object lock --------------------------------------------------------------------
    pytest.param(
        put("objectLock", "mode", value="strict"),
        [(f"{NS}:objectLock.mode", "'strict'")],
        id="lock-unknown-mode",
    ),
    pytest.param(
        put("objectLock", "mode", value="Governance"),
        [(f"{NS}:objectLock.mode", "'Governance'")],
        id="lock-mode-wrong-case",
    ),
    pytest.param(
        put("objectLock", "days", value=0), [(f"{NS}:objectLock.days", "= 0")], id="lock-zero-days"
    ),
    pytest.param(
        put("objectLock", "days", value=3001),
        [(f"{NS}:objectLock.days", "= 3001")],
        id="lock-over-3000-days",
    ),
    pytest.param(
        both(drop("objectLock", "days"), put("objectLock", "years", value=9)),
        [(f"{NS}:objectLock.years", "3285 days")],
        id="lock-years-converted-over-3000-days",
    ),
    pytest.param(
        both(drop("objectLock", "days"), put("objectLock", "years", value=0)),
        [(f"{NS}:objectLock.years", "= 0")],
        id="lock-zero-years",
    ),
    pytest.param(
        drop("objectLock", "enabled"),
        [(f"{NS}:objectLock.enabled", "= False")],
        id="lock-settings-without-enabled",
    ),
    pytest.param(
        put("objectLock", "enabled", value=False),
        [(f"{NS}:objectLock.enabled", "= False")],
        id="lock-settings-with-enabled-false",
    ),
    pytest.param(
        put("objectLock", "years", value=1),
        [(f"{NS}:objectLock.years", "= 1")],
        id="lock-days-and-years",
    ),
    pytest.param(
        drop("objectLock", "days"),
        [(f"{NS}:objectLock.mode", "'governance'")],
        id="lock-mode-without-period",
    ),
    pytest.param(
        drop("objectLock", "mode"),
        [(f"{NS}:objectLock.mode", "(missing)")],
        id="lock-period-without-mode",
    ),
    # --- keys -----------------------------------------------------------------------------
    pytest.param(
        put("keys", "app", "capabilities", value=["listFiles", "readfiles"]),
        [(f"{NS}:keys.app.capabilities", "readfiles")],
        id="key-unknown-capability",
    ),
    *[
        pytest.param(
            add("keys", "app", "capabilities", item=capability),
            [(f"{NS}:keys.app.capabilities", capability)],
            id=f"key-account-level-{capability}",
        )
        for capability in ACCOUNT_LEVEL
    ],
    pytest.param(
        add("keys", "app", "capabilities", item="listAllBucketNames"),
        [(f"{NS}:keys.app.capabilities", "'listAllBucketNames'")],
        id="key-list-all-bucket-names-without-opt-in",
    ),
    pytest.param(
        both(
            add("keys", "app", "capabilities", item="listAllBucketNames"),
            put("keys", "smoke", "allowListAllBucketNames", value=True),
        ),
        [(f"{NS}:keys.app.capabilities", "'listAllBucketNames'")],
        id="key-list-all-bucket-names-opt-in-on-another-key",
    ),
    pytest.param(
        both(
            put("objectLock", "mode", value="compliance"),
            add("keys", "smoke", "capabilities", item="bypassGovernance"),
        ),
        [(f"{NS}:keys.smoke.capabilities", "'bypassGovernance'")],
        id="key-bypass-governance-under-compliance",
    ),
    pytest.param(
        put("keys", "app", "namePrefix", value="media"),
        [(f"{NS}:keys.app.namePrefix", "'media'")],
        id="key-prefix-without-slash",
    ),
    pytest.param(
        put("keys", "app", "namePrefix", value=""),
        [(f"{NS}:keys.app.namePrefix", "''")],
        id="key-prefix-empty",
    ),
    pytest.param(
        put("keys", "app", "namePrefix", value="/media/"),
        [(f"{NS}:keys.app.namePrefix", "'/media/'")],
        id="key-prefix-leading-slash",
    ),
    pytest.param(
        put("keys", "smoke", "validDays", value=0),
        [(f"{NS}:keys.smoke.validDays", "= 0")],
        id="key-valid-days-zero",
    ),
    pytest.param(
        put("keys", "smoke", "validDays", value=1000),
        [(f"{NS}:keys.smoke.validDays", "= 1000")],
        id="key-valid-days-1000",
    ),
    pytest.param(
        put("keys", "smoke", "validDays", value=-1),
        [(f"{NS}:keys.smoke.validDays", "= -1")],
        id="key-valid-days-negative",
    ),
    *[
        pytest.param(
            put("keys", role, value={"capabilities": ["listFiles"]}),
            [(f"{NS}:keys.{role}", repr(role))],
            id=f"key-role-name-{role}",
        )
        for role in ("App", "1app", "app_ro", "-app", "app.ro")
    ],
    pytest.param(
        put("keys", "r" * 82, value={"capabilities": ["listFiles"]}),
        [(f"{NS}:keys.{'r' * 82}", "101 characters")],
        id="key-derived-name-over-100",
    ),
    pytest.param(
        put("keys", "r" * 78, value={"capabilities": ["listFiles"], "rotation": 12}),
        [(f"{NS}:keys.{'r' * 78}", "101 characters")],
        id="key-derived-name-over-100-by-rotation-suffix",
    ),
    pytest.param(
        put("keys", "app", "rotation", value=-1),
        [(f"{NS}:keys.app.rotation", "= -1")],
        id="key-negative-rotation",
    ),
    pytest.param(
        put("keys", "app", "capabilities", value=[]),
        [(f"{NS}:keys.app.capabilities", "= []")],
        id="key-no-capabilities",
    ),
    # --- unknown settings -------------------------------------------------------------------
    pytest.param(
        put("bukcet", value={"name": "x"}),
        [(f"{NS}:bukcet", "{'name': 'x'}")],
        id="unknown-top-level",
    ),
    pytest.param(
        put("bucket", "pubilc", value=True),
        [(f"{NS}:bucket.pubilc", "= True")],
        id="unknown-bucket-setting",
    ),
    pytest.param(
        put("lifecycle", 0, "hideAfterDay", value=2),
        [(f"{NS}:lifecycle[0].hideAfterDay", "= 2")],
        id="unknown-lifecycle-setting",
    ),
    pytest.param(
        put("keys", "app", "prefix", value="media/"),
        [(f"{NS}:keys.app.prefix", "'media/'")],
        id="unknown-key-setting",
    ),
    pytest.param(
        put("objectLock", "period", value=30),
        [(f"{NS}:objectLock.period", "= 30")],
        id="unknown-lock-setting",
    ),
    # --- wrong types (strict: no coercion) --------------------------------------------------
    pytest.param(
        put("bucket", "public", value="true"),
        [(f"{NS}:bucket.public", "'true'")],
        id="string-for-bool",
    ),
    pytest.param(
        put("bucket", "protect", value="yes"),
        [(f"{NS}:bucket.protect", "'yes'")],
        id="yes-for-bool",
    ),
    pytest.param(
        put("bucket", "public", value=1), [(f"{NS}:bucket.public", "= 1")], id="int-for-bool"
    ),
    pytest.param(
        put("objectLock", "enabled", value="on"),
        [(f"{NS}:objectLock.enabled", "'on'")],
        id="on-for-bool",
    ),
    pytest.param(
        put("lifecycle", 0, "hideAfterDays", value="1"),
        [(f"{NS}:lifecycle[0].hideAfterDays", "'1'")],
        id="string-for-int",
    ),
    pytest.param(
        put("keys", "smoke", "validDays", value="30"),
        [(f"{NS}:keys.smoke.validDays", "'30'")],
        id="string-for-int-in-key",
    ),
    pytest.param(
        put("objectLock", "days", value=30.5),
        [(f"{NS}:objectLock.days", "30.5")],
        id="float-for-int",
    ),
    pytest.param(
        put("objectLock", "days", value=True),
        [(f"{NS}:objectLock.days", "= True")],
        id="bool-for-int",
    ),
    pytest.param(
        put("keys", "app", "capabilities", value="listFiles"),
        [(f"{NS}:keys.app.capabilities", "'listFiles'")],
        id="string-for-list",
    ),
    pytest.param(
        put("lifecycle", value={"prefix": "tmp/", "hideAfterDays": 1}),
        [(f"{NS}:lifecycle", "'tmp/'")],
        id="mapping-for-list",
    ),
    pytest.param(put("region", value=4), [(f"{NS}:region", "= 4")], id="int-for-string"),
    # --- missing required settings ----------------------------------------------------------
    pytest.param(drop("region"), [(f"{NS}:region", "(missing)")], id="missing-region"),
    pytest.param(drop("bucket"), [(f"{NS}:bucket", "(missing)")], id="missing-bucket"),
    pytest.param(
        drop("bucket", "name"), [(f"{NS}:bucket.name", "(missing)")], id="missing-bucket-name"
    ),
    pytest.param(
        drop("lifecycle", 0, "prefix"),
        [(f"{NS}:lifecycle[0].prefix", "(missing)")],
        id="missing-lifecycle-prefix",
    ),
    pytest.param(
        drop("keys", "app", "capabilities"),
        [(f"{NS}:keys.app.capabilities", "(missing)")],
        id="missing-key-capabilities",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), RULES)
def test_each_rule_reports_path_value_and_fix(make_plan, base, mutate, expected):
    mutate(base)
    assert_reported(problems_of(make_plan, base), expected)


VALID_EDGES = [
    pytest.param(put("bucket", "name", value="a" * b2.BUCKET_NAME_MIN), id="bucket-name-6-chars"),
    pytest.param(put("bucket", "name", value="a" * b2.BUCKET_NAME_MAX), id="bucket-name-63-chars"),
    pytest.param(put("bucket", "name", value="Acme-B2-media"), id="bucket-name-b2-not-at-start"),
    pytest.param(put("region", value="eu-central-003"), id="region-eu-central-003"),
    pytest.param(
        put("lifecycle", value=[{"prefix": f"p{i:03d}/", "hideAfterDays": 1} for i in range(100)]),
        id="lifecycle-100-rules",
    ),
    pytest.param(put("lifecycle", value=[]), id="lifecycle-empty"),
    pytest.param(drop("lifecycle"), id="lifecycle-absent"),
    pytest.param(
        put(
            "lifecycle", value=[{"prefix": "", "hideAfterDays": 30, "allowWholeBucketExpiry": True}]
        ),
        id="lifecycle-whole-bucket-expiry-opted-in",
    ),
    pytest.param(
        put("lifecycle", value=[{"prefix": "", "deleteHiddenAfterDays": 1}]),
        id="lifecycle-keep-only-last-version",
    ),
    pytest.param(
        add("lifecycle", item={"prefix": "media2/", "hideAfterDays": 1}),
        id="lifecycle-similar-prefix",
    ),
    pytest.param(put("objectLock", "days", value=b2.RETENTION_MIN_DAYS), id="lock-1-day"),
    pytest.param(put("objectLock", "days", value=b2.RETENTION_MAX_DAYS), id="lock-3000-days"),
    pytest.param(
        both(drop("objectLock", "days"), put("objectLock", "years", value=8)), id="lock-8-years"
    ),
    pytest.param(put("objectLock", value={"enabled": True}), id="lock-enabled-without-default"),
    pytest.param(put("objectLock", value={"enabled": False}), id="lock-disabled"),
    pytest.param(put("objectLock", "mode", value="compliance"), id="lock-compliance"),
    pytest.param(drop("objectLock"), id="lock-absent"),
    pytest.param(
        add("keys", "smoke", "capabilities", item="bypassGovernance"),
        id="key-bypass-governance-under-governance",
    ),
    pytest.param(
        both(
            add("keys", "app", "capabilities", item="listAllBucketNames"),
            put("keys", "app", "allowListAllBucketNames", value=True),
        ),
        id="key-list-all-bucket-names-opted-in",
    ),
    pytest.param(
        put("keys", "smoke", "validDays", value=b2.KEY_VALID_DAYS_MIN), id="key-valid-1-day"
    ),
    pytest.param(
        put("keys", "smoke", "validDays", value=b2.KEY_VALID_DAYS_MAX), id="key-valid-999-days"
    ),
    pytest.param(drop("keys", "app", "namePrefix"), id="key-whole-bucket"),
    pytest.param(
        put("keys", "read-only2", value={"capabilities": ["listFiles"]}),
        id="key-role-with-digit-and-dash",
    ),
    pytest.param(
        put("keys", "r" * 81, value={"capabilities": ["listFiles"]}), id="key-derived-name-100"
    ),
    pytest.param(
        put("keys", "r" * 78, value={"capabilities": ["listFiles"], "rotation": 9}),
        id="key-rotated-name-100",
    ),
    pytest.param(
        put(
            "keys",
            "app",
            "capabilities",
            value=BUCKET_CAPABILITIES,
        ),
        id="key-every-bucket-capability",
    ),
    pytest.param(drop("keys"), id="keys-absent"),
]


@pytest.mark.parametrize("mutate", VALID_EDGES)
def test_valid_edges_are_accepted(make_plan, base, mutate):
    mutate(base)
    make_plan(base)


def test_unknown_top_level_setting_lists_the_valid_ones(make_plan, base):
    base["objectlock"] = {"enabled": True}
    [problem] = problems_of(make_plan, base).problems
    assert problem.path == f"{NS}:objectlock"
    for section in SECTION_MODELS:
        assert section in problem.fix


@pytest.mark.parametrize(
    ("mutate", "path", "valid"),
    [
        (put("bucket", "pubilc", value=True), "bucket.pubilc", ["name", "public", "randomSuffix"]),
        (put("lifecycle", 1, "days", value=2), "lifecycle[1].days", ["prefix", "hideAfterDays"]),
        (put("keys", "app", "namePrefx", value="a/"), "keys.app.namePrefx", ["namePrefix"]),
        (put("objectLock", "retention", value=1), "objectLock.retention", ["mode", "years"]),
    ],
)
def test_unknown_nested_setting_lists_the_valid_ones(make_plan, base, mutate, path, valid):
    mutate(base)
    [problem] = problems_of(make_plan, base).problems
    assert problem.path == f"{NS}:{path}"
    assert "valid settings here:" in problem.fix
    for name in valid:
        assert re.search(rf"\b{name}\b", problem.fix), (name, problem.fix)
    assert "_" not in problem.fix.split("valid settings here:")[1], "YAML names, not Python names"


@pytest.mark.parametrize("name", ["applicationKey", "secretAccessKey", "apiToken", "password"])
def test_unknown_setting_that_looks_like_a_credential_is_not_echoed(make_plan, base, name):
    secret = "K005SuperSecretValue0123"
    base[name] = secret
    base["bucket"][name] = secret
    error = problems_of(make_plan, base)
    assert sorted(p.path for p in error.problems) == sorted([f"{NS}:{name}", f"{NS}:bucket.{name}"])
    assert secret not in str(error)


def test_problems_in_every_section_are_reported_at_once(make_plan, base):
    base["region"] = "mars-1"
    base["bucket"]["name"] = "b2-media"
    base["bucket"]["public"] = "no"
    base["lifecycle"].append({"prefix": "tmp/cache/", "hideAfterDays": 1})
    base["objectLock"]["days"] = 0
    base["keys"]["app"]["namePrefix"] = "media"
    base["keys"]["smoke"]["capabilities"].append("writeKeys")
    base["colour"] = "blue"
    assert_reported(
        problems_of(make_plan, base),
        [
            (f"{NS}:region", "'mars-1'"),
            (f"{NS}:bucket.name", "'b2-media'"),
            (f"{NS}:bucket.public", "'no'"),
            (f"{NS}:lifecycle[2].prefix", "'tmp/cache/'"),
            (f"{NS}:objectLock.days", "= 0"),
            (f"{NS}:keys.app.namePrefix", "'media'"),
            (f"{NS}:keys.smoke.capabilities", "writeKeys"),
            (f"{NS}:colour", "'blue'"),
        ],
    )


def test_one_invalid_rule_does_not_hide_overlaps_between_the_others(make_plan, base):
    base["lifecycle"][0]["hideAfterDays"] = 0
    base["lifecycle"].append({"prefix": "media/x/", "hideAfterDays": 1})
    assert_reported(
        problems_of(make_plan, base),
        [
            (f"{NS}:lifecycle[0].hideAfterDays", "= 0"),
            (f"{NS}:lifecycle[2].prefix", "'media/x/'"),
        ],
    )


def test_one_invalid_key_does_not_hide_problems_of_the_others(make_plan, base):
    base["keys"]["app"]["capabilities"].append("readFile")
    base["keys"]["smoke"]["capabilities"].append("listAllBucketNames")
    base["keys"]["Bad"] = {"capabilities": ["listFiles"]}
    assert_reported(
        problems_of(make_plan, base),
        [
            (f"{NS}:keys.app.capabilities", "readFile"),
            (f"{NS}:keys.smoke.capabilities", "'listAllBucketNames'"),
            (f"{NS}:keys.Bad", "'Bad'"),
        ],
    )


def test_config_that_is_not_a_mapping(make_plan):
    with pytest.raises(PlanError) as info:
        make_plan(["region", "bucket"])
    assert "not a mapping" in str(info.value)


# --- stack files -------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_malformed_yaml_names_the_line(tmp_path):
    path = write(
        tmp_path / "Pulumi.broken.yaml",
        "config:\n"
        "  pixeltable-b2:region: us-west-004\n"
        "  pixeltable-b2:bucket:\n"
        "    name: acme-pxt-media-x\n"
        "   public: false\n",
    )
    with pytest.raises(PlanError) as info:
        load_plan_file(path)
    message = str(info.value)
    assert "line 5" in message
    assert "Fix:" in message
    assert str(path) in message


def test_yaml_yes_is_text_and_refused_for_a_bool(tmp_path):
    """PyYAML reads `yes` as true (YAML 1.1); strict validation must still refuse it."""
    path = write(
        tmp_path / "Pulumi.yes.yaml",
        "config:\n"
        "  pixeltable-b2:region: us-west-004\n"
        "  pixeltable-b2:bucket:\n"
        "    name: acme-pxt-media-x\n"
        "    public: yes\n"
        "    protect: off\n",
    )
    with pytest.raises(PlanError) as info:
        load_plan_file(path)
    assert_reported(
        info.value, [(f"{NS}:bucket.public", "'yes'"), (f"{NS}:bucket.protect", "'off'")]
    )


def test_yaml_true_false_are_bools(tmp_path):
    path = write(
        tmp_path / "Pulumi.bools.yaml",
        "config:\n"
        "  pixeltable-b2:region: us-west-004\n"
        "  pixeltable-b2:bucket: {name: acme-pxt-media-x, public: true, protect: False}\n",
    )
    plan = load_plan_file(path)
    assert plan.bucket.public is True
    assert plan.bucket.protect is False


@pytest.mark.parametrize(
    "text",
    [
        "encryptionsalt: v1:abc\n",
        "config: just-text\n",
        "",
        "- a\n- b\n",
    ],
    ids=["no-config-key", "config-not-mapping", "empty-file", "top-level-list"],
)
def test_stack_file_without_config_mapping(tmp_path, text):
    path = write(tmp_path / "Pulumi.noconfig.yaml", text)
    with pytest.raises(PlanError) as info:
        load_plan_file(path)
    [problem] = info.value.problems
    assert problem.path == "config"
    assert "config:" in problem.problem
    assert "Fix:" in problem.render()


def test_stack_file_that_does_not_exist(tmp_path):
    with pytest.raises(PlanError) as info:
        load_plan_file(tmp_path / "Pulumi.missing.yaml")
    [problem] = info.value.problems
    assert problem.path == "--file"
    assert str(tmp_path / "Pulumi.missing.yaml") in str(info.value)
    assert "Fix:" in problem.render()


def test_stack_file_outside_a_project_uses_this_kits_project_name(tmp_path):
    path = write(
        tmp_path / "Pulumi.draft.yaml",
        "config:\n"
        "  pixeltable-b2:region: us-west-004\n"
        "  pixeltable-b2:bucket: {name: acme-pxt-media-x}\n"
        "  pixeltable-b2:keys: {app: {capabilities: [listFiles]}}\n",
    )
    plan = load_plan_file(path)
    shipped = load_plan_for_stack("dev")
    assert plan.project == shipped.project
    assert plan.stack == "draft"
    assert plan.key("app").key_name == f"{shipped.project}-draft-app"


def test_stack_file_beside_its_own_project_uses_that_project_name(tmp_path):
    write(tmp_path / "Pulumi.yaml", "name: other-project\nruntime: python\n")
    path = write(
        tmp_path / "Pulumi.qa.yaml",
        "config:\n"
        "  pixeltable-b2:region: us-west-004\n"
        "  pixeltable-b2:bucket: {name: acme-pxt-media-x}\n",
    )
    assert load_plan_file(path).project == "other-project"


def test_unknown_stack_lists_the_known_ones(tmp_path):
    for stack in ("alpha", "beta"):
        write(tmp_path / f"Pulumi.{stack}.yaml", "config: {}\n")
    with pytest.raises(PlanError) as info:
        load_plan_for_stack("gamma", root=tmp_path)
    [problem] = info.value.problems
    assert problem.path == "--stack"
    assert "'gamma'" in problem.render()
    assert "alpha, beta" in problem.fix


def test_unknown_stack_in_this_project_lists_the_shipped_stacks():
    known = available_stacks()
    assert {"dev", "prod"} <= set(known)
    with pytest.raises(PlanError) as info:
        load_plan_for_stack("staging-does-not-exist")
    assert ", ".join(known) in str(info.value)


@pytest.mark.parametrize("stack", available_stacks())
def test_shipped_stack_files_validate(stack):
    plan = load_plan_for_stack(stack)
    assert plan.stack == stack
    assert plan.keys, "a shipped stack defines at least one key"


# --- under the Pulumi engine ---------------------------------------------------------


def plan_under_engine(monkeypatch, config: dict[str, str], secret_keys: list[str]):
    """`load_plan_from_pulumi` with the engine's config bag set as the language host sets it."""
    import contextvars

    import pulumi
    from pulumi.runtime import config as runtime_config

    from infra.deploy.pulumi_config import load_plan_from_pulumi

    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    monkeypatch.setattr(pulumi, "get_project", lambda: "pixeltable-b2")
    monkeypatch.setattr(pulumi, "get_stack", lambda: "engine")

    def run():
        runtime_config.set_all_config(config, secret_keys)
        return load_plan_from_pulumi()

    return contextvars.copy_context().run(run)  # the config does not leak into other tests


ENGINE_CONFIG = {
    f"{NS}:region": "us-west-004",
    f"{NS}:bucket": '{"name": "acme-pxt-media-x"}',
    f"{NS}:keys": '{"app": {"capabilities": ["listFiles"], "namePrefix": "media/"}}',
    "b2:applicationKeyId": "0041234567890ab000000000a",
}


def test_engine_config_builds_the_same_plan(monkeypatch):
    plan = plan_under_engine(monkeypatch, ENGINE_CONFIG, [])
    assert (plan.project, plan.stack) == ("pixeltable-b2", "engine")
    assert plan.key("app").key_name == "pixeltable-b2-engine-app"
    assert plan.provider_credentials_in_config is False


def test_engine_config_refuses_a_misspelt_section(monkeypatch):
    """Under `pulumi up` a typo such as `objectlock` must not silently drop the lock."""
    secret = "s3cr3t-value-never-shown"
    config = {
        **ENGINE_CONFIG,
        f"{NS}:objectlock": '{"enabled": true, "mode": "governance", "days": 30}',
        f"{NS}:notes": secret,
    }
    with pytest.raises(PlanError) as info:
        plan_under_engine(monkeypatch, config, [f"{NS}:notes"])
    assert sorted(p.path for p in info.value.problems) == [f"{NS}:notes", f"{NS}:objectlock"]
    assert all("objectLock" in p.fix for p in info.value.problems)
    assert secret not in str(info.value)


def test_unreadable_stack_file_is_a_problem_not_a_traceback(tmp_path, monkeypatch):
    binary = tmp_path / "Pulumi.binary.yaml"
    binary.write_bytes(b"config:\n  \xff\xfe: x\n")
    with pytest.raises(PlanError, match="cannot read the file"):
        load_plan_file(binary)

    locked = write(tmp_path / "Pulumi.locked.yaml", "config: {}\n")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(PlanError, match="Permission denied"):
        load_plan_file(locked)


def test_b2_capabilities_match_b2sdk() -> None:
    """b2sdk is the ground truth the Terraform provider builds on."""
    from b2sdk.v2 import ALL_CAPABILITIES

    from infra.core import b2_facts

    assert set(b2_facts.CAPABILITIES) == set(ALL_CAPABILITIES)
