"""The console in a real browser: Debian's chromium driven by Playwright, against the production server
(gunicorn) on loopback with a real SQLite store. One server and one browser for the module; each
person has their own browser context (cookies). Screenshots of the main pages go to
var/console-screenshots/ (look at them: the Chinese must render as text, not boxes).

Never `playwright install`: the browser is the Debian package (`make browser`).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import requests

from lifecycle.clock_service import ClockService
from store import DecisionStore
from store.staff import StaffStore
from tests.conftest import BASELINE
from tests.helpers.server_process import REPO, Server

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = REPO / "var" / "console-screenshots"
PASSWORD = "browser test password"
ACCOUNTS = {
    "pat": ["policy_admin", "policy_approver"],  # proposes; may approve others' proposals, never their own
    "anna": ["policy_approver"],
    "olga": ["auditor"],
    "ada": ["auditor", "personal_data"],
    "tina": ["team_lead"],
    "dan": ["decider"],
}

# Locally a missing browser skips (`make browser` installs it); with CI=true it fails, like PostgreSQL.
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("CI") != "true", reason="needs Debian's chromium: make browser"
)


def _complaint(n: int, category: str, channel: str, amount: str, remedy: str, day: int, hour: int) -> dict:
    complaint = copy.deepcopy(BASELINE)
    complaint.update(
        complaint_id=f"B-{n:04d}",
        category=category,
        channel=channel,
        received_at=f"2026-03-{day:02d}T{hour:02d}:15:00+08:00",
        claim={"remedy": remedy},
    )
    complaint["order"].update(order_id=f"O-B{n}", amount=amount)
    complaint["customer"].update(customer_id=f"U-SECRET-{n}")
    return complaint


# Two no-reason returns and one quality defect of ¥250.00: supervisor's under a frontline refund limit of
# ¥200.00, frontline's under ¥300.00, so the limit change of the impact test changes exactly these three.
COMPLAINTS = [
    _complaint(1, "no_reason_return", "online_chat", "250.00", "refund", 10, 9),
    _complaint(2, "no_reason_return", "phone", "250.00", "refund", 10, 9),
    _complaint(3, "quality_defect", "online_chat", "250.00", "refund", 11, 14),
    _complaint(4, "other", "email", "100.00", "none", 11, 9),
    _complaint(5, "logistics_delay", "online_chat", "80.00", "none", 12, 20),
]
CHANGED_BY_LIMIT = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("console-browser")
    url = f"sqlite:///{work / 'decisions.db'}"
    store = DecisionStore(url)
    store.init_schema()
    staff = StaffStore(store)
    for name, roles in ACCOUNTS.items():
        staff.create(name, name.title(), roles, PASSWORD, by="operator:test")
    _, token = store.create_key("browser test", ["decider"])
    store.dispose()
    env = {
        "DATABASE_URL": url,
        "COMPLAINTS_POLICY": str(REPO / "policies.yaml"),
        "COMPLAINTS_ENV": "development",
        "COMPLAINTS_AUTH": "keys",
    }
    running = Server(work, env, workers=1).start(timeout=60)
    running.database_url, running.token = url, token
    ids = {}
    for complaint in COMPLAINTS:
        answer = requests.post(
            running.base + "/v1/decisions", json=complaint, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert answer.status_code == 201, answer.text
        ids[complaint["complaint_id"]] = answer.json()["decision_id"]
    running.decision_ids = ids
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    # launch() gives the browser a fresh temporary profile (user-data-dir) of its own, removed on close.
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


_people: dict = {}


@pytest.fixture(scope="module")
def person(server, browser):
    """``person(name)``: a page in that person's own browser context, signed in."""

    def signed_in(name: str):
        if name not in _people:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.goto(server.base + "/")
            assert "/console/sign-in" in page.url
            page.fill("#username", name)
            page.fill("#password", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_url(re.compile(r"/console/$"))
            _people[name] = page
        return _people[name]

    yield signed_in
    for page in _people.values():
        page.context.close()
    _people.clear()


def _shot(page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=False)


def _editor_text(page) -> str:
    return page.evaluate("window.consoleEditors.text.state.doc.toString()")


def _replace_in_editor(page, old: str, new: str) -> None:
    """Select ``old`` in the policy editor and type ``new`` over it, as a person would."""
    page.evaluate(
        """([old]) => {
            const view = window.consoleEditors.text;
            const at = view.state.doc.toString().indexOf(old);
            if (at < 0) throw new Error("not in the editor: " + old);
            view.dispatch({ selection: { anchor: at, head: at + old.length }, scrollIntoView: true });
            view.focus();
        }""",
        [old],
    )
    page.keyboard.insert_text(new)


def _append_to_editor(page, text: str) -> None:
    page.evaluate(
        """() => {
            const view = window.consoleEditors.text;
            view.dispatch({ selection: { anchor: view.state.doc.length }, scrollIntoView: true });
            view.focus();
        }"""
    )
    page.keyboard.insert_text(text)


def _wait_checked(page, valid: bool) -> None:
    page.wait_for_selector(f"#check-summary[data-valid={'true' if valid else 'false'}]")


# -- sign in ----------------------------------------------------------------------------------


def test_sign_in_shows_the_console_in_chinese(person, shots):
    page = person("pat")
    assert "欢迎" in page.inner_text("main")
    assert page.inner_text("header nav").count("政策草稿") == 1
    _shot(page, shots, "home")


def test_a_wrong_password_is_refused_on_the_page(server, browser, shots):
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.base + "/console/sign-in")
    page.fill("#username", "olga")
    page.fill("#password", "not the password")
    page.click("form button[type=submit]")
    assert "用户名或密码错误" in page.inner_text(".error")
    _shot(page, shots, "sign-in")
    context.close()


