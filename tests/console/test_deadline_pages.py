"""The deadline clock's console pages over a real SQLite store: decisions made in the test, an event
reported and an escalation run through the clock service, then the queue, dashboard and decision pages."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest

from lifecycle.clock_service import ClockService
from tests.console.conftest import signed_in
from tests.helpers.samples import make_complaint

NOW = "2026-01-13T12:00"  # Asia/Shanghai; a Tuesday, a working day
RECEIVED = {"Q-0": "2026-01-13T09:00:00+08:00", "Q-1": "2026-01-13T11:50:00+08:00", "Q-2": "2026-01-12T09:00:00+08:00"}
NOTE = "called 王小明 back on 13800001111"


def _complaint(complaint_id: str) -> dict:
    complaint = copy.deepcopy(make_complaint(1, prefix="Q"))
    complaint.update(
        complaint_id=complaint_id,
        received_at=RECEIVED[complaint_id],
        category="other",
        channel="online_chat",
        claim={"remedy": "none"},
        flags=[],
    )
    complaint["customer"]["tier"] = "regular"
    complaint["order"].update(paid_at="2026-01-02T09:00:00+08:00", delivered_at="2026-01-05T09:00:00+08:00")
    return complaint


@pytest.fixture(scope="module")
def clocked(console_app):
    """Q-0 answered at 09:10 (first response met); Q-2's resolution breached and escalated by the run."""
    store = console_app.extensions["complaints"].store
    _, token = store.create_key("deadline pages", ["decider"])
    client = console_app.test_client()
    ids = {}
    for complaint_id in RECEIVED:
        answer = client.post(
            "/v1/decisions", json=_complaint(complaint_id), headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 201, answer.text
        ids[complaint_id] = answer.json["decision_id"]
    service = ClockService(store)
    outcome = service.report("Q-0", {"type": "responded", "at": "2026-01-13T09:10:00+08:00", "note": NOTE})
    ids["Q-0 responded"] = outcome.record.decision_id
    run = service.escalate(dt.datetime.fromisoformat(NOW + ":00+08:00"))
    assert [(r["complaint_id"], r["kind"]) for r in run.recorded] == [("Q-2", "resolution")]
    ids["Q-2 breach"] = run.recorded[0]["decision_id"]
    return ids


def _rows(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<tr data-complaint="([^"]+)" data-kind="([^"]+)" data-status="([^"]+)">', html)


def test_the_queue_lists_open_deadlines_soonest_first_as_of_the_stated_now(console_app, clocked):
    client, _ = signed_in(console_app, "olga")
    page = client.get(f"/console/queue?now={NOW}&due_before=2026-01-15T00:00")
    assert page.status_code == 200
    assert "2026-01-13 12:00 (+08:00)" in page.text  # "now" is stated
    assert _rows(page.text) == [
        ("Q-2", "first_response", "breached"),
        ("Q-2", "resolution", "breached"),
        ("Q-1", "first_response", "scheduled"),
        ("Q-0", "resolution", "scheduled"),
        ("Q-1", "resolution", "scheduled"),
    ]
    assert f'href="/console/decisions/{clocked["Q-2 breach"]}"' in page.text  # the decision that set it


def test_the_queue_filters_by_status_level_kind_and_due_before(console_app, clocked):
    client, _ = signed_in(console_app, "olga")
    breached = client.get(f"/console/queue?now={NOW}&status=breached&due_before=2026-01-15T00:00").text
    assert [r[0:2] for r in _rows(breached)] == [("Q-2", "first_response"), ("Q-2", "resolution")]
    soon = client.get("/console/queue?now=2026-01-13T12:03&status=due_soon&due_before=2026-01-15T00:00").text
    assert _rows(soon) == [("Q-1", "first_response", "due_soon")]  # 80% of its 15 minutes have run
    frontline = client.get(f"/console/queue?now={NOW}&level=frontline&kind=resolution&due_before=2026-01-15").text
    assert _rows(frontline) == [("Q-0", "resolution", "scheduled"), ("Q-1", "resolution", "scheduled")]
    early = client.get(f"/console/queue?now={NOW}&due_before=2026-01-13T10:00").text
    assert [r[0] for r in _rows(early)] == ["Q-2", "Q-2"]


