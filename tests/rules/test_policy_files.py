"""Loading policy files: the shipped policy, and a gallery of broken ones (tests/policies/broken/),
each refused with the expected message at the right line and column."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from rules.errors import PolicyError
from rules.loader import load_policy_file, load_policy_text

HERE = Path(__file__).resolve().parents[1]  # tests/
BROKEN = HERE / "policies" / "broken"
MINIMAL = HERE / "policies" / "minimal.yaml"
DEFAULT = HERE.parent / "policies.yaml"


def issues_of(path: Path) -> list:
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    return caught.value.issues


def test_default_policy_loads_with_the_brief_s_numbers():
    policy = load_policy_file(DEFAULT)
    assert policy.levels == ("frontline", "supervisor", "manager")
    assert policy.teams == (
        "legal_compliance",
        "quality_assurance",
        "merchant_management",
        "logistics",
        "customer_service",
    )
    assert policy.default_team == "customer_service"
    limits = {kind: entry.limits for kind, entry in policy.authority.items()}
    assert limits["refund"] == {"frontline": Decimal("200.00"), "supervisor": Decimal("2000.00"), "manager": "any"}
    assert limits["return_refund"] == limits["refund"]
    assert limits["resend"] == {"frontline": Decimal("300.00"), "supervisor": Decimal("3000.00"), "manager": "any"}
    assert limits["compensation"] == {"frontline": Decimal("50.00"), "supervisor": Decimal("500.00"), "manager": "any"}
    assert limits["punitive_damages"] == {"frontline": "never", "supervisor": "never", "manager": "never"}
    assert policy.authority["punitive_damages"].approved_by_team == "legal_compliance"
    assert [rule.info.id for rule in policy.routing][:2] == ["R01_regulator_channel", "R02_legal_matters"]
    assert all(rule.info.basis for rule in (*policy.routing, *policy.remedies, *policy.deadlines))
    assert policy.records.retention_years == 3


def test_money_is_read_as_decimal_never_float():
    policy = load_policy_file(DEFAULT)
    for entry in policy.authority.values():
        for limit in entry.limits.values():
            assert isinstance(limit, (Decimal, str))


def test_minimal_policy_loads():
    assert load_policy_file(MINIMAL).version == "test.1"


GALLERY = [
    # file, line, column, path, message fragment, code (rules.errors.ISSUE_CODES)
    ("bad_yaml_syntax", 13, 6, "levels[manager]", "a `{` … `}` is not closed", "yaml_syntax"),
    ("wrong_type", 73, 3, "records.retention_years", "expected a whole number, such as 3", "schema"),
    ("unknown_key", 35, 5, "routing[R01_regulator].descripton", "unknown key `descripton`", "schema"),
    (
        "negative_limit",
        28,
        34,
        "authority.remedies.refund.limits.frontline",
        "expected a limit of at least 0.00, `any` or `never`; got -200.00",
        "schema",
    ),
    (
        "frontline_above_supervisor",
        28,
        34,
        "authority.remedies.refund.limits.frontline",
        "the frontline limit 2500.00 is above the supervisor limit 2000.00",
        "inconsistent",
    ),
    (
        "duplicate_rule_id",
        47,
        5,
        "remedies[M01_refund].id",
        "duplicate rule id `M01_refund` (first used at line 41)",
        "duplicate",
    ),
    ("missing_basis", 34, 5, "routing[R01_regulator].basis", "the required key `basis` is missing", "schema"),
    (
        "unknown_team",
        38,
        12,
        "routing[R01_regulator].then.team",
        "unknown team `legal`; expected one of: legal_compliance, customer_service",
        "unknown_name",
    ),
    (
        "unknown_condition_field",
        37,
        12,
        "routing[R01_regulator].when.chanel",
        "unknown field `chanel`",
        "condition",
    ),
    (
        "three_decimal_limit",
        28,
        34,
        "authority.remedies.refund.limits.frontline",
        "expected at most 2 decimals (fen), got 200.005",
        "schema",
    ),
    (
        "three_decimal_amount",
        46,
        51,
        "remedies[M01_refund].remedy.0.amount.max",
        "expected at most 2 decimals (fen), got 99.999",
        "schema",
    ),
    (
        "python_tag",
        3,
        9,
        "policy.name",
        "the tag tag:yaml.org,2002:python/object/apply:os.system is not allowed",
        "yaml_structure",
    ),
    ("duplicate_yaml_key", 5, 3, "policy.version", "this key is given twice", "yaml_structure"),
    ("alias_bomb", 3, 7, None, "the document expands to more than 200000 values", "yaml_structure"),
]


@pytest.mark.parametrize(("name", "line", "column", "path", "message", "code"), GALLERY, ids=[g[0] for g in GALLERY])
def test_broken_policy_is_refused_at_the_right_place(name, line, column, path, message, code):
    file = BROKEN / f"{name}.yaml"
    found = [issue for issue in issues_of(file) if message in issue.message]
    assert len(found) == 1, issues_of(file)
    (issue,) = found
    assert (issue.line, issue.column) == (line, column)
    if path is not None:
        assert issue.path == path
    assert issue.file == str(file)
    assert issue.code == code
    assert str(issue).endswith(f" [{code}]")
    assert str(issue).startswith(f"{file}:{line}:{column}: ")


def test_every_gallery_file_is_tested():
    from tests.rules.test_plain_words import NEW_FILES  # the authoring mistakes, in both languages

    assert sorted(p.stem for p in BROKEN.glob("*.yaml")) == sorted(
        [g[0] for g in GALLERY] + ["three_schema_problems", "three_meaning_problems"] + NEW_FILES
    )


@pytest.mark.parametrize("name", [g[0] for g in GALLERY if g[0] != "unknown_key"])
def test_a_single_problem_gives_a_single_issue(name):
    assert len(issues_of(BROKEN / f"{name}.yaml")) == 1


def test_a_misspelt_required_key_is_both_unknown_and_missing():
    issues = issues_of(BROKEN / "unknown_key.yaml")
    assert [(i.line, i.path, i.message) for i in issues] == [
        (34, "routing[R01_regulator].description", "the required key `description` is missing"),
        (35, "routing[R01_regulator].descripton", "unknown key `descripton`"),
    ]
    assert issues[1].fixes() == ["did you mean `description`?"]


def test_alias_bomb_is_refused_quickly():
    start = time.monotonic()
    issues_of(BROKEN / "alias_bomb.yaml")
    assert time.monotonic() - start < 10


def test_three_structure_problems_are_reported_at_once():
    issues = issues_of(BROKEN / "three_schema_problems.yaml")
    assert [(i.line, i.column, i.path) for i in issues] == [
        (28, 34, "authority.remedies.refund.limits.frontline"),
        (37, 5, "routing[R01_regulator].colour"),
        (74, 3, "records.retention_years"),
    ]
    assert issues[0].message.endswith("got -1.00")
    assert issues[1].message == "unknown key `colour`"
    assert issues[2].message == "expected at least 3 years (ECL Art. 31)"


def test_three_meaning_problems_are_reported_at_once():
    issues = issues_of(BROKEN / "three_meaning_problems.yaml")
    assert [(i.line, i.column, i.path) for i in issues] == [
        (38, 12, "routing[R01_regulator].then.team"),
        (43, 12, "remedies[M01_refund].when.order.colour"),
        (48, 5, "remedies[M01_refund].id"),
    ]
    assert issues[0].message.startswith("unknown team `legal`")
    assert issues[1].message.startswith("unknown field `order.colour`")
    assert issues[2].message == "duplicate rule id `M01_refund` (first used at line 41)"


def test_policy_error_message_lists_every_issue():
    with pytest.raises(PolicyError) as caught:
        load_policy_file(BROKEN / "three_meaning_problems.yaml")
    assert len(str(caught.value).splitlines()) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("- just\n- a list\n", "expected a mapping with sections policy, levels, teams"),
        ("policy: !custom {}\n", "tag !custom is not allowed"),
        ("policy: !!binary aGVsbG8=\n", "tag tag:yaml.org,2002:binary is not allowed"),
    ],
)
def test_documents_that_are_not_policies(text, message):
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "inline.yaml")
    assert any(message in issue.message for issue in caught.value.issues), caught.value.issues


def test_unreadable_file(tmp_path):
    issues = issues_of(tmp_path / "absent.yaml")
    assert issues[0].message.startswith("cannot read the file")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert issues_of(latin)[0].message.startswith("expected UTF-8 text")


def test_quoted_amounts_read_exactly_as_the_same_numbers():
    import re

    text = DEFAULT.read_text(encoding="utf-8")
    quoted, count = re.subn(r"(?<=: )([0-9]+\.[0-9]{2})(?=[,}\s])", r'"\1"', text)
    assert count >= 16  # limits, fixed amounts, minimums and the amounts tested by conditions
    assert '{above: "2000.00"}' in quoted and 'frontline: "200.00"' in quoted
    assert load_policy_text(quoted, "quoted.yaml").digest == load_policy_file(DEFAULT).digest


@pytest.mark.parametrize("written", ['"1,500.00"', '"200.005"', '"-1.00"', '"¥200"', "true"])
def test_only_digits_are_an_amount(written):
    text = (HERE / "policies" / "minimal.yaml").read_text(encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text.replace("frontline: 200.00", f"frontline: {written}"), "m.yaml")
    (issue,) = caught.value.issues
    assert issue.path == "authority.remedies.refund.limits.frontline" and issue.code == "schema"


def test_an_unprintable_character_is_a_yaml_syntax_issue_not_a_crash():
    # Found by schemathesis (POST /v1/policies answered 500): the YAML reader refuses U+009D when built.
    with pytest.raises(PolicyError) as caught:
        load_policy_text("\u009d\u00f6y1", "inline.yaml")
    assert caught.value.issues[0].code == "yaml_syntax"
    assert "#x009d" in caught.value.issues[0].message