# -- compliance ---------------------------------------------------------------------------------


def test_a_typo_in_the_draft_is_marked_at_its_line_and_the_fix_clears_it(person, shots):
    page = person("pat")
    page.goto(page.url.split("/console")[0] + "/console/policy/draft")
    _wait_checked(page, True)
    line = next(n for n, text in enumerate(_editor_text(page).splitlines(), 1) if text.strip().startswith("version:"))
    _replace_in_editor(page, '  version: "2026.1"', '  versoin: "2026.1"')
    _wait_checked(page, False)
    marked = page.wait_for_selector(f"#diagnostics li[data-severity=error][data-line='{line}']")
    assert "versoin" in marked.inner_text()
    # The marker in the editor itself: an underlined range on that line, and the gutter's mark.
    lines_marked = page.evaluate(
        """() => {
            const view = window.consoleEditors.text;
            return [...document.querySelectorAll('.cm-lintRange-error')].map(
                (el) => view.state.doc.lineAt(view.posAtDOM(el)).number);
        }"""
    )
    assert line in lines_marked
    assert page.query_selector(".cm-lint-marker-error") is not None
    _shot(page, shots, "editor-typo")
    _replace_in_editor(page, '  versoin: "2026.1"', '  version: "2026.1"')
    _wait_checked(page, True)
    assert page.query_selector("#diagnostics li[data-severity=error]") is None


def test_keys_are_completed_from_the_policy_schema(person):
    page = person("pat")
    page.evaluate(
        """() => {
            const view = window.consoleEditors.text;
            const at = view.state.doc.toString().indexOf("  currency: CNY") + "  currency: CNY".length;
            view.dispatch({ selection: { anchor: at } });
            view.focus();
        }"""
    )
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Home")  # over the indentation Enter gave, to type our own
    page.keyboard.type("  time")
    options = page.wait_for_selector(".cm-tooltip-autocomplete")
    assert "timezone" in options.inner_text()
    page.keyboard.press("Escape")
    _replace_in_editor(page, "  currency: CNY\n  time", "  currency: CNY")  # back to the text as it was
    _wait_checked(page, True)


def test_the_policy_tests_run_with_coverage(person):
    page = person("pat")
    page.click("#run-tests")
    outcome = page.wait_for_selector("#tests-outcome")
    assert outcome.get_attribute("data-failed") == "0"
    assert re.search(r"\d+ 通过，0 失败", outcome.inner_text())
    assert "覆盖率 100%" in outcome.inner_text()


def test_the_impact_of_a_limit_change_is_charted_over_the_decisions_of_this_test(person, shots):
    page = person("pat")
    _replace_in_editor(page, "frontline: 200.00, supervisor: 2000.00", "frontline: 300.00, supervisor: 2000.00")
    _wait_checked(page, True)
    page.click("#show-diff")
    assert "200.00 → 300.00" in page.wait_for_selector("#diff-outcome").inner_text()
    yesterday = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    page.fill("#impact-since", yesterday)
    page.click("#run-impact")
    outcome = page.wait_for_selector("#impact-outcome")
    assert outcome.get_attribute("data-decisions") == str(len(COMPLAINTS))
    assert outcome.get_attribute("data-changed") == str(CHANGED_BY_LIMIT)
    bars = page.query_selector_all("#impact-kinds rect.bar")
    assert bars and max(int(b.get_attribute("data-value")) for b in bars) == CHANGED_BY_LIMIT
    outcome.screenshot(path=str(shots / "impact.png"))


