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
from collections.abc import Iterable
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

    def pattern(self) -> re.Pattern[str]:
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
    "not_regular": Entry(
        "the file is {kind}, not a regular file; give the path of the YAML file itself",
        "the file is {kind}, not a regular file; give the path of the YAML file itself",
        "该路径不是普通文件（{kind}）；请给出 YAML 文件本身的路径",
        "check_path",
    ),
    "tests_not_regular": Entry(
        "the tests file is {kind}, not a regular file; give the path of the YAML file itself",
        "the tests file is {kind}, not a regular file; give the path of the YAML file itself",
        "测试文件路径不是普通文件（{kind}）；请给出 YAML 文件本身的路径",
        "check_path",
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
        "expected an amount such as 200.00 (digits, optionally a point and exactly 2 decimals), got {value}",
        "expected an amount such as 200.00 (digits, optionally a point and exactly 2 decimals), got {value}",
        "应为金额，例如 200.00（只用数字，可带小数点和正好两位小数），这里是 {value}",
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
    "one_decimal": Entry(
        "expected exactly 2 decimals, such as {fixed}; got {value}",
        "expected exactly 2 decimals, such as {fixed}; got {value}",
        "金额应写正好两位小数，例如 {fixed}；这里是 {value}",
    ),
    "amount_digits": Entry(
        "expected at most 12 digits before the point, got {value}",
        "expected at most 12 digits before the point, got {value}",
        "金额的整数部分最多 12 位，这里是 {value}",
    ),
    "limit_negative": Entry(
        "expected a limit of at least 0.00, `any` or `never`; got {value}",
        "expected a limit of at least 0.00, `any` or `never`; got {value}",
        "限额应不小于 0.00，或为 `any`（不限）、`never`（无权）；这里是 {value}",
    ),
    "limit": Entry(
        "expected an amount such as 200.00 (digits, optionally a point and exactly 2 decimals), `any` or `never`; "
        "got {value}",
        "expected an amount such as 200.00 (digits, optionally a point and exactly 2 decimals), `any` or `never`; "
        "got {value}",
        "应为金额（例如 200.00，只用数字，可带小数点和正好两位小数）、`any`（不限）或 `never`（无权）；这里是 {value}",
        "amount",
    ),
    "timezone_close": Entry(
        "unknown timezone `{name}`; expected an IANA time zone name such as Asia/Shanghai: did you mean `{close}`?",
        "unknown time zone `{name}`; expected an IANA time zone name such as Asia/Shanghai: did you mean `{close}`?",
        "未知的时区 `{name}`；应为 IANA 时区名称，例如 Asia/Shanghai。是不是 `{close}`？",
    ),
    "timezone": Entry(
        "unknown timezone `{name}`; expected an IANA time zone name such as Asia/Shanghai",
        "unknown time zone `{name}`; expected an IANA time zone name such as Asia/Shanghai",
        "未知的时区 `{name}`；应为 IANA 时区名称，例如 Asia/Shanghai",
    ),
    "offset_seconds": Entry(
        "expected an offset of whole minutes such as +08:00, not one with seconds",
        "expected an offset of whole minutes such as +08:00, not one with seconds",
        "时区偏移应为整分钟，例如 +08:00，不能带秒",
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
    "event_field_shared": Entry(
        "`{field}` is set by event `{other}` already: each event starts only its own deadlines; "
        "give this event no field, or a field of its own",
        "`{field}` is set by event `{other}` already: each event starts only its own deadlines; "
        "give this event no field, or a field of its own",
        "`{field}` 已由事件 `{other}` 设置：每个事件只启动从它起算的时限；请去掉本事件的 field，或给它自己的字段",
    ),
    "deadline_roll_forward_unit": Entry(
        "roll_forward applies to a period of calendar_days: working days end on a working day already,"
        " minutes and hours are counted on the clock",
        "roll_forward applies to a period of calendar_days: working days end on a working day already,"
        " minutes and hours are counted on the clock",
        "roll_forward 只适用于自然日（calendar_days）期限：工作日期限本就止于工作日，分钟和小时按时钟计算",
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


# --- sentences built by the tools (lint, diff, the change notice, policy tests, the calendar) -----
# Each is (English, Chinese). The English is what the JSON `message`/`text` fields carry; the
# printed text follows --lang / COMPLAINTS_LANG / Accept-Language. Codes and rule ids never change.
SENTENCES: dict[str, tuple[str, str]] = {
    # joining words
    "sep.and": (" and ", " 且 "),
    "sep.both": (" and ", "、"),
    "sep.list": (", ", "、"),
    "sep.parts": ("; ", "；"),
    "sep.clauses": (", ", "，"),
    "sep.or": (" | ", " | "),
    "none": ("none", "无"),
    "cite": ("{rule} (line {line})", "{rule}（第 {line} 行）"),
    # rule parts in words (rules/wording.py)
    "words.given": ("{field} is given", "{field} 已填写"),
    "words.not_given": ("{field} is not given", "{field} 未填写"),
    "words.eq": ("{field} is {value}", "{field} 为 {value}"),
    "words.in": ("{field} is one of {values}", "{field} 为 {values} 之一"),
    "words.not": ("{field} is not {value}", "{field} 不为 {value}"),
    "words.not_in": ("{field} is none of {values}", "{field} 不为 {values} 中的任何一个"),
    "words.above": ("{field} above {value}", "{field} 高于 {value}"),
    "words.at_least": ("{field} at least {value}", "{field} 不低于 {value}"),
    "words.below": ("{field} below {value}", "{field} 低于 {value}"),
    "words.at_most": ("{field} at most {value}", "{field} 不高于 {value}"),
    "words.always": ("always", "总是"),
    "words.any_of": ("at least one of: {groups}", "至少满足其一：{groups}"),
    "words.no_conditions": ("always (no conditions)", "总是（无条件）"),
    "words.redirect": ("redirect: {reason}", "转出：{reason}"),
    "words.team": ("team {team}", "团队 {team}"),
    "words.min_level": ("level at least {level}", "层级至少为 {level}"),
    "words.escalate": ("one level above {level}", "比 {level} 高一级"),
    "words.flags": ("flags {flags}", "标记 {flags}"),
    "words.percent_of": ("{percent}% of {of}", "{of} 的 {percent}%"),
    "words.times_of": ("{times} times {of}", "{of} 的 {times} 倍"),
    "words.at_least_amount": (", at least {amount}", "，最少 {amount}"),
    "words.at_most_amount": (", at most {amount}", "，最多 {amount}"),
    "words.component_amount": (" ({amount})", "（{amount}）"),
    "words.goods_returned": (", goods returned", "，退回商品"),
    "words.return_paid_by": (", return shipping paid by {who}", "，退货运费由 {who} 承担"),
    "words.outbound_paid_by": (", outbound shipping paid by {who}", "，发货运费由 {who} 承担"),
    "words.due_with": ("with the {kind} deadline", "与 {kind} 时限相同"),
    "words.due_after": ("{amount} {unit} after {after}", "{after} 后 {amount} {unit}"),
    "unit.calendar_days": ("calendar days", "个自然日"),
    "unit.working_days": ("working days", "个工作日"),
    "unit.years": ("years", "年"),
    "unit.hours": ("hours", "小时"),
    "unit.minutes": ("minutes", "分钟"),
    # lint findings (rules/lint.py); the [code] printed before them never changes
    "lint.stale_acceptance": (
        "lint.accept accepts `{what}`{rules}, which no longer occurs; remove the acceptance",
        "lint.accept 接受了 `{what}`{rules}，但它已不再出现；请删除这条接受",
    ),
    "lint.accept_about": ("{finding} about {about}", "{finding}（关于 {about}）"),
    "lint.accept_for": (" for {rules}", "（规则 {rules}）"),
    "lint.contradiction": ("{rule} can never fire: {why}", "{rule}永远不会触发：{why}"),
    "lint.why_own_category": (
        "its condition `{words}` excludes the rule's own category ({categories})",
        "它的条件 `{words}` 排除了规则自身的类别（{categories}）",
    ),
    "lint.why_both": ("{words} cannot both hold", "{words} 不可能同时成立"),
    "lint.why_flag": (
        "`{words}` never holds: a decision flag is only ever given as true; test `{present: false}`",
        "`{words}` 永远不成立：决定标记只会以 true 出现；请改用 `{present: false}` 检验",
    ),
    "lint.why_never": ("`{words}` never holds", "`{words}` 永远不成立"),
    "lint.why_any_of": (
        "none of its when_any alternatives can hold together with its when conditions",
        "它的 when_any 备选条件没有一个能与它的 when 条件同时成立",
    ),
    "lint.why_all": (
        "no complaint satisfies all of its conditions together",
        "没有任何投诉能同时满足它的全部条件",
    ),
    "lint.remedy_gap": (
        "some `{category}` complaints get no remedy: none of {rules} matches them; "
        "end the category with a rule that always matches (`when: {}`)",
        "部分 `{category}` 投诉得不到补救措施：{rules} 都不匹配它们；"
        "请在该类别的最后加一条总是匹配的规则（`when: {}`）",
    ),
    "lint.remedy_uncovered": (
        "no remedy rule covers category `{category}`: such complaints get no remedy",
        "没有补救规则覆盖类别 `{category}`：这类投诉得不到补救措施",
    ),
    "lint.scope": (" for `{category}`", "（类别 `{category}`）"),
    "lint.shadowed_one": (
        "{rule} is never reached{scope}: the earlier {names} answers every complaint it matches",
        "{rule}{scope}永远不会被用到：它匹配的每一条投诉都已由排在前面的 {names}处理",
    ),
    "lint.shadowed_many": (
        "{rule} is never reached{scope}: the earlier {names} together answer every complaint it matches",
        "{rule}{scope}永远不会被用到：它匹配的每一条投诉都已由排在前面的 {names}共同处理",
    ),
    "lint.redirected_one": (
        "{rule} never gives its remedy{scope}: routing {names} redirects every complaint it matches, "
        "and a redirect has no remedy",
        "{rule}{scope}永远给不出补救措施：它匹配的每一条投诉都被分派规则 {names}转出，而转出的投诉没有补救措施",
    ),
    "lint.redirected_many": (
        "{rule} never gives its remedy{scope}: routing {names} together redirect every complaint it matches, "
        "and a redirect has no remedy",
        "{rule}{scope}永远给不出补救措施：它匹配的每一条投诉都被分派规则 {names}共同转出，而转出的投诉没有补救措施",
    ),
    "lint.conflicting_redirects": (
        "{a} and {b} fire together and redirect with different reasons; "
        "the policy states no precedence between redirects, so only one reason is given",
        "{a}与 {b}会同时触发，并以不同的理由转出；政策没有规定转出之间的先后，因此只会给出一个理由",
    ),
    "lint.deadline_gap": (
        "deadline `{kind}`: its rules divide the cases by {fields} but leave a case with "
        "no `{kind}` deadline (rules {rules})",
        "时限 `{kind}`：其规则按 {fields} 划分情形，却留下了一种没有 `{kind}` 时限的情形（规则 {rules}）",
    ),
    "lint.pending_forever": (
        "{rule} is due with the `{other}` deadline, but for some decisions no `{other}` "
        "rule applies: that deadline then stays pending for ever",
        "{rule}与 `{other}` 时限同时到期，但有些决定没有适用的 `{other}` 规则：这时该时限将永远处于待定状态",
    ),
    "lint.authority_band_empty": (
        "authority for {names}: the {higher} limit {amount} equals the {lower} limit, so no amount ever "
        "needs {higher} approval (the {higher} band is empty; the bands overlap)",
        "{names} 的审批权限：{higher} 的限额 {amount} 与 {lower} 的相同，因此没有任何金额需要 {higher} 审批"
        "（{higher} 这一档是空的；各档重叠）",
    ),
    "lint.approver_not_routed": (
        "{rule} proposes {kind}, which only team `{team}` approves, but for some "
        "`{category}` complaints no routing rule sends the complaint to `{team}` above {lowest} "
        "(rules that do: {named}); add a routing rule for these complaints",
        "{rule}提出 {kind}，只有团队 `{team}` 能批准，但部分 `{category}` 投诉没有分派规则把它送到 `{team}` "
        "的 {lowest} 以上层级（能做到的规则：{named}）；请为这些投诉加一条分派规则",
    ),
    "lint.shipping_without_goods": (
        "{rule} remedy {position} ({type}) states {what}; remove it, "
        "or the decision would tell the customer who pays for a parcel that never travels",
        "{rule}的第 {position} 项补救措施（{type}）写了 {what}；请删除它，否则决定会告诉顾客一个根本不会寄出的包裹由谁付运费",
    ),
    "lint.return_without_goods": (
        "return_shipping_paid_by, but no goods come back (goods_return is false)",
        "return_shipping_paid_by，但没有商品退回（goods_return 为 false）",
    ),
    "lint.outbound_without_goods": (
        "outbound_shipping_paid_by, but a `{type}` sends no goods",
        "outbound_shipping_paid_by，但 `{type}` 并不寄出商品",
    ),
    "lint.missing_basis": (
        "{rule} has no real basis (`{basis}`): cite the article of law or write `internal SLA`",
        "{rule}没有真正的依据（`{basis}`）：请引用法律条文，或写 `internal SLA`",
    ),
    "lint.window_missing_basis": (
        "window `{window}` has no real basis (`{basis}`)",
        "期限窗口 `{window}` 没有真正的依据（`{basis}`）",
    ),
    "lint.unused_window": (
        "window `{window}` is counted for every complaint but no rule tests within.{window}",
        "每条投诉都会计算期限窗口 `{window}`，但没有任何规则检验 within.{window}",
    ),
    "lint.unused_event": (
        "event `{event}` is defined but no deadline counts from it and the clock does not use it",
        "定义了事件 `{event}`，但没有任何时限从它起算，时钟也不使用它",
    ),
    "lint.never_met": (
        "deadline kind `{kind}` has no entry in clock.kinds: no reported event meets it, so once due it stays breached",
        "时限种类 `{kind}` 在 clock.kinds 中没有条目：没有任何上报的事件能满足它，一旦到期便一直处于超时状态",
    ),
    "lint.calendar_year_missing": (
        "the policy takes effect in {year}, which its calendar does not list "
        "(outside_known_years: {fallback}); add {year}'s holidays and make-up working days",
        "政策在 {year} 年生效，但其日历没有列出这一年（outside_known_years: {fallback}）；"
        "请补上 {year} 年的节假日和调休上班日",
    ),
    "lint.calendar_draft": (
        "a calendar year drafted by `complaints calendar draft` is still marked {marker}: copy "
        "the State Council's bridging holidays and make-up working days (调休上班日) from its notice "
        "(or use `complaints calendar import NOTICE.txt`) and remove the marker",
        "由 `complaints calendar draft` 起草的日历年份仍标有 {marker}：请从国务院办公厅的放假通知中抄入调休放假日"
        "和调休上班日（或使用 `complaints calendar import NOTICE.txt`），然后删除该标记",
    ),
    "lint.short_notice": (
        "effective_from is {notice} after announced_at; {what} must be announced at least {needed} days "
        "before it takes effect ({basis})",
        "effective_from 距 announced_at 只有 {notice}；{what}须至少提前 {needed} 日公示（{basis}）",
    ),
    "lint.a_major_change": ("a major change", "重大变更"),
    "lint.a_change": ("a change", "变更"),
    "lint.days": ("{days} days, {time}", "{days} 天 {time}"),
    "lint.could_not_run": ("lint could not run: {error}", "检查未能运行：{error}"),
    "lint.accepted_count": (
        "{count} lint finding(s) accepted by the policy (see `complaints lint`)",
        "政策已接受 {count} 项检查结果（见 `complaints lint`）",
    ),
    "lint.refused": (
        "{count} lint finding(s) must be fixed or accepted in the policy's `lint: accept` section",
        "有 {count} 项检查结果须修正，或在政策的 `lint: accept` 部分中接受",
    ),
    "lint.refused_notice": (
        "the policy takes effect too soon after it is announced; acknowledge `short_notice` to publish anyway",
        "政策公示后生效得太快；如仍要发布，请确认 `short_notice`",
    ),
    # what changed between two versions (rules/diff.py) and the public change notice (lifecycle/notice.py)
    "diff.section.header": ("Header", "基本信息"),
    "diff.section.levels": ("Levels and teams", "层级与团队"),
    "diff.section.authority": ("Authority", "审批权限"),
    "diff.section.windows": ("Eligibility windows", "期限窗口"),
    "diff.section.routing": ("Routing rules", "分派规则"),
    "diff.section.remedies": ("Remedy rules", "处理方案"),
    "diff.section.events": ("Events", "事件"),
    "diff.section.deadlines": ("Deadline rules", "处理期限"),
    "diff.section.calendar": ("Calendar", "节假日"),
    "diff.section.records": ("Records", "记录保存"),
    "diff.section.lint": ("Accepted lint findings", "已接受的检查结果"),
    "diff.title": ("{title}:", "{title}："),
    "diff.version": (
        "{file} (version {version}, effective {effective})",
        "{file}（版本 {version}，{effective} 起施行）",
    ),
    "diff.no_changes": ("No changes: {same}.", "没有变化：{same}。"),
    "diff.identical": ("identical content", "内容完全相同"),
    "diff.same_meaning": ("no change in meaning (only layout or comments)", "含义没有变化（只改了排版或注释）"),
    "diff.count": ("{count} change(s):", "共 {count} 处变化："),
    "diff.field": ("{label}: {old} → {new}", "{label}：{old} → {new}"),
    "diff.nothing": ("(none)", "（无）"),
    "diff.added": ("{noun} added: {words}", "新增{noun}：{words}"),
    "diff.removed": ("{noun} removed: {words}", "删除{noun}：{words}"),
    "noun.level": ("level", "层级"),
    "noun.team": ("team", "团队"),
    "noun.remedy_type": ("remedy type", "补救类型"),
    "noun.window": ("window", "期限窗口"),
    "noun.routing_rule": ("routing rule", "分派规则"),
    "noun.remedy_rule": ("remedy rule", "补救规则"),
    "noun.event": ("event", "事件"),
    "noun.deadline_rule": ("deadline rule", "时限规则"),
    "noun.accepted_finding": ("accepted finding", "已接受的检查结果"),
    "diff.labelled": ("{name} ({label})", "{name}（{label}）"),
    "diff.remedy_type": ("{name} ({label}): limits {limits}", "{name}（{label}）：限额 {limits}"),
    "diff.window": ("{name}: {period} ({label}; {basis})", "{name}：{period}（{label}；{basis}）"),
    "diff.period": ("{amount} {unit} from {anchor}{counting}", "自 {anchor} 起 {amount} {unit}{counting}"),
    "diff.no_roll_forward": (" (no roll-forward)", "（不顺延）"),
    "diff.routing_rule": ("{name}: when {when} → {then}", "{name}：当 {when} → {then}"),
    "diff.remedy_rule": (
        "{name} [{categories}]: when {when} → {remedy}",
        "{name} [{categories}]：当 {when} → {remedy}",
    ),
    "diff.no_remedy": ("no remedy ({reason})", "无补救措施（{reason}）"),
    "diff.event": ("{name} ({label}, field {field})", "{name}（{label}，字段 {field}）"),
    "diff.deadline_rule": (
        "{name}: {kind} due {due} when {when}",
        "{name}：{kind} 时限为 {due}，条件：{when}",
    ),
    "diff.limit": ("{kind}: {level} limit {old} → {new}", "{kind}：{level} 限额 {old} → {new}"),
    "diff.shared_limit": (
        "{kind} (shared by {others}): {level} limit {old} → {new}",
        "{kind}（与 {others} 共用）：{level} 限额 {old} → {new}",
    ),
    "diff.conditions": ("{rule} conditions: {change}", "{rule} 的条件：{change}"),
    "diff.changes_test": ("changes {old} → {new}", "把 {old} 改为 {new}"),
    "diff.adds_tests": ("adds {tests}", "增加 {tests}"),
    "diff.drops_tests": ("drops {tests}", "去掉 {tests}"),
    "diff.any_of": ("when_any was {old}, now {new}", "when_any 原为 {old}，现为 {new}"),
    "diff.now": ("{changes} (now: {when})", "{changes}（现为：{when}）"),
    "diff.adds": ("{rule} adds {component}", "{rule} 增加 {component}"),
    "diff.drops": ("{rule} drops {component}", "{rule} 去掉 {component}"),
    "diff.component": ("{rule} remedy {index}: {old} → {new}", "{rule} 第 {index} 项补救措施：{old} → {new}"),
    "diff.order": (
        "order of the `{category}` rules (first match wins): {old} becomes {new}",
        "`{category}` 类规则的顺序（先匹配者生效）：{old} 改为 {new}",
    ),
    "diff.year_added": ("year {year} added", "新增 {year} 年"),
    "diff.year_removed": ("year {year} removed", "删除 {year} 年"),
    "diff.holidays_added": ("holiday added: {days} ({span})", "新增节假日：{days}（{span}）"),
    "diff.holidays_removed": ("holiday removed: {days} ({span})", "删除节假日：{days}（{span}）"),
    "diff.makeup_working_days_added": (
        "make-up working day (调休) added: {days} ({span})",
        "新增调休上班日：{days}（{span}）",
    ),
    "diff.makeup_working_days_removed": (
        "make-up working day (调休) removed: {days} ({span})",
        "删除调休上班日：{days}（{span}）",
    ),
    "diff.span": ("{first} to {last}", "{first}至{last}"),
    "diff.fallback_day": (
        "{day} ({weekday}) is now {now}; the fallback ({mode}) counted it as {then}: "
        "decisions counted on the fallback that reach this day change",
        "{day}（{weekday}）现为{now}；后备规则（{mode}）曾把它算作{then}：按后备规则计算且涉及这一天的决定会改变",
    ),
    "diff.working_day": ("a working day", "工作日"),
    "diff.not_working_day": ("not a working day", "非工作日"),
    "weekday.monday": ("Monday", "星期一"),
    "weekday.tuesday": ("Tuesday", "星期二"),
    "weekday.wednesday": ("Wednesday", "星期三"),
    "weekday.thursday": ("Thursday", "星期四"),
    "weekday.friday": ("Friday", "星期五"),
    "weekday.saturday": ("Saturday", "星期六"),
    "weekday.sunday": ("Sunday", "星期日"),
    # the policy tests report (lifecycle/policy_tests.py, `complaints test`)
    "test.header": (
        "{file}: {count} tests against {policy} (version {version})",
        "{file}：{count} 个测试，针对 {policy}（版本 {version}）",
    ),
    "test.fail": ("  FAIL  {name}  ({where})", "  失败  {name}  （{where}）"),
    "test.could_not_decide": ("        could not decide: {error}", "        无法作出决定：{error}"),
    "test.failure_at": ("        {path} (line {line})", "        {path}（第 {line} 行）"),
    "test.expected": ("            expected: {value}", "            预期：{value}"),
    "test.actual": ("            actual:   {value}", "            实际：{value}"),
    "test.fired": ("        rules that fired: {rules}", "        触发的规则：{rules}"),
    "test.cites": ("cites {rules}", "引用 {rules}"),
    "test.does_not_cite": ("does not cite {rules}", "不引用 {rules}"),
    "test.no_rule": ("no rule", "没有规则"),
    "test.pass": ("  PASS  {name}", "  通过  {name}"),
    "test.summary": ("{passed} passed, {failed} failed", "{passed} 个通过，{failed} 个失败"),
    "test.rule_coverage": (
        "Rule coverage: {done} of {total} rules exercised by at least one test",
        "规则覆盖：{total} 条规则中有 {done} 条至少被一个测试用到",
    ),
    "test.unexercised": ("  not exercised by any test ({count}):", "  没有被任何测试用到的规则（{count} 条）："),
    "test.unexercised_rule": ("    {rule} (line {line})", "    {rule}（第 {line} 行）"),
    "test.unexercised_none": ("  not exercised by any test: none", "  没有被任何测试用到的规则：无"),
    "test.alternatives": (
        "when_any coverage: {done} of {total} alternatives exercised",
        "when_any 覆盖：{total} 个备选条件中有 {done} 个被用到",
    ),
    "test.alternative": (
        "    {rule} (line {line}) when_any alternative {index}",
        "    {rule}（第 {line} 行）when_any 第 {index} 个备选条件",
    ),
    "test.coverage": (
        "Coverage: {percent}% of rules and when_any alternatives",
        "覆盖率：规则与 when_any 备选条件的 {percent}%",
    ),
    "test.cannot_fire": (
        "  cannot fire, not counted: {rule} (line {line}) — {why}",
        "  不可能触发，不计入：{rule}（第 {line} 行）—— {why}",
    ),
    "test.accepted_in_lint": ("{code} (accepted in lint: {reason})", "{code}（已在 lint 中接受：{reason}）"),
    "test.below_min_coverage": (
        "coverage {percent}% is below --min-coverage {min}%",
        "覆盖率 {percent}% 低于 --min-coverage {min}%",
    ),
    # reading the State Council's holiday notice (rules/holiday_notice.py, `complaints calendar import`)
    "notice.wrong_year": ("the notice is for {titled}, not {year}", "这份通知是 {titled} 年的，不是 {year} 年的"),
    "notice.no_year": (
        "cannot tell the year: the title (关于YYYY年部分节假日安排的通知) is missing; give --year",
        "看不出年份：缺少标题（关于YYYY年部分节假日安排的通知）；请用 --year 指定",
    ),
    "notice.date_outside_item": (
        "a date outside a numbered item (一、…：…) cannot be read: `{text}`",
        "编号条目（一、…：…）之外的日期无法读取：`{text}`",
    ),
    "notice.nothing": (
        "no arrangement found: expected lines such as 一、元旦：1月1日（周四）放假1天。",
        "没有找到放假安排：应为“一、元旦：1月1日（周四）放假1天。”这样的行",
    ),
    "notice.not_festival": (
        "`{name}` is not a festival of the national holiday rules ({names})",
        "`{name}` 不是《全国年节及纪念日放假办法》规定的节日（{names}）",
    ),
    "notice.second_period": (
        "a second holiday period in one item: `{sentence}`",
        "同一条目中出现了第二个放假期间：`{sentence}`",
    ),
    "notice.weekday_makeup": (
        "{day} is a {weekday}, already a working day: not a make-up day (上班)",
        "{day} 是{weekday}，本来就是工作日：不是调休上班日",
    ),
    "notice.unreadable": (
        "cannot read `{sentence}`: expected `M月D日（周X）至D日（周X）放假调休，共N天` "
        "or `M月D日（周X）、M月D日（周X）上班`",
        "无法读取 `{sentence}`：应为 `M月D日（周X）至D日（周X）放假调休，共N天` 或 `M月D日（周X）、M月D日（周X）上班`",
    ),
    "notice.no_period": ("no holiday period (…放假…) in this item", "这一条目中没有放假期间（…放假…）"),
    "notice.backwards": (
        "the period ends ({last}) before it starts ({first})",
        "放假期间的结束日（{last}）早于开始日（{first}）",
    ),
    "notice.count": (
        "{first} to {last} is {days} days, the notice says 共{count}天",
        "{first} 至 {last} 共 {days} 天，通知写的是共{count}天",
    ),
    "notice.needs_month": ("`{date}`: a date needs its month (M月D日)", "`{date}`：日期需要写明月份（M月D日）"),
    "notice.not_a_date": ("`{date}` is not a date: {reason}", "`{date}` 不是有效日期：{reason}"),
    "notice.weekday_mismatch": (
        "{day} is a {weekday} (周{weekday_zh}), the notice says 周{said}",
        "{day} 是{weekday}（周{weekday_zh}），通知写的是周{said}",
    ),
    "notice.not_utf8": ("{file}: expected UTF-8 text: {reason}", "{file}：应为 UTF-8 编码的文本：{reason}"),
    "notice.not_imported": (
        "{file}: not imported, {count} line(s) cannot be read:",
        "{file}：未导入，有 {count} 行无法读取：",
    ),
    "notice.other_year": (
        "note: {day} is in {year}, not {notice_year}: enter it in the {year} block",
        "注意：{day} 属于 {year} 年，不是 {notice_year} 年：请把它填入 {year} 年的部分",
    ),
    # the calendar left (rules/calendar.py)
    "calendar.ran_out": (
        "the holiday calendar ran out on {day} ({ago} days ago)",
        "节假日日历已于 {day} 用完（{ago} 天前）",
    ),
    "calendar.left": (
        "{left} days of holiday calendar left (last listed day {day})",
        "节假日日历还剩 {left} 天（最后列出的日期为 {day}）",
    ),
    "calendar.running_out": (
        "{state}, fewer than the {warn} days of calendar.warn_days_before_end: add {next} from "
        "the State Council's notice (complaints calendar import NOTICE.txt, or complaints calendar draft "
        "{next}); until then {next} is counted on calendar.outside_known_years",
        "{state}，少于 calendar.warn_days_before_end 规定的 {warn} 天：请按国务院办公厅的放假通知补上 {next} 年"
        "（complaints calendar import NOTICE.txt，或 complaints calendar draft {next}）；在此之前，"
        "{next} 年按 calendar.outside_known_years 计算",
    ),
    "calendar.line": ("{file}: calendar {status}: {message}", "{file}：日历{status}：{message}"),
    "calendar.warning": ("warning", "警告"),
    "calendar.ok": ("ok", "正常"),
}


@dataclass(frozen=True, eq=False)
class Words:
    """A sentence of SENTENCES with its parts, worded when the language is known."""

    key: str
    args: dict[str, object]

    def text(self, lang: str = "en") -> str:
        en, zh = SENTENCES[self.key]
        return fill(zh if lang == "zh" else en, {name: part_text(value, lang) for name, value in self.args.items()})

    def __str__(self) -> str:
        return self.text("en")


@dataclass(frozen=True, eq=False)
class Joined:
    """Parts joined by a separator of SENTENCES (``sep.and``, ``sep.list``, ...)."""

    sep: str
    parts: tuple[object, ...]

    def text(self, lang: str = "en") -> str:
        en, zh = SENTENCES[self.sep]
        return (zh if lang == "zh" else en).join(part_text(p, lang) for p in self.parts)


def say(key: str, **args: object) -> Words:
    assert key in SENTENCES, key
    return Words(key, args)


def join(sep: str, parts: Iterable[object]) -> Joined:
    return Joined(sep, tuple(parts))


def part_text(value: object, lang: str) -> str:
    if isinstance(value, (Words, Joined)):
        return value.text(lang)
    if callable(value):
        return str(value(lang))
    return str(value)


def sentence(key: str, lang: str, **args: object) -> str:
    return say(key, **args).text(lang)
