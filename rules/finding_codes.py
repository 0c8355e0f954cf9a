"""The kinds of lint finding, named so a policy can accept one deliberately (`lint: accept:`)."""

from __future__ import annotations

FINDING_CODES = {
    "contradiction": "a rule whose conditions no complaint can satisfy",
    "shadowed": "a remedy rule never reached: earlier rules of its category always answer first",
    "redirected": "a remedy rule never applied: routing redirects every complaint it matches",
    "remedy_gap": "complaints of a category that no remedy rule answers",
    "conflicting_redirects": "two routing rules that fire together and redirect with different reasons",
    "deadline_gap": "a deadline kind whose rules split the cases but leave some uncovered",
    "pending_forever": "a deadline due `with` another kind that does not apply",
    "authority_band_empty": "two levels with the same limit: the higher level's band is empty",
    "approver_not_routed": "a remedy only a team approves, for complaints no routing rule sends to that team above frontline",
    "shipping_without_goods": "a remedy component stating who pays a shipping leg on which no goods travel",
    "missing_basis": "a rule, window or deadline whose basis is blank or a placeholder",
    "unused_window": "an eligibility window no rule tests",
    "unused_event": "an event no deadline counts from, meets, pauses or resumes, and no history count reads",
    "never_met": "a deadline kind whose clock names no event that meets it (or that has no clock at all, while others do)",
    "calendar_year_missing": "the year the policy takes effect is not in its calendar",
    "calendar_draft": "a calendar year drafted by `complaints calendar draft` still marked TO COMPLETE",
    "short_notice": "effective_from is closer to announced_at than the notice period",
    "stale_acceptance": "an accepted finding that no longer occurs",
}
