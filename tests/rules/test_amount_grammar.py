"""One grammar of money for the policy, the API and the command line (rules.amounts).

ASCII digits, optionally a point and exactly two decimals, at most 12 digits before the point.
Every other spelling is refused with a message that shows the accepted form, and a quoted amount
of 29+ digits is refused by the loader, not raised out of it as ``decimal.InvalidOperation``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.complaint import ComplaintError, complaint_schema
from engine.fast_path import fast_load
from rules.amounts import AMOUNT_FORM, AmountError, parse_amount
from rules.errors import PolicyError
from rules.loader import load_policy_text

MINIMAL = Path(__file__).resolve().parents[1] / "policies" / "minimal.yaml"

# Each accepted by Decimal() (or by the old `-?[0-9]+(\.[0-9]+)?` on stripped text) before.
LENIENT = [
    "1e3",
    "１００.００",
    "٣٠٠",
    "1_000.00",
    " 100.00 ",
    "+5.00",
    "5.",
    ".5",
    "100.00\n",
    "0x10",
    "Infinity",
    "NaN",
]
HUGE = "99999999999999999999999999999.00"  # 29 digits: quantize() raised InvalidOperation


@pytest.mark.parametrize(
    ("value", "expected"),
    [("199.00", "199.00"), ("199", "199.00"), ("0.50", "0.50"), (199, "199.00"), (Decimal("12.30"), "12.30")],
)
def test_amounts_in_the_grammar(value, expected):
    assert str(parse_amount(value)) == expected


@pytest.mark.parametrize("value", [*LENIENT, "19.9", "12.345", "-5.00", HUGE, Decimal("1E+3"), True, None, [1]])
def test_everything_else_is_refused_with_the_accepted_form(value):
    with pytest.raises(AmountError) as caught:
        parse_amount(value)
    message = str(caught.value)
    assert message.startswith("expected "), message
    if caught.value.kind == "form":
        assert AMOUNT_FORM in message


def test_the_refusals_say_what_to_write():
    assert str(_refusal("19.9")) == "expected exactly 2 decimals, such as 19.90; got 19.9"
    assert str(_refusal("-5.00")) == "expected an amount of at least 0.00, got -5.00"
    assert str(_refusal(HUGE)) == f"expected at most 12 digits before the point, got '{HUGE}'"
    assert str(_refusal(" 100.00 ")) == f"expected {AMOUNT_FORM}, got ' 100.00 '"


def _refusal(value: object) -> AmountError:
    with pytest.raises(AmountError) as caught:
        parse_amount(value)
    return caught.value


def _policy_with(frontline: str) -> str:
    text = MINIMAL.read_text(encoding="utf-8")
    assert "frontline: 200.00" in text
    return text.replace("frontline: 200.00", f"frontline: {frontline}")


@pytest.mark.parametrize("written", [f'"{HUGE}"', HUGE, *(f'"{value}"' for value in LENIENT if "\n" not in value)])
def test_the_policy_refuses_each_at_its_line_and_field(written):
    with pytest.raises(PolicyError) as caught:
        load_policy_text(_policy_with(written), "m.yaml")
    (issue,) = caught.value.issues
    assert issue.path == "authority.remedies.refund.limits.frontline" and issue.code in ("schema", "policy_limit")
    assert issue.line == 28
    assert "expected" in issue.message or "at most" in issue.message


def test_a_29_digit_quoted_amount_names_the_digits_in_both_languages():
    with pytest.raises(PolicyError) as caught:
        load_policy_text(_policy_with(f'"{HUGE}"'), "m.yaml")
    (issue,) = caught.value.issues
    assert issue.text("en") == f"expected at most 12 digits before the point, got '{HUGE}'"
    assert issue.text("zh") == f"金额的整数部分最多 12 位，这里是 '{HUGE}'"


def test_a_limit_in_the_grammar_still_loads():
    load_policy_text(_policy_with('"150.00"'), "m.yaml")
    load_policy_text(_policy_with("150"), "m.yaml")


@pytest.mark.parametrize("value", [*LENIENT, "19.9", HUGE, "123456789.00"])
def test_a_complaint_refuses_each_on_the_fast_path_and_in_the_schema(complaint, value):
    raw = complaint(order={"amount": value})
    levels = ("frontline", "supervisor", "manager")
    assert fast_load(raw, levels) is None  # the fast path declines; the schema explains
    with pytest.raises(Exception) as caught:
        complaint_schema(levels).load(raw)
    assert "order" in caught.value.messages, caught.value.messages  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", [*LENIENT, "19.9", HUGE])
def test_the_decider_names_the_amount(decider, complaint, value):
    with pytest.raises(ComplaintError) as caught:
        decider.decide(complaint(order={"amount": value}))
    assert list(caught.value.errors) == ["order.amount"]
    assert caught.value.errors["order.amount"][0].startswith("expected ")


@pytest.mark.parametrize("at", ["2026-03-10T10:00:00+08:00:30", "2026-03-10T10:00:00+08:00:00.5"])
def test_an_offset_with_seconds_is_refused(decider, complaint, at):
    raw = complaint(received_at=at)
    assert fast_load(raw, ("frontline", "supervisor", "manager")) is None
    with pytest.raises(ComplaintError) as caught:
        decider.decide(raw)
    assert caught.value.errors == {
        "received_at": ["expected an offset of whole minutes such as +08:00, not one with seconds"]
    }


def test_an_offset_with_seconds_is_refused_in_the_policy():
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "announced_at: 2026-01-01T09:00:00+08:00", "announced_at: 2026-01-01T09:00:00+08:00:30"
    )
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "m.yaml")
    assert [issue.path for issue in caught.value.issues] == ["policy.announced_at"]


def test_check_names_a_29_digit_amount_in_one_line_not_a_traceback(tmp_path):
    from click.testing import CliRunner

    from cli.main import cli

    path = tmp_path / "policies.yaml"
    path.write_text(_policy_with(f'"{HUGE}"'), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "authority.remedies.refund.limits.frontline: expected at most 12 digits before the point" in result.stderr
    assert "Traceback" not in result.output and "InvalidOperation" not in result.output


@pytest.mark.parametrize("amount", ['"1e3"', '"１００.００"', "1e3", '"19.9"'])
def test_decide_on_the_command_line_holds_the_same_grammar(tmp_path, complaint, amount):
    import json

    from click.testing import CliRunner

    from cli.main import cli

    text = json.dumps(complaint(), ensure_ascii=False).replace('"amount": "100.00"', f'"amount": {amount}')
    assert amount in text
    policy = str(MINIMAL.parents[2] / "policies.yaml")
    result = CliRunner().invoke(cli, ["decide", "-", "--policy", policy], input=text)
    assert result.exit_code == 1, result.output
    assert "order.amount: expected " in result.stderr