def test_propose_as_one_person_and_approve_as_another_never_the_same(person, server, shots):
    page = person("pat")
    effective = dt.date.today() + dt.timedelta(days=30)  # the notice (7 days) is measured from the approval
    _replace_in_editor(page, '  version: "2026.1"', '  version: "2027.browser"')
    _replace_in_editor(page, "effective_from: 2025-01-01T00:00:00+08:00", f"effective_from: {effective}T00:00:00+08:00")
    if f"    {effective.year}:" not in _editor_text(page):
        # Its year's calendar is not listed yet: the author accepts the fallback until the notice is out.
        _append_to_editor(
            page,
            f'\n    - finding: calendar_year_missing\n      about: "{effective.year}"\n'
            "      reason: 国务院办公厅的节假日通知尚未发布，此前按法定节假日计算",
        )
    _wait_checked(page, True)
    page.fill("#reason", "提高一线客服退款权限至 ¥300.00")
    page.click("#propose")
    page.wait_for_url(re.compile(r"/console/versions/[0-9a-f]{64}$"))
    assert page.get_attribute("#state", "data-state") == "proposed"
    version_url = page.url
    # The proposer holds policy_approver too, and is refused all the same: four eyes.
    page.fill("#comment", "我自己批准")
    page.click("#approve")
    refusal = page.wait_for_selector("#refusal")
    assert refusal.get_attribute("data-rule") == "self_approval"
    assert page.get_attribute("#state", "data-state") == "proposed"
    approver = person("anna")
    approver.goto(version_url)
    approver.fill("#comment", "已核对影响，同意")
    approver.click("#approve")
    approver.wait_for_selector("text=已完成")
    assert approver.get_attribute("#state", "data-state") == "scheduled"
    _shot(approver, shots, "version-approved")
    approver.click("text=变更公示")
    notice = approver.wait_for_selector("#notice-zh")
    assert "2027.browser" in notice.inner_text()


# -- auditors -----------------------------------------------------------------------------------


def test_search_open_and_replay_a_decision(person, server, shots):
    page = person("olga")
    page.click("header nav >> text=决定")
    page.fill("#complaint_id", "B-0003")
    page.click("form button[type=submit]")
    page.wait_for_selector("#result-count:has-text('找到 1 条决定')")
    page.click("#results a:has-text('B-0003')")
    page.wait_for_url(re.compile(r"/console/decisions/"))
    main = page.inner_text("main")
    assert "¥250.00" in main
    assert "2026-03-11 14:15 (+08:00)" in main  # received, in the policy's time zone
    assert page.query_selector_all("#rules tbody tr")
    assert "此记录与其链接哈希一致" in page.inner_text("#integrity")
    assert "U-SECRET-3" not in page.inner_text("#request")  # an auditor without personal_data sees it masked
    _shot(page, shots, "decision")
    page.click("text=按其原政策重放")
    assert page.wait_for_selector("#replay-outcome[data-mode=replay]").get_attribute("data-result") == "identical"
    page.click("text=按现行政策推演")
    what_if = page.wait_for_selector("#replay-outcome[data-mode=what-if]")
    assert what_if.get_attribute("data-result") in ("unchanged", "changed")
    # Against the version approved above (frontline may refund up to ¥300.00): this ¥250.00 refund changes.
    option = page.query_selector("#what-if-version option:has-text('2027.browser')")
    page.select_option("#what-if-version", option.get_attribute("value"))
    page.click("text=推演 >> nth=-1")
    scheduled = page.wait_for_selector(f"#replay-outcome[data-candidate='{option.get_attribute('value')}']")
    assert scheduled.get_attribute("data-result") == "changed"
    assert "在 2027.browser 下会改变" in scheduled.inner_text()
    assert "route.level\tsupervisor\tfrontline" in scheduled.inner_text()


def test_verify_the_chain(person, shots):
    page = person("olga")
    page.click("header nav >> text=校验")
    page.click("text=立即校验")
    outcome = page.wait_for_selector("#verify-outcome")
    assert outcome.get_attribute("data-ok") == "true"
    assert "完整" in outcome.inner_text()
    _shot(page, shots, "verify")


