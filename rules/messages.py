"""The one catalog of policy-problem wording, in Chinese and English.

Where a problem is found (rules/yaml_source.py, rules/schema.py, rules/loader.py,
rules/conditions.py, rules/compiler.py, lifecycle/policy_tests.py, marshmallow itself), it is
worded once in English; that wording is the message id, as in gettext. Each ``Entry`` below
matches one such wording (``{name}`` marks a part that varies) and gives the plain words
compliance staff read, in both languages, with a likely fix (``HINTS``). rules/plain_words.py
applies the catalog; tests/rules/test_plain_words.py checks that every problem of the
broken-policy gallery is in it.

Nothing outside this module holds translated text. The stable ``code`` of an issue never
depends on the language; scripts match on it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

LANGUAGES = ("zh", "en")
LANG_ENV = "COMPLAINTS_LANG"


def language(choice: str | None = None, default: str = "zh") -> str:
    """The language asked for (``--lang``, else ``$COMPLAINTS_LANG``), else ``default``."""
    for candidate in (choice, os.environ.get(LANG_ENV)):
        if candidate:
            primary = candidate.strip().lower().replace("_", "-").split("-")[0]
            if primary in LANGUAGES:
                return primary
    return default


@dataclass(frozen=True)
class Entry:
    source: str  # the English wording where the problem is found; `{name}` varies
    en: str
    zh: str
    hint: str = ""  # a key of HINTS: the likely fix
    # (the wrong name, the choices: an argument, or `=a, b` listed here): offer the closest as a fix
    suggest: tuple[str, str] | None = None

    def pattern(self) -> re.Pattern:
        parts = re.split(r"\{(\w+)\}", self.source)
        regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts))
        return re.compile(f"^{regex}$", re.S)


def fill(template: str, args: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), template)


_ONE_OF_EN = "expected one of: {names}"
_ONE_OF_ZH = "应为以下之一：{names}"

# Order matters: the first entry whose wording matches is used, so specific ones come first.
ENTRIES: dict[str, Entry] = {
    # --- reading the file ------------------------------------------------------------------
    "unreadable": Entry(
        "cannot read the file: {reason}", "cannot read the file: {reason}", "无法读取文件：{reason}", "check_path"
    ),
    "not_utf8": Entry(
        "expected UTF-8 text: {reason}",
        "the file is not UTF-8 text ({reason})",
        "文件不是 UTF-8 编码的文本（{reason}）",
        "save_utf8",
    ),
    "tests_unreadable": Entry(
        "cannot read the tests file: {reason}",
        "cannot read the tests file: {reason}",
        "无法读取测试文件：{reason}",
        "check_path",
    ),
    "too_large": Entry(
        "file is larger than {limit} bytes",
        "the file is larger than {limit} bytes",
        "文件超过 {limit} 字节的上限",
    ),
    # --- YAML syntax (PyYAML's words after "invalid YAML: ") ---------------------------------
    "yaml_tab": Entry(
        "invalid YAML: while scanning for the next token found character '\\t' that cannot start any token",
        "a tab character: YAML indents with spaces only",
        "这里有一个制表符（Tab）：YAML 只能用空格缩进",
        "tab",
    ),
    "yaml_tab_plain": Entry(
        "invalid YAML: found character '\\t' that cannot start any token",
        "a tab character: YAML indents with spaces only",
        "这里有一个制表符（Tab）：YAML 只能用空格缩进",
        "tab",
    ),
    "yaml_flow_mapping": Entry(
        "invalid YAML: while parsing a flow mapping expected ',' or '}', but got {found}",
        "a `{` … `}` is not closed, or its entries are not separated by `, `",
        "花括号 `{` … `}` 没有闭合，或其中各项没有用英文逗号 `, ` 分隔",
        "close_flow",
    ),
    "yaml_flow_sequence": Entry(
        "invalid YAML: while parsing a flow sequence expected ',' or ']', but got {found}",
        "a `[` … `]` is not closed, or its items are not separated by `, `",
        "方括号 `[` … `]` 没有闭合，或其中各项没有用英文逗号 `, ` 分隔",
        "close_flow",
    ),
    "yaml_block_end": Entry(
        "invalid YAML: while parsing a block {what} expected <block end>, but found {found}",
        "this line is not indented like the lines it belongs with",
        "这一行的缩进与同一层级的其他行不一致",
        "indent",
    ),
    "yaml_mapping_values": Entry(
        "invalid YAML: mapping values are not allowed here",
        "a `key: value` where YAML does not expect one: the line is indented too far, or a value contains "
        "`: ` and needs quotes",
        "这里不应出现 `键: 值`：这一行缩进过多，或者值里含有 `: `，需要加引号",
        "indent_or_quote",
    ),
    "yaml_simple_key": Entry(
        "invalid YAML: while scanning a simple key could not find expected ':'",
        "a key without its `:`",
        "这个键后面缺少英文冒号 `:`",
        "colon",
    ),
    "yaml_quoted": Entry(
        "invalid YAML: while scanning a quoted scalar found unexpected end of stream",
        "a quote is opened and never closed",
        "引号没有闭合",
        "close_quote",
    ),
    "yaml_other": Entry(
        "invalid YAML: {problem}",
        "the text is not valid YAML ({problem})",
        "文本不是有效的 YAML（{problem}）",
        "yaml_basics",
    ),
    # --- YAML a policy may not use -------------------------------------------------------------
    "empty": Entry("the file is empty", "the file is empty", "文件是空的"),
    "alias_bomb": Entry(
        "document expands to more than {limit} values (alias bomb?)",
        "the document expands to more than {limit} values (aliases `*name` repeated too often)",
        "文档展开后超过 {limit} 个值（别名 `*name` 重复引用过多）",
        "no_aliases",
    ),
    "tag": Entry(
        "tag {tag} is not allowed",
        "the tag {tag} is not allowed in a policy",
        "政策中不允许使用标签 {tag}",
        "no_tags",
    ),
    "key_not_text": Entry(
        "mapping keys must be plain text", "a key must be plain text", "键必须是普通文字", "plain_key"
    ),
    "duplicate_key": Entry("duplicate key", "this key is given twice", "这个键重复出现了", "remove_repeat"),
    "not_a_policy": Entry(
        "expected a mapping with sections policy, levels, teams, ...",
        "expected a mapping with sections policy, levels, teams, ...",
        "应为包含 policy、levels、teams 等部分的映射（键: 值）",
    ),
    # --- structure (rules/schema.py, marshmallow) ----------------------------------------------
    "unknown_key": Entry(
        "unknown key; check its spelling and indentation",
        "unknown key `{key}`",
        "未知的键 `{key}`",
        "spelling_indent",
    ),
    "required": Entry(
        "required key is missing", "the required key `{key}` is missing", "缺少必填的键 `{key}`", "add_key"
    ),
    "not_integer": Entry(
        "Not a valid integer.", "expected a whole number, such as 3", "应为整数，例如 3", "plain_number"
    ),
    "not_number": Entry("Not a valid number.", "expected a number, such as 10", "应为数字，例如 10", "plain_number"),
    "not_string": Entry("Not a valid string.", "expected text", "应为文字"),
    "not_boolean": Entry("Not a valid boolean.", "expected true or false", "应为 true 或 false"),
    "not_list": Entry(
        "Not a valid list.",
        "expected a list: `[a, b]` or lines starting with `- `",
        "应为列表：`[a, b]`，或每行以 `- ` 开头",
    ),
    "not_mapping": Entry(
        "Invalid input type.",
        "expected keys with values (`key: value`)",
        "应为若干 `键: 值`",
        "indent",
    ),
    "not_dict": Entry(
        "Not a valid mapping type.",
        "expected keys with values (`key: value`)",
        "应为若干 `键: 值`",
        "indent",
    ),
    "null": Entry("Field may not be null.", "a value is needed here", "这里需要填写一个值"),
    "invalid": Entry("Invalid value.", "this value is not valid here", "这里的值无效"),
    "too_short_1": Entry("Shorter than minimum length 1.", "must not be empty", "不能为空"),
    "too_short": Entry(
        "Shorter than minimum length {min}.", "needs at least {min} characters or items", "至少需要 {min} 个字符或项"
    ),
    "too_long": Entry(
        "Longer than maximum length {max}.", "has more than {max} characters or items", "超过 {max} 个字符或项"
    ),
    "length_between": Entry(
        "Length must be between {min} and {max}.",
        "needs between {min} and {max} characters",
        "长度应在 {min} 到 {max} 个字符之间",
    ),
    "must_be_one_of": Entry("Must be one of: {names}.", _ONE_OF_EN, _ONE_OF_ZH, suggest=("value", "names")),
    "range_between": Entry(
        "Must be greater than or equal to {min} and less than or equal to {max}.",
        "expected a number from {min} to {max}",
        "应为 {min} 到 {max} 之间的数",
    ),
    "range_min": Entry(
        "Must be greater than or equal to {min}.", "expected a number of at least {min}", "应为不小于 {min} 的数"
    ),
    "number_special": Entry(
        "Special numeric values (nan or infinity) are not permitted.",
        "expected an ordinary number",
        "应为普通数字",
    ),
    "identifier": Entry(
        "expected an identifier (letters, digits, _)",
        "expected a name of letters, digits and `_`, starting with a letter",
        "应为以字母开头、由字母、数字和 `_` 组成的名称",
        "identifier",
    ),
    "amount": Entry(
        "expected an amount such as 200.00",
        "expected an amount such as 200.00",
        "应为金额，例如 200.00",
        "amount",
    ),
    "amount_negative": Entry(
        "expected an amount of at least 0.00, got {value}",
        "expected an amount of at least 0.00, got {value}",
        "金额不能小于 0.00，这里是 {value}",
    ),
    "two_decimals": Entry(
        "expected at most 2 decimals, got {value}",
        "expected at most 2 decimals (fen), got {value}",
        "金额最多两位小数（分），这里是 {value}",
        "round_fen",
    ),
    "limit_negative": Entry(
        "expected a limit of at least 0.00, `any` or `never`; got {value}",
        "expected a limit of at least 0.00, `any` or `never`; got {value}",
        "限额应不小于 0.00，或为 `any`（不限）、`never`（无权）；这里是 {value}",
    ),
    "limit": Entry(
        "expected an amount such as 200.00, `any` or `never`",
        "expected an amount such as 200.00, `any` or `never`",
        "应为金额（例如 200.00）、`any`（不限）或 `never`（无权）",
        "amount",
    ),
    "timestamp": Entry(
        "expected a timestamp with offset, e.g. 2026-01-10T00:00:00+08:00",
        "expected a time with its offset, e.g. 2026-01-10T00:00:00+08:00",
        "应为带时区的时间，例如 2026-01-10T00:00:00+08:00",
    ),
    "day_list": Entry(
        "expected a list of dates or ranges like 2026-10-01..2026-10-07",
        "expected a list of dates or ranges like 2026-10-01..2026-10-07",
        "应为日期或日期区间的列表，例如 2026-10-01..2026-10-07",
    ),
    "day_item": Entry(
        "item {index}: expected a date (2026-10-01) or a range (2026-10-01..2026-10-07)",
        "item {index}: expected a date (2026-10-01) or a range (2026-10-01..2026-10-07)",
        "第 {index} 项：应为日期（2026-10-01）或日期区间（2026-10-01..2026-10-07）",
    ),
    "day_range_backwards": Entry(
        "item {index}: range ends before it starts",
        "item {index}: the range ends before it starts",
        "第 {index} 项：区间的结束日早于开始日",
    ),
    "day_invalid": Entry(
        "item {index}: {reason}", "item {index}: not a real date ({reason})", "第 {index} 项：不是有效日期（{reason}）"
    ),
    "limits_or_limits_of": Entry(
        "give exactly one of `limits` or `limits_of`",
        "give exactly one of `limits` or `limits_of`",
        "`limits` 与 `limits_of` 必须且只能写一个",
    ),
    "one_period": Entry(
        "give exactly one of calendar_days, working_days or years",
        "give exactly one of calendar_days, working_days or years",
        "calendar_days、working_days、years 必须且只能写一个",
    ),
    "empty_outcome": Entry(
        "expected at least one of team, min_level, escalate_above, flags, redirect",
        "`then` needs at least one of team, min_level, escalate_above, flags, redirect",
        "`then` 至少要写 team、min_level、escalate_above、flags、redirect 之一",
    ),
    "of_or_fixed": Entry(
        "give exactly one of `of` (order.amount, claim.amount) or `fixed`",
        "give exactly one of `of` (order.amount, claim.amount) or `fixed`",
        "`of`（order.amount 或 claim.amount）与 `fixed` 必须且只能写一个",
    ),
    "percent_on_fixed": Entry(
        "`percent` and `times` apply to `of`, not to `fixed`",
        "`percent` and `times` apply to `of`, not to `fixed`",
        "`percent` 和 `times` 只能配合 `of` 使用，不能配合 `fixed`",
    ),
    "min_above_max": Entry(
        "min {min} is above max {max}", "min {min} is above max {max}", "最小值 {min} 大于最大值 {max}"
    ),
    "remedy_list": Entry(
        "expected `none` or a list of remedy components",
        "expected `none` or a list of remedy components",
        "应为 `none` 或补救措施的列表",
    ),
    "category": Entry(
        "expected one or more of {names}; got {got}",
        "unknown category `{value}`; expected one or more of: {names}",
        "未知的投诉类别 `{value}`；应为以下一个或多个：{names}",
        suggest=("value", "names"),
    ),
    "none_needs_reason": Entry(
        "a rule with remedy `none` must state its `reason`",
        "a rule with remedy `none` must state its `reason`",
        "补救措施为 `none` 的规则必须写明 `reason`（原因）",
    ),
    "with_alone": Entry(
        "`with` stands alone: the deadline is that of another kind",
        "`with` stands alone: the deadline is that of another kind",
        "`with` 须单独使用：该时限即另一类时限",
    ),
    "due_shape": Entry(
        "expected `after: <event>` with one period, or `with: <kind>`",
        "expected `after: <event>` with one period, or `with: <kind>`",
        "应为 `after: <事件>` 加一个期间，或 `with: <时限类别>`",
    ),
    "one_unit": Entry("expected exactly one of {names}", "give exactly one of {names}", "{names} 必须且只能写一个"),
    "retention": Entry(
        "expected at least 3 (ECL Art. 31)",
        "expected at least 3 years (ECL Art. 31)",
        "至少 3 年（《电子商务法》第三十一条）",
    ),
    # --- meaning (rules/loader.py) -------------------------------------------------------------
    "one_default_team": Entry(
        "expected exactly one team marked `default: true`, found {count}",
        "expected exactly one team marked `default: true`, found {count}",
        "必须有且只有一个团队标记 `default: true`，这里有 {count} 个",
    ),
    "listed_twice": Entry(
        "{what} `{name}` is listed {count} times",
        "{what} `{name}` is listed {count} times",
        "{what} `{name}` 出现了 {count} 次",
        "remove_repeat",
    ),
    "duplicate_rule": Entry(
        "duplicate rule id `{name}` (first used at line {line})",
        "duplicate rule id `{name}` (first used at line {line})",
        "规则编号 `{name}` 重复（第 {line} 行已用过）",
        "rename",
    ),
    "unknown_rule": Entry("unknown rule `{name}`", "unknown rule `{name}`", "未知的规则 `{name}`", "rule_ids"),
    "no_limits_to_share": Entry(
        "`{name}` has no `limits` of its own to share",
        "`{name}` has no `limits` of its own to share",
        "`{name}` 自身没有 `limits`，无法共用",
    ),
    "unknown_team": Entry(
        "unknown team `{name}`; expected one of: {names}",
        "unknown team `{name}`; " + _ONE_OF_EN,
        "未定义的团队 `{name}`；" + _ONE_OF_ZH,
        suggest=("name", "names"),
    ),
    "unknown_level": Entry(
        "unknown level `{name}`; expected one of: {names}",
        "unknown level `{name}`; " + _ONE_OF_EN,
        "未定义的层级 `{name}`；" + _ONE_OF_ZH,
        suggest=("name", "names"),
    ),
    "no_approver": Entry(
        "amounts above the {level} limit have no approver: set {level2} to `any` or give `approved_by_team`",
        "amounts above the {level} limit have no approver: set {level2} to `any` or give `approved_by_team`",
        "超过 {level} 限额的金额无人可批：把 {level2} 设为 `any`，或写明 `approved_by_team`",
    ),
    "no_authority": Entry(
        "remedy type `{name}` is used by a rule but has no authority entry",
        "remedy type `{name}` is used by a rule but has no authority entry",
        "规则用到了补救类型 `{name}`，但审批权限（authority.remedies）里没有它",
        "add_authority",
    ),
    "missing_limits": Entry(
        "missing a limit for: {names}", "missing a limit for: {names}", "缺少以下层级的限额：{names}"
    ),
    "limits_fall": Entry(
        "{lower} limit {low} is above the {higher} limit {high}; limits must not decrease up the levels",
        "the {lower} limit {low} is above the {higher} limit {high}; limits must not decrease up the levels",
        "{lower} 的限额 {low} 高于 {higher} 的限额 {high}；层级越高，限额不能越低",
    ),
    "window_anchor": Entry(
        "expected a date field, one of: {names}",
        "expected a date field, one of: {names}",
        "应为日期字段，以下之一：{names}",
        suggest=("value", "names"),
    ),
    "redirect_alone": Entry(
        "a redirect stands alone: it routes the complaint out, with no team, level or flags",
        "a redirect stands alone: it routes the complaint out, with no team, level or flags",
        "`redirect`（转出）须单独使用：不能同时写团队、层级或标记",
    ),
    "needs_amount": Entry(
        "a `{name}` needs an `amount`", "a `{name}` needs an `amount`", "`{name}` 需要写明 `amount`（金额）"
    ),
    "has_no_amount": Entry(
        "a `{name}` has no amount", "a `{name}` has no amount", "`{name}` 没有金额，请删去 `amount`"
    ),
    "event_field": Entry(
        "expected received_at or a date field, got `{name}`",
        "expected received_at or a date field, got `{name}`",
        "应为 received_at 或日期字段，这里是 `{name}`",
    ),
    "unknown_event": Entry(
        "unknown event `{name}`; expected one of: {names}",
        "unknown event `{name}`; " + _ONE_OF_EN,
        "未定义的事件 `{name}`；" + _ONE_OF_ZH,
        suggest=("name", "names"),
    ),
    "reserved_event": Entry(
        "`{name}` is recorded by the escalation run itself; choose another event name",
        "`{name}` is recorded by the escalation run itself; choose another event name",
        "`{name}` 由升级任务自动记录，请换一个事件名",
    ),
    "event_counts": Entry(
        "expected a count field of history, got `{name}`",
        "expected a count field of history (such as history.rejected_offers), got `{name}`",
        "应为 history 中的计数字段（如 history.rejected_offers），这里是 `{name}`",
    ),
    "clock_kind": Entry(
        "unknown deadline kind `{name}`; expected one of: {names}",
        "unknown deadline kind `{name}`; " + _ONE_OF_EN,
        "未定义的时限类别 `{name}`；" + _ONE_OF_ZH,
        suggest=("name", "names"),
    ),
    "clock_resumes": Entry(
        "a kind that pauses needs `resumes_on` events",
        "a deadline kind that pauses (pauses_on) also needs the events that resume it (resumes_on)",
        "设置了暂停（pauses_on）的时限类别，还需写明恢复计时的事件（resumes_on）",
    ),
    "breach_sets_field": Entry(
        "expected a yes/no field of history, got `{name}`",
        "expected a yes/no field of history (such as history.resolution_overdue), got `{name}`",
        "应为 history 中的是/否字段（如 history.resolution_overdue），这里是 `{name}`",
    ),
    "breach_sets_record": Entry(
        "`breach_sets` needs `record_breach: true`",
        "`breach_sets` needs `record_breach: true`: only a recorded breach sets the field",
        "`breach_sets` 需要同时设置 `record_breach: true`：只有记录下的超时才会设置该字段",
    ),
    "with_kind": Entry(
        "expected another deadline kind, one of: {names}",
        "expected another deadline kind, one of: {names}",
        "应为另一类时限，以下之一：{names}",
        suggest=("value", "names"),
    ),
    "day_outside_year": Entry("{day} is not in {year}", "{day} is not in {year}", "{day} 不在 {year} 年内"),
    "holiday_and_makeup": Entry(
        "{day} is both a holiday and a make-up working day",
        "{day} is both a holiday and a make-up working day",
        "{day} 既是节假日又是调休工作日",
        "copy_notice",
    ),
    "makeup_on_weekday": Entry(
        "{day} is a {weekday}, already a working day",
        "{day} is a {weekday}, already a working day",
        "{day} 是{weekday}，本来就是工作日，不必列为调休",
        "copy_notice",
    ),
    # --- conditions (rules/conditions.py) --------------------------------------------------------
    "unknown_field": Entry(
        "unknown field `{name}`; expected one of: {names}",
        "unknown field `{name}`",
        "未知的字段 `{name}`",
        "fields",
        suggest=("name", "names"),
    ),
    "empty_test": Entry(
        "expected a test such as {above: 100.00}",
        "expected a test such as {above: 100.00}",
        "应为一个检验，例如 {above: 100.00}",
    ),
    "list_needs_enum": Entry(
        "a list (one of) needs a field with named values; `{name}` is {kind}",
        "a list (one of) needs a field with named values; `{name}` is {kind}",
        "列表（其中之一）只能用于取值有名称的字段；`{name}` 是 {kind}",
    ),
    "date_present": Entry(
        "`{name}` is a date: test it with {present: true} or {present: false}",
        "`{name}` is a date: test it with {present: true} or {present: false}",
        "`{name}` 是日期：只能用 {present: true} 或 {present: false} 检验",
    ),
    "present_bool": Entry(
        "`present` expects true or false", "`present` expects true or false", "`present` 应为 true 或 false"
    ),
    "date_only_present": Entry(
        "`{name}` is a date: only `present` can test it",
        "`{name}` is a date: only `present` can test it",
        "`{name}` 是日期：只能用 `present` 检验",
    ),
    "ordered_only": Entry(
        "`{op}` needs an amount or a count; `{name}` is {kind}",
        "`{op}` needs an amount or a count; `{name}` is {kind}",
        "`{op}` 只能用于金额或次数；`{name}` 是 {kind}",
    ),
    "not_in_list": Entry(
        "`not_in` expects a non-empty list", "`not_in` expects a non-empty list", "`not_in` 应为非空列表"
    ),
    "unknown_test": Entry(
        "unknown test `{name}`; expected one of above, at_least, below, at_most, not, not_in, present",
        "unknown test `{name}`; expected one of: above, at_least, below, at_most, not, not_in, present",
        "未知的检验 `{name}`；应为以下之一：above（高于）、at_least（不低于）、below（低于）、at_most（不高于）、"
        "not（不是）、not_in（不属于）、present（是否填写）",
        suggest=("name", "=above, at_least, below, at_most, not, not_in, present"),
    ),
    "not_a_value": Entry(
        "`{value}` is not a value of `{name}`; expected one of: {names}",
        "`{value}` is not a value of `{name}`; " + _ONE_OF_EN,
        "`{value}` 不是 `{name}` 的取值；" + _ONE_OF_ZH,
        suggest=("value", "names"),
    ),
    "expects_bool": Entry(
        "`{name}` expects true or false, got {value}",
        "`{name}` expects true or false, got {value}",
        "`{name}` 应为 true 或 false，这里是 {value}",
    ),
    "expects_count": Entry(
        "`{name}` expects a whole number of at least 0, got {value}",
        "`{name}` expects a whole number of at least 0, got {value}",
        "`{name}` 应为不小于 0 的整数，这里是 {value}",
    ),
    "expects_amount": Entry(
        "`{name}` expects an amount such as 2000.00, got {value}",
        "`{name}` expects an amount such as 2000.00, got {value}",
        "`{name}` 应为金额，例如 2000.00，这里是 {value}",
        "amount",
    ),
    "expects_fen": Entry(
        "`{name}` expects at most 2 decimals, got {value}",
        "`{name}` expects at most 2 decimals (fen), got {value}",
        "`{name}` 最多两位小数（分），这里是 {value}",
        "round_fen",
    ),
    "untestable": Entry(
        "`{name}` cannot be tested this way", "`{name}` cannot be tested this way", "`{name}` 不能这样检验"
    ),
    # --- the engine's limits (rules/compiler.py) -----------------------------------------------
    "too_many_rules": Entry(
        "{count} {label} rules; the engine holds at most {limit} in one ruleset: merge rules or split the policy",
        "{count} {label} rules; the engine holds at most {limit} in one ruleset",
        "{label} 规则共 {count} 条；规则引擎一个规则集最多容纳 {limit} 条",
        "split_policy",
    ),
    "too_many_tests": Entry(
        "rule has {count} tests; the engine limit we hold is {limit}",
        "the rule has {count} tests; the engine holds at most {limit}",
        "这条规则有 {count} 个检验；规则引擎最多容纳 {limit} 个",
        "split_rule",
    ),
    "identical_conditions": Entry(
        "more than {limit} rules share this exact condition",
        "more than {limit} rules share this exact condition",
        "超过 {limit} 条规则的条件完全相同",
        "split_rule",
    ),
    "equality_values": Entry(
        "`{name}` is compared with {count} distinct values; the engine limit we hold is {limit}",
        "`{name}` is compared with {count} distinct values; the engine holds at most {limit}",
        "`{name}` 被与 {count} 个不同的值比较；规则引擎最多容纳 {limit} 个",
        "split_rule",
    ),
    "too_many_fields": Entry(
        "{label} rules test {count} fields; at most {limit}",
        "{label} rules test {count} fields; at most {limit}",
        "{label} 规则检验了 {count} 个字段；最多 {limit} 个",
        "split_rule",
    ),
    # --- the policy tests file (lifecycle/policy_tests.py) ---------------------------------------
    "tests_not_mapping": Entry(
        "expected a mapping with `tests:` (and optionally `defaults:`)",
        "expected a mapping with `tests:` (and optionally `defaults:`)",
        "应为包含 `tests:`（以及可选的 `defaults:`）的映射",
    ),
    "tests_unknown_key": Entry(
        "unknown key; expected one of: {names}",
        "unknown key; " + _ONE_OF_EN,
        "未知的键；" + _ONE_OF_ZH,
        suggest=("key", "names"),
    ),
    "tests_defaults": Entry(
        "expected a mapping of complaint fields", "expected a mapping of complaint fields", "应为投诉字段的映射"
    ),
    "tests_list": Entry(
        "expected a list of tests, each with name, complaint and expect",
        "expected a list of tests, each with name, complaint and expect",
        "应为测试列表，每个测试包含 name、complaint 和 expect",
    ),
    "tests_item": Entry(
        "expected a test: a mapping with name, complaint and expect",
        "expected a test: a mapping with name, complaint and expect",
        "应为一个测试：包含 name、complaint 和 expect 的映射",
    ),
    "tests_name": Entry(
        "each test needs a `name` saying what it checks",
        "each test needs a `name` saying what it checks",
        "每个测试都需要一个 `name`，说明它检查什么",
    ),
    "tests_name_twice": Entry(
        "another test is already named this (line {line})",
        "another test is already named this (line {line})",
        "已有同名的测试（第 {line} 行）",
        "rename",
    ),
    "tests_complaint": Entry(
        "expected `complaint:` with its fields", "expected `complaint:` with its fields", "应写 `complaint:` 及其字段"
    ),
    "tests_expect": Entry(
        "expected `expect:` with at least one check",
        "expected `expect:` with at least one check",
        "应写 `expect:`，至少包含一项检查",
    ),
    "tests_bad_complaint": Entry(
        "complaint: {detail}", "the complaint would be refused: {detail}", "这条投诉会被拒收：{detail}"
    ),
    "tests_not_decision": Entry(
        "`{key}` is not part of a decision; start with one of: {names}",
        "`{key}` is not part of a decision; start with one of: {names}",
        "`{key}` 不是决定的一部分；应以以下之一开头：{names}",
    ),
}

# Likely fixes. `{suggestion}` is the closest known name; the source-line fixes name what they saw.
HINTS: dict[str, tuple[str, str]] = {
    "did_you_mean": ("did you mean `{suggestion}`?", "是不是想写 `{suggestion}`？"),
    "tab": ("replace the tab with spaces (2 per level)", "把制表符换成空格（每层 2 个空格）"),
    "fullwidth": (
        "replace the full-width {found} with the ASCII {ascii} (switch the keyboard to English punctuation)",
        "把全角的 {found} 换成半角的 {ascii}（输入法切换到英文标点）",
    ),
    "thousands": (
        "write {written} as {plain}: no thousands separator",
        "把 {written} 写成 {plain}：金额不要用千位分隔符",
    ),
    "indent": (
        "line it up with the keys of the same level, with spaces only",
        "与同一层级的键对齐，只用空格缩进",
    ),
    "indent_or_quote": (
        "indent it like its neighbours, or put the value in quotes",
        "与相邻的行对齐缩进，或者给值加上引号",
    ),
    "colon": ("write `key: value` with an ASCII colon and a space", "写成 `键: 值`，用半角冒号并在后面加一个空格"),
    "close_flow": (
        "close it on the same line, and separate entries with an ASCII comma and a space",
        "在同一行内闭合括号，各项之间用半角逗号加空格分隔",
    ),
    "close_quote": ("close the quote on the same line", "在同一行内闭合引号"),
    "opened_at": ("look at line {line}, where it opens", "请查看第 {line} 行括号或引号开始的地方"),
    "yaml_basics": (
        "spaces only for indentation, `key: value` with an ASCII colon, quotes and brackets closed",
        "缩进只用空格，`键: 值` 用半角冒号，引号和括号要闭合",
    ),
    "spelling_indent": (
        "check its spelling and indentation against the shipped policies.yaml",
        "对照随附的 policies.yaml 检查拼写和缩进",
    ),
    "add_key": ("add `{key}:` here", "在这里补上 `{key}:`"),
    "plain_number": ("write the number without quotes or units", "直接写数字，不要加引号或单位"),
    "identifier": ("for example `R15_quality_repeat`", "例如 `R15_quality_repeat`"),
    "amount": (
        "write digits with a decimal point, such as 1500.00 (quoted or not), without ¥ or separators",
        "写成数字加小数点，例如 1500.00（可加引号），不要写 ¥ 或分隔符",
    ),
    "round_fen": ("round to fen (2 decimals)", "保留到分（两位小数）"),
    "remove_repeat": ("remove or rename the repeat", "删除或重命名重复的一项"),
    "rename": ("give each rule its own id", "给每条规则一个不同的编号"),
    "rule_ids": ("use the id of a rule of the policy", "请使用政策中已有的规则编号"),
    "add_authority": ("add it under authority.remedies with its limits", "在 authority.remedies 下为它加上限额"),
    "copy_notice": ("copy the days from the State Council notice again", "请重新对照国务院办公厅的放假通知"),
    "fields": (
        "`complaints schema` lists every field; an editor with the schema offers them as you type",
        "`complaints schema` 列出了所有字段；编辑器加载该 schema 后会在输入时提示",
    ),
    "check_path": ("check the path", "请检查文件路径"),
    "save_utf8": ("save the file as UTF-8", "请把文件另存为 UTF-8 编码"),
    "no_aliases": ("write the values out instead of repeating aliases", "直接写出各个值，不要反复引用别名"),
    "no_tags": ("remove the tag (`!!…`)", "删除这个标签（`!!…`）"),
    "plain_key": ("write the key as plain text", "把键写成普通文字"),
    "split_policy": ("merge rules or split the policy", "合并规则或拆分政策"),
    "split_rule": ("split the rule or simplify its condition", "拆分规则或简化条件"),
}

# The command line's own words around the problems.
UI: dict[str, tuple[str, str]] = {
    "problems": ("{count} problem(s) in {what}:", "{what}中有 {count} 个问题："),
    "problems_in": ("{count} problem(s) in {what}", "{what}中有 {count} 个问题"),
    "the policy": ("the policy", "政策"),
    "the tests file": ("the tests file", "测试文件"),
    "fix": ("fix: ", "改法："),
    "fix_separator": ("; ", "；"),
    "document": ("<document>", "<文档>"),
    # lint findings as `complaints lint` and `check` print them; the finding's [code] never changes
    "lint_warning": ("warning", "警告"),
    "lint_accepted": ("accepted", "已接受"),
    "lint_accepted_because": ("    accepted because: {reason}", "    接受理由：{reason}"),
    "lint_example": ("    example: {example}", "    示例：{example}"),
    "lint_complaint": ("    complaint: {complaint}", "    投诉：{complaint}"),
    "lint_summary": (
        "{file}: {unaccepted} finding(s) to resolve, {accepted} accepted",
        "{file}：{unaccepted} 项待解决，{accepted} 项已接受",
    ),
    "lint_clean": (" — clean", " —— 无问题"),
}


def ui(key: str, lang: str, **args: object) -> str:
    en, zh = UI[key]
    return fill(zh if lang == "zh" else en, {k: str(v) for k, v in args.items()})


_PATTERNS = [(key, entry, entry.pattern()) for key, entry in ENTRIES.items()]


def match(message: str) -> tuple[str, dict[str, str]] | None:
    """The catalog entry whose source wording ``message`` is, with the parts that vary."""
    for key, _, pattern in _PATTERNS:
        found = pattern.match(message)
        if found:
            return key, found.groupdict()
    return None


# Words of the vocabulary that appear inside Chinese sentences.
TERMS_ZH = {
    "level": "层级",
    "team": "团队",
    "window": "期限窗口",
    "money": "金额",
    "count": "次数",
    "bool": "是/否",
    "date": "日期",
    "enum": "取值",
    "monday": "星期一",
    "tuesday": "星期二",
    "wednesday": "星期三",
    "thursday": "星期四",
    "friday": "星期五",
    "saturday": "星期六",
    "sunday": "星期日",
}


def words(key: str, args: dict[str, str], lang: str) -> str:
    entry = ENTRIES[key]
    if lang == "zh":
        return fill(entry.zh, {name: TERMS_ZH.get(value, value) for name, value in args.items()})
    return fill(entry.en, args)


def hint_words(key: str, args: dict[str, str], lang: str) -> str:
    en, zh = HINTS[key]
    return fill(zh if lang == "zh" else en, args)
