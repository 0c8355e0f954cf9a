"""The default policy's routing, authority and remedy logic as a GoRules JDM decision graph.

The graph is built in code (``build_graph()``; ``python -m bench.zen_graph``
prints it, e.g. to open in the GoRules editor):

    input -> routing (decision table, collect) -> route (expression)
          -> remedy (decision table, first hit) -> grant (expression) -> output

It reads the same prepared fact as the engine's rule stage and the
hand-written function (money in integer fen, booleans 1/0, eligibility
windows counted by ``rules.calendar.WorkCalendar``), nested by its dotted
keys (``zen_input``). Amounts are computed in fen inside the graph and turned
into Decimal by ``ZenDecider.decide``.

Fastest synchronous API of the binding (zen-engine 2.1.3), measured here:
``ZenEngine({"loader": {"type": "static", "content": {key: graph}}})`` once,
then ``engine.evaluate(key, context)`` per decision. The documented
``engine.create_decision(content)`` + ``decision.evaluate(context)`` is about
10x slower per call in this version (BENCHMARKS.md), so both are offered:
``ZenDecider(api="engine")`` (default) and ``ZenDecider(api="decision")``.
"""

from __future__ import annotations

import json
import sys

import zen

from bench.outcome import Outcome, fen_to_decimal

KEY = "complaints.json"
LEVELS = ("frontline", "supervisor", "manager")
TEAMS = ("legal_compliance", "quality_assurance", "merchant_management", "logistics", "customer_service")
LEGAL, QUALITY, MERCHANT, LOGISTICS, SERVICE = range(5)

_REFUND = '"refund", "return_refund"'


def _node(node_id: str, kind: str, content: dict, x: int) -> dict:
    return {"id": node_id, "type": kind, "name": node_id, "position": {"x": x, "y": 100}, "content": content}


def _table(hit_policy: str, output_path: str, inputs: list[str], outputs: list[str], rows: list[dict]) -> dict:
    """A decision table; ``rows`` map input fields / output names to cells ('' = any)."""
    columns_in = [{"id": f"i{n}", "name": field, "field": field} for n, field in enumerate(inputs)]
    columns_out = [{"id": f"o{n}", "name": field, "field": field} for n, field in enumerate(outputs)]
    rules = []
    for n, row in enumerate(rows):
        unknown = set(row) - set(inputs) - set(outputs) - {"_description"}
        assert not unknown, unknown
        rule = {"_id": f"r{n}", "_description": row.get("_description", "")}
        rule.update({f"i{k}": row.get(field, "") for k, field in enumerate(inputs)})
        rule.update({f"o{k}": row.get(field, "null") for k, field in enumerate(outputs)})
        rules.append(rule)
    return {
        "hitPolicy": hit_policy,
        "inputs": columns_in,
        "outputs": columns_out,
        "rules": rules,
        "passThrough": True,
        "inputField": None,
        "outputPath": output_path,
        "executionMode": "single",
    }


def _expressions(pairs: list[tuple[str, str]], pass_through: bool) -> dict:
    return {
        "expressions": [{"id": f"e{n}", "key": key, "value": value} for n, (key, value) in enumerate(pairs)],
        "passThrough": pass_through,
        "inputField": None,
        "outputPath": None,
        "executionMode": "single",
    }


def _at_least(n: int) -> str:
    return f"$ != null and $ >= {n}"


