"""Combine the routing rules that fired into one team and one level."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.shapes import Complaint
from rules.model import Policy, RoutingRule


@dataclass
class Route:
    team: str
    level: str
    redirect: str | None = None
    redirect_rule: str | None = None
    flags: list[str] = field(default_factory=list)
    team_rule: str | None = None  # the rule whose team won
    level_rule: str | None = None  # the rule that set the final level
    escalated_from: str | None = None


def combine(rules: list[RoutingRule], complaint: Complaint, policy: Policy) -> Route:
    """Highest level and most specific team win; a redirect overrides all."""
    route = Route(team=policy.default_team, level=policy.levels[0])
    for rule in rules:
        then = rule.then
        if then.redirect and route.redirect is None:
            route.redirect, route.redirect_rule = then.redirect, rule.info.id
        if then.team:
            raise_team(route, then.team, rule.info.id, policy)
        if then.min_level:
            raise_level(route, then.min_level, rule.info.id, policy)
        if then.escalate_above:
            previous = complaint["history"].get("level", policy.levels[0])
            above = policy.levels[min(policy.level_rank(previous) + 1, len(policy.levels) - 1)]
            route.escalated_from = previous
            raise_level(route, above, rule.info.id, policy)
        for flag in then.flags:
            if flag not in route.flags:
                route.flags.append(flag)
    return route


def raise_level(route: Route, level: str, rule_id: str, policy: Policy) -> bool:
    if policy.level_rank(level) > policy.level_rank(route.level):
        route.level, route.level_rule = level, rule_id
        return True
    return False


def raise_team(route: Route, team: str, rule_id: str, policy: Policy) -> bool:
    if policy.teams.index(team) < policy.teams.index(route.team):
        route.team, route.team_rule = team, rule_id
        return True
    return False