def _export(page, personal_data: str = "masked") -> list[dict]:
    page.click("header nav >> text=导出")
    page.fill("#since", "2020-01-01")
    page.select_option("#personal_data", personal_data)
    with page.expect_download() as download:
        page.click("form.panel button[type=submit]")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_an_export_is_masked_unless_personal_data_is_held_and_asked_for(person):
    page = person("olga")
    assert page.goto(page.url.split("/console")[0] + "/console/export").ok
    assert page.query_selector("#personal_data option[value=include]") is None
    rows = _export(page)
    decisions = [r for r in rows if r.get("type") != "closing"]
    assert len(decisions) == len(COMPLAINTS) and rows[-1]["type"] == "closing"
    assert not any("U-SECRET" in json.dumps(r, ensure_ascii=False) for r in decisions)
    holder = person("ada")
    rows = _export(holder, "include")
    assert any("U-SECRET-1" in json.dumps(r, ensure_ascii=False) for r in rows)


# -- team leads -----------------------------------------------------------------------------------


def test_the_dashboard_counts_the_decisions_of_this_test(person, server, shots):
    page = person("tina")
    page.goto(server.base + "/console/dashboard?since=2026-03-01&until=2026-04-01")
    assert page.inner_text("#total") == str(len(COMPLAINTS))
    by_category = {
        bar.get_attribute("data-label"): int(bar.get_attribute("data-value"))
        for bar in page.query_selector_all("#chart-category rect.bar")
    }
    assert by_category == {"no_reason_return": 2, "quality_defect": 1, "other": 1, "logistics_delay": 1}
    hours = {
        bar.get_attribute("data-label"): int(bar.get_attribute("data-value"))
        for bar in page.query_selector_all("#chart-hours rect.bar")
    }
    assert hours == {"09": 3, "14": 1, "20": 1}
    csv_url = page.get_attribute("a.csv[href*='chart=category_total']", "href")
    csv_text = page.context.request.get(server.base + csv_url).text()
    assert csv_text.splitlines()[0] == "category,decisions" and "no_reason_return,2" in csv_text
    _shot(page, shots, "dashboard")