ROUTING_INPUTS = [
    "channel",
    "category",
    "order.amount",
    "customer.complaints_last_30_days",
    "flags.punitive_damages_claimed",
    "flags.fraud_alleged",
    "flags.safety_hazard",
    "flags.media_exposure",
    "flags.human_review_requested",
    "history.rejected_offers",
    "history.resolution_overdue",
    "history.refund_overdue_days",
    "within.completed_3_years",
]
ROUTING_OUTPUTS = ["rule", "team", "level", "flag", "redirect"]
# One level above the previous decision's level, capped at manager.
ESCALATE = 'history.level == "supervisor" or history.level == "manager" ? 2 : 1'
ROUTING_ROWS = [
    {"_description": "first responder (default)", "rule": '"first_responder"', "team": str(SERVICE), "level": "0"},
    {"rule": '"R01_regulator_channel"', "channel": '"regulator"', "team": str(LEGAL), "level": "2"},
    {"rule": '"R02_legal_matters"', "category": '"counterfeit", "privacy"', "team": str(LEGAL), "level": "1"},
    {"rule": '"R02_legal_matters"', "flags.punitive_damages_claimed": "1", "team": str(LEGAL), "level": "1"},
    {
        "rule": '"R02_legal_matters"',
        "category": '"false_advertising"',
        "flags.fraud_alleged": "1",
        "team": str(LEGAL),
        "level": "1",
    },
    {"rule": '"R02_legal_matters"', "flags.safety_hazard": "1", "team": str(LEGAL), "level": "1"},
    {
        "rule": '"R03_logistics"',
        "category": '"logistics_delay", "damaged_in_transit", "missing_item"',
        "team": str(LOGISTICS),
    },
    {"rule": '"R04_false_advertising"', "category": '"false_advertising"', "team": str(MERCHANT)},
    {
        "rule": '"R05_quality_high_value"',
        "category": '"quality_defect"',
        "order.amount": "> 200000",
        "team": str(QUALITY),
    },
    {"rule": '"R06_service_attitude"', "category": '"service_attitude"', "level": "1"},
    {"rule": '"R07_repeat_complainant"', "customer.complaints_last_30_days": ">= 3", "level": "1"},
    {"rule": '"R08_media_exposure"', "flags.media_exposure": "1", "level": "1", "flag": '"public_relations"'},
    {"rule": '"R09_human_review"', "flags.human_review_requested": "1", "level": "1"},
    {"rule": '"R10_escalate_on_reevaluation"', "history.rejected_offers": _at_least(2), "level": ESCALATE},
    {"rule": '"R10_escalate_on_reevaluation"', "history.resolution_overdue": "1", "level": ESCALATE},
    {"rule": '"R11_refund_delay"', "category": '"refund_delay"', "level": "1"},
    {
        "rule": '"R12_refund_legal_deadline_breached"',
        "category": '"refund_delay"',
        "history.refund_overdue_days": "$ != null and $ > 7",
        "flag": '"legal_deadline_breached"',
    },
    {
        "rule": '"R13_not_consumer_dispute"',
        "category": '"not_consumer_dispute"',
        "redirect": '"R13_not_consumer_dispute"',
    },
    {"rule": '"R14_older_than_3_years"', "within.completed_3_years": "0", "redirect": '"R14_older_than_3_years"'},
]

REMEDY_INPUTS = [
    "category",
    "within.delivery_7_days",
    "within.delivery_15_days",
    "within.promised_delivery_due",
    "within.promised_delivery_7_days",
    "order.delivered_at",
    "order.goods_condition",
    "order.goods_type",
    "flags.merchant_promised_return",
    "flags.consumer_chose_courier",
    "flags.fraud_alleged",
    "claim.remedy",
    "claim.amount",
    "history.repairs",
]
REMEDY_OUTPUTS = ["rule", "c1", "a1", "c2", "a2"]
ORDER = "order.amount"
INTACT = '"intact", "opened_for_inspection"'


def _punitive(times: int, minimum_fen: int) -> str:
    return f"max([order.amount * {times}, {minimum_fen}])"


def _rule(name: str, category: str, *components: tuple[str, str], **cells: str) -> dict:
    row = {"rule": f'"{name}"', "category": category}
    for n, (kind, amount) in enumerate(components, start=1):
        row[f"c{n}"] = f'"{kind}"'
        row[f"a{n}"] = amount
    row.update({key.replace("__", "."): value for key, value in cells.items()})
    return row