def test_the_queue_pages_on(console_app, clocked):
    client, _ = signed_in(console_app, "olga")
    first = client.get(f"/console/queue?now={NOW}&due_before=2026-01-15T00:00").text
    assert 'rel="prev"' not in first and 'rel="next"' not in first  # five rows: one page
    second = client.get(f"/console/queue?now={NOW}&due_before=2026-01-15T00:00&page=2").text
    assert _rows(second) == []
    back = re.search(r'<a href="([^"]+)" rel="prev">', second).group(1).replace("&amp;", "&")
    assert "now=2026-01-13T12" in back and "due_before=2026-01-15T00" in back  # keeps its "now" and filters
    assert _rows(client.get(back).text) == _rows(first)


@pytest.mark.parametrize(
    "query, field", [("now=yesterday", "now"), ("status=late", "status"), ("team=a%20b", "team"), ("page=0", "page")]
)
def test_a_bad_filter_is_refused_naming_it(console_app, query, field):
    client, _ = signed_in(console_app, "olga")
    answer = client.get(f"/console/queue?{query}")
    assert answer.status_code == 400 and field in answer.text


@pytest.mark.parametrize(
    "username, allowed", [("olga", True), ("ada", True), ("tina", False), ("paul", False), ("dan", False)]
)
def test_the_queue_needs_the_role_of_the_api_due_list(console_app, username, allowed):
    client, _ = signed_in(console_app, username)
    assert client.get("/console/queue").status_code == (200 if allowed else 403)


def _bars(html: str, chart: str) -> dict[str, int]:
    svg = html.split(f'id="{chart}"', 1)[1].split("</svg>", 1)[0]
    return {label: int(value) for label, value in re.findall(r'data-label="([^"]+)"[^>]*data-value="(\d+)"', svg)}


def test_the_dashboard_counts_deadlines_ahead_and_the_share_breached(console_app, clocked):
    client, _ = signed_in(console_app, "tina")
    # Decisions of other tests in this module are in March: beyond the 14 days ahead, not yet due.
    page = client.get(f"/console/dashboard?now={NOW}").text
    hours = _bars(page, "chart-due-hours")
    assert hours == {"12": 1, "09": 1, "11": 1}
    assert _bars(page, "chart-due-days") == {"01-13": 1, "01-14": 2}
    breached = re.search(r'<dd id="breached">([^<]+)</dd>', page).group(1)
    total = int(re.search(r'<dd id="on-the-clock">(\d+)</dd>', page).group(1))
    assert breached.startswith("2 (") and total >= 5
    csv = client.get(f"/console/dashboard.csv?chart=due_per_day&now={NOW}")
    assert csv.status_code == 200 and csv.text.splitlines()[:3] == ["day,due", "2026-01-13,1", "2026-01-14,2"]
    teams = client.get(f"/console/dashboard.csv?chart=breached_by_team&now={NOW}").text
    assert teams.splitlines()[0] == "team,on_the_clock,past_due,share_past_due"


def test_the_decision_page_shows_the_events_masked_and_each_re_evaluation(console_app, clocked):
    olga, _ = signed_in(console_app, "olga")
    page = olga.get(f"/console/decisions/{clocked['Q-0 responded']}").text
    assert NOTE not in page and f"[redacted: {len(NOTE)} characters]" in page
    assert '<tr data-type="responded">' in page
    chain = page.split('id="chain"', 1)[1].split("</ol>", 1)[0]
    assert re.findall(r'data-kind="first_response" data-status="(\w+)"', chain) == ["scheduled", "met"]
    ada, _ = signed_in(console_app, "ada")
    assert NOTE in ada.get(f"/console/decisions/{clocked['Q-0 responded']}").text  # personal_data: unmasked
    breach = olga.get(f"/console/decisions/{clocked['Q-2 breach']}").text
    chain = breach.split('id="chain"', 1)[1].split("</ol>", 1)[0]
    assert re.findall(r'data-kind="resolution" data-status="(\w+)"', chain) == ["scheduled", "breached"]
    assert "deadline_breached" in breach