def test_pages_fit_a_tablet(person, server, shots):
    page = person("olga")
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(server.base + "/console/decisions/" + server.decision_ids["B-0001"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    _shot(page, shots, "decision-tablet")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_english_is_one_click_away_and_remembered(person, server):
    page = person("tina")
    page.click("header button[lang=en]")
    page.wait_for_selector("h1:has-text('Complaint statistics')")
    page.goto(server.base + "/console/")
    assert "Welcome" in page.inner_text("main")
    page.click("header button[lang=zh-CN]")
    page.wait_for_selector("h1:has-text('欢迎')")


# -- the deadline clock ---------------------------------------------------------------------------

CLOCK_NOW = "2026-01-13T12:00"  # Asia/Shanghai, a working Tuesday: before every March deadline above
CLOCK_RECEIVED = {"BQ-0": "2026-01-13T09:00", "BQ-1": "2026-01-13T11:50", "BQ-2": "2026-01-12T09:00"}
CLOCK_NOTE = "回电 王小明 13800001111"


def _clocked_complaint(complaint_id: str) -> dict:
    complaint = copy.deepcopy(BASELINE)
    complaint.update(
        complaint_id=complaint_id,
        category="other",
        channel="online_chat",
        received_at=CLOCK_RECEIVED[complaint_id] + ":00+08:00",
        claim={"remedy": "none"},
        flags=[],
    )
    complaint["order"].update(
        order_id=f"O-{complaint_id}", paid_at="2026-01-02T09:00:00+08:00", delivered_at="2026-01-05T09:00:00+08:00"
    )
    complaint["customer"].update(customer_id=f"U-SECRET-{complaint_id}", tier="regular")
    return complaint


def test_the_work_queue_and_the_deadline_charts_after_an_event_and_an_escalation(person, server, shots):
    """Three complaints decided here; BQ-0 answered in time (an event), BQ-2's resolution breached and
    escalated by a run of the clock service on the server's store; then the pages as of 12:00."""
    for complaint_id in CLOCK_RECEIVED:
        answer = requests.post(
            server.base + "/v1/decisions",
            json=_clocked_complaint(complaint_id),
            headers={"Authorization": f"Bearer {server.token}"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
    store = DecisionStore(server.database_url)
    try:
        service = ClockService(store)
        answered = service.report("BQ-0", {"type": "responded", "at": "2026-01-13T09:10:00+08:00", "note": CLOCK_NOTE})
        run = service.escalate(dt.datetime.fromisoformat(CLOCK_NOW + ":00+08:00"))
    finally:
        store.dispose()
    assert [(r["complaint_id"], r["kind"], r["level"]) for r in run.recorded] == [("BQ-2", "resolution", "supervisor")]

    page = person("olga")
    page.goto(server.base + f"/console/queue?now={CLOCK_NOW}&due_before=2026-01-15T00:00")
    assert "2026-01-13 12:00 (+08:00)" in page.inner_text("#queue-now")
    rows = [
        (row.get_attribute("data-complaint"), row.get_attribute("data-kind"), row.get_attribute("data-status"))
        for row in page.query_selector_all("#queue tbody tr[data-complaint]")
    ]
    assert rows == [
        ("BQ-2", "first_response", "breached"),
        ("BQ-2", "resolution", "breached"),
        ("BQ-1", "first_response", "scheduled"),
        ("BQ-0", "resolution", "scheduled"),
        ("BQ-1", "resolution", "scheduled"),
    ]
    assert "已超时" in page.inner_text("#queue")
    _shot(page, shots, "queue")
    page.select_option("#status", "breached")
    page.click("form.panel button[type=submit]")
    page.wait_for_url(re.compile(r"status=breached"))
    assert len(page.query_selector_all("#queue tbody tr[data-complaint]")) == 2
    page.click("#queue a:has-text('BQ-2') >> nth=1")
    page.wait_for_url(re.compile(r"/console/decisions/" + run.recorded[0]["decision_id"]))
    assert page.query_selector("#chain li[data-seq] >> nth=-1 >> li[data-kind=resolution][data-status=breached]")

    page.goto(server.base + "/console/decisions/" + answered.record.decision_id)
    events = page.inner_text("#events")
    assert CLOCK_NOTE not in events and f"[redacted: {len(CLOCK_NOTE)} characters]" in events
    page.query_selector("#events").scroll_into_view_if_needed()
    _shot(page, shots, "decision-events")

    lead = person("tina")
    lead.goto(server.base + f"/console/dashboard?now={CLOCK_NOW}")
    days = {
        bar.get_attribute("data-label"): int(bar.get_attribute("data-value"))
        for bar in lead.query_selector_all("#chart-due-days rect.bar")
    }
    assert days == {"01-13": 1, "01-14": 2}
    hours = {
        bar.get_attribute("data-label"): int(bar.get_attribute("data-value"))
        for bar in lead.query_selector_all("#chart-due-hours rect.bar")
    }
    assert hours == {"12": 1, "09": 1, "11": 1}
    assert lead.inner_text("#breached").startswith("2 (")
    csv_url = lead.get_attribute("a.csv[href*='chart=due_per_day']", "href")
    csv_text = lead.context.request.get(server.base + csv_url).text()
    assert csv_text.splitlines()[:3] == ["day,due", "2026-01-13,1", "2026-01-14,2"]
    lead.query_selector("#chart-due-hours").scroll_into_view_if_needed()
    _shot(lead, shots, "dashboard-deadlines")


# -- refusals -------------------------------------------------------------------------------------

PAGES = [
    "/console/",
    "/console/decisions",
    "/console/verify",
    "/console/export",
    "/console/policy/draft",
    "/console/versions",
    "/console/dashboard",
    "/console/queue",
]


def test_a_decider_only_account_reaches_nothing(person, server):
    page = person("dan")
    for path in [*PAGES, "/console/decisions/" + server.decision_ids["B-0001"]]:
        response = page.goto(server.base + path)
        assert response.status == 403, path
        assert "decider" in page.inner_text("main")
    assert page.query_selector("header nav a") is None
    status = page.evaluate(
        """async () => (await fetch('/console/verify', {method: 'POST',
            headers: {'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}})).status"""
    )
    assert status == 403


def test_requests_without_the_csrf_token_or_from_another_site_are_refused(person, server):
    page = person("pat")
    page.goto(server.base + "/console/policy/draft")
    status = page.evaluate(
        """async () => (await fetch('/console/policy/draft/save', {method: 'POST',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'text=policy%3A+no+token'})).status"""
    )
    assert status == 403
    token = page.get_attribute("meta[name=csrf-token]", "content")
    # Another site's page posting a form here, even with a token it somehow learnt: refused, nothing saved.
    attacker = "http://attacker.invalid/"
    form = (
        f'<form method="post" action="{server.base}/console/policy/draft/save">'
        f'<input name="csrf_token" value="{token}"><input name="text" value="policy: cross-site">'
        '<input name="tests" value=""><button id="go">go</button></form>'
    )
    page.route(attacker, lambda route: route.fulfill(status=200, content_type="text/html", body=form))
    page.goto(attacker)
    with page.expect_response(lambda r: "/console/policy/draft/save" in r.url) as answer:
        page.click("#go")
    assert answer.value.status == 403
    page.unroute(attacker)
    page.goto(server.base + "/console/policy/draft")
    assert "policy: cross-site" not in _editor_text(page)