NO_REASON = '"no_reason_return"'
QUALITY_DEFECT = '"quality_defect"'
WRONG_OR_MISSING = '"wrong_item", "missing_item"'
TRANSIT = '"damaged_in_transit"'
DELAY = '"logistics_delay"'
FALSE_AD = '"false_advertising"'
COUNTERFEIT = '"counterfeit"'
PRICE = '"price_dispute"'
REMEDY_ROWS = [
    _rule(
        "M01_no_reason_return",
        NO_REASON,
        ("return_refund", ORDER),
        within__delivery_7_days="1",
        order__goods_condition=INTACT,
        order__goods_type='not in ["custom_made", "fresh_perishable", "digital_unsealed", "periodical"]',
    ),
    _rule(
        "M01_no_reason_return",
        NO_REASON,
        ("return_refund", ORDER),
        within__delivery_7_days="1",
        order__goods_condition=INTACT,
        flags__merchant_promised_return="1",
    ),
    _rule("M02_no_reason_return_not_delivered", NO_REASON, order__delivered_at="$ == null"),
    _rule("M02b_no_reason_return_too_late", NO_REASON, within__delivery_7_days="0"),
    _rule("M03_no_reason_return_goods_not_intact", NO_REASON, order__goods_condition=f"not in [{INTACT}]"),
    _rule("M04_no_reason_return_excluded_goods", NO_REASON),
    _rule("M05_quality_return_7_days", QUALITY_DEFECT, ("return_refund", ORDER), within__delivery_7_days="1"),
    _rule("M06_quality_exchange_15_days", QUALITY_DEFECT, ("exchange", "null"), within__delivery_15_days="1"),
    _rule("M07_quality_exchange_after_repairs", QUALITY_DEFECT, ("exchange", "null"), history__repairs=_at_least(2)),
    _rule("M07b_quality_delivery_date_needed", QUALITY_DEFECT, order__delivered_at="$ == null"),
    _rule("M08_quality_repair", QUALITY_DEFECT, ("repair", "null")),
    _rule("M09_wrong_or_missing_refund", WRONG_OR_MISSING, ("refund", ORDER), claim__remedy=_REFUND),
    _rule("M10_wrong_or_missing_resend", WRONG_OR_MISSING, ("resend", ORDER)),
    _rule("M11_transit_damage_consumer_courier", TRANSIT, flags__consumer_chose_courier="1"),
    _rule("M12_transit_damage_refund", TRANSIT, ("refund", ORDER), claim__remedy=_REFUND),
    _rule("M13_transit_damage_resend", TRANSIT, ("resend", ORDER)),
    _rule("M13b_delay_not_yet_late", DELAY, within__promised_delivery_due="1"),
    _rule(
        "M14_delay_refund_not_delivered",
        DELAY,
        ("refund", ORDER),
        within__promised_delivery_7_days="0",
        order__delivered_at="$ == null",
    ),
    # 10 % of the order, half up to the cent, at least 5.00 and at most 50.00
    _rule(
        "M15_delay_compensation",
        DELAY,
        ("compensation", "min([max([floor((order.amount * 10 + 50) / 100), 500]), 5000])"),
    ),
    _rule("M16_refund_delay_compensation", '"refund_delay"', ("compensation", "2000")),
    _rule("M17_service_attitude", '"service_attitude"', ("apology", "null"), ("compensation", "2000")),
    _rule(
        "M18_false_advertising_fraud_food",
        FALSE_AD,
        ("return_refund", ORDER),
        ("punitive_damages", _punitive(10, 100_000)),
        flags__fraud_alleged="1",
        order__goods_type='"food"',
    ),
    _rule(
        "M19_false_advertising_fraud",
        FALSE_AD,
        ("return_refund", ORDER),
        ("punitive_damages", _punitive(3, 50_000)),
        flags__fraud_alleged="1",
    ),
    _rule("M20_false_advertising", FALSE_AD, ("return_refund", ORDER)),
    _rule(
        "M21_counterfeit_food",
        COUNTERFEIT,
        ("refund", ORDER),
        ("punitive_damages", _punitive(10, 100_000)),
        order__goods_type='"food"',
    ),
    _rule("M22_counterfeit", COUNTERFEIT, ("refund", ORDER), ("punitive_damages", _punitive(3, 50_000))),
    _rule("M23_privacy", '"privacy"', ("apology", "null"), ("data_correction", "null")),
    _rule("M24_price_dispute", PRICE, ("refund", "claim.amount"), claim__amount="$ != null"),
    _rule("M25_price_dispute_no_amount", PRICE),
    _rule("M26_other", '"other"'),
    _rule("M27_not_consumer_dispute", '"not_consumer_dispute"'),
]
for _row in REMEDY_ROWS:
    _row.setdefault("_description", _row["rule"].strip('"'))


CAPPED = '["refund", "return_refund", "compensation"]'


def _family(expr: str) -> str:
    return f'({expr} == "return_refund" ? "refund" : {expr})'


def _claimed_type(kind: str) -> str:
    """The claim caps this component: it is of the claimed type, or the claim names none and it is the only one."""
    count = " + ".join(f"(remedy.a{i} != null and remedy.c{i} in {CAPPED} ? 1 : 0)" for i in (1, 2))
    return f"claim.remedy == null ? ({count}) == 1 : {_family(kind)} == {_family('claim.remedy')}"


def _grant(n: int) -> list[tuple[str, str]]:
    """Caps and approver level of component ``n`` (authority, section 2; amounts in fen)."""
    kind, base = f"remedy.c{n}", f"remedy.a{n}"
    capped = f"$.capped{n}"
    return [
        (
            f"claimed{n}",
            f"{base} != null and claim.amount != null and {kind} in {CAPPED} "
            f"and ({_claimed_type(kind)}) and claim.amount < {base} ? claim.amount : {base}",
        ),
        (
            f"capped{n}",
            f'$.claimed{n} != null and {kind} in ["refund", "return_refund"] and $.claimed{n} > order.amount '
            f"? order.amount : $.claimed{n}",
        ),
        (
            f"level{n}",
            f"{kind} == null ? null : "
            f'{kind} == "punitive_damages" ? null : '
            f'{kind} in ["refund", "return_refund"] ? ({capped} <= 20000 ? 0 : {capped} <= 200000 ? 1 : 2) : '
            f'{kind} == "resend" ? ({capped} <= 30000 ? 0 : {capped} <= 300000 ? 1 : 2) : '
            f'{kind} == "compensation" ? ({capped} <= 5000 ? 0 : {capped} <= 50000 ? 1 : 2) : 0',
        ),
    ]


ROUTE_EXPRESSIONS = [
    ("route_team", "min(map(routing, #.team ?? 4))"),
    ("route_level", "max(map(routing, #.level ?? 0))"),
    ("route_flags", "map(filter(routing, #.flag != null), #.flag)"),
    ("route_redirect", "filter(routing, #.redirect != null)[0].redirect"),
]
OUTPUT_EXPRESSIONS = [
    ("redirect", "route_redirect"),
    ("flags", "route_flags"),
    ("rule", "remedy.rule"),
    ("c1", "remedy.c1"),
    ("a1", "$.capped1"),
    ("l1", "$.level1"),
    ("c2", "remedy.c2"),
    ("a2", "$.capped2"),
    ("l2", "$.level2"),
    # the level is never below the approval level; punitive damages are approved by legal & compliance
    ("approval", "$.level1 == null and $.level2 == null ? null : max([$.level1 ?? 0, $.level2 ?? 0])"),
    ("level", "max([route_level, $.level1 ?? 0, $.level2 ?? 0])"),
    ("team", f'remedy.c1 == "punitive_damages" or remedy.c2 == "punitive_damages" ? {LEGAL} : route_team'),
]


def build_graph() -> dict:
    nodes = [
        _node("input", "inputNode", {}, 0),
        _node(
            "routing",
            "decisionTableNode",
            _table("collect", "routing", ROUTING_INPUTS, ROUTING_OUTPUTS, ROUTING_ROWS),
            200,
        ),
        _node("route", "expressionNode", _expressions(ROUTE_EXPRESSIONS, True), 400),
        _node(
            "remedy", "decisionTableNode", _table("first", "remedy", REMEDY_INPUTS, REMEDY_OUTPUTS, REMEDY_ROWS), 600
        ),
        _node("grant", "expressionNode", _expressions(_grant(1) + _grant(2) + OUTPUT_EXPRESSIONS, False), 800),
        _node("output", "outputNode", {}, 1000),
    ]
    order = [node["id"] for node in nodes]
    edges = [
        {"id": f"edge{n}", "sourceId": source, "targetId": target, "type": "edge"}
        for n, (source, target) in enumerate(zip(order, order[1:], strict=False))
    ]
    return {"nodes": nodes, "edges": edges}


def zen_input(fact: dict) -> dict:
    """The engine's prepared fact, nested by its dotted keys (``order.amount`` -> order: {amount})."""
    nested: dict = {"order": {}, "claim": {}, "customer": {}, "history": {}, "flags": {}, "within": {}}
    for key, value in fact.items():
        head, dot, tail = key.partition(".")
        if dot:
            nested[head][tail] = value
        elif key != "t":
            nested[key] = value
    return nested


class ZenDecider:
    """Evaluates the graph; ``decide(zen_input(fact))`` gives an Outcome."""

    def __init__(self, api: str = "engine", graph: dict | None = None):
        content = json.dumps(graph or build_graph(), ensure_ascii=False)
        self.api = api
        if api == "engine":
            self._engine = zen.ZenEngine({"loader": {"type": "static", "content": {KEY: json.loads(content)}}})
            engine = self._engine

            def evaluate(context: dict) -> dict:
                return engine.evaluate(KEY, context)["result"]

        elif api == "decision":
            self._engine = zen.ZenEngine()
            decision = self._engine.create_decision(zen.ZenDecisionContent(content))

            def evaluate(context: dict) -> dict:
                return decision.evaluate(context)["result"]

        else:
            raise ValueError(f"api is engine or decision, not {api!r}")
        self.evaluate = evaluate

    def decide(self, context: dict) -> Outcome:
        r = self.evaluate(context)
        get = r.get  # zen leaves out keys whose value is null
        flags = tuple(r["flags"])
        if get("redirect") is not None:
            return Outcome(r["redirect"], None, None, flags, None, (), None)
        components = []
        for kind, amount, level in ((get("c1"), get("a1"), get("l1")), (get("c2"), get("a2"), get("l2"))):
            if kind is None:
                break
            components.append(
                (
                    kind,
                    None if amount is None else fen_to_decimal(int(amount)),
                    None if level is None else LEVELS[int(level)],
                    "legal_compliance" if kind == "punitive_damages" else None,
                )
            )
        approval = get("approval")
        return Outcome(
            None,
            TEAMS[int(r["team"])],
            LEVELS[int(r["level"])],
            flags,
            get("rule"),
            tuple(components),
            None if approval is None else LEVELS[int(approval)],
        )


if __name__ == "__main__":
    json.dump(build_graph(), sys.stdout, ensure_ascii=False, indent=1)
    print()
