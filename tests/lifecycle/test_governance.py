"""Governed policy change on a real store (SQLite and PostgreSQL): the rules of every transition.

The newcomer scenarios of issue 12 first: the same label and dates published twice, a retroactive
raise applied to October complaints, a retry after a change giving a second decision.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from lifecycle.decision_service import DecisionService
from lifecycle.governance import REFUSALS, ChangeRefused
from lifecycle.reloader import PolicyRegistry
from lifecycle.versions import PolicyBook, TiedVersions
from store.governance import PolicyRegister, policy_events
from tests.helpers.governance_samples import ALICE, BOB, OPERATOR, START, TESTS_TEXT, Clock, dated, governance
from tests.helpers.lifecycle_samples import DEFAULT_TEXT, REPO, body, refund_complaint, variant

OCTOBER = "2026-10-15T10:00:00+08:00"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "policies.yaml"
    path.write_text(DEFAULT_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def production(store, policy_file, clock):
    """A governed registry (as in production) on the store: its first start adopts the file's 2026.1."""
    registry = PolicyRegistry(str(policy_file), store, poll_seconds=0, governed=True)
    return registry, DecisionService(registry, store), governance(store, clock)


def refused(rule: str, call, *args, **kwargs) -> ChangeRefused:
    with pytest.raises(ChangeRefused) as caught:
        call(*args, **kwargs)
    assert caught.value.rule == rule, caught.value
    return caught.value


def nothing_changed(store, before: int, digest: str | None = None) -> None:
    assert PolicyRegister(store).last_seq() == before
    if digest is not None:
        assert store.policy_text(digest) is None


# -- the newcomer scenarios -----------------------------------------------------


def test_the_same_label_and_dates_proposed_again_is_refused_not_silently_ignored(production, store):
    registry, _, gov = production
    before = PolicyRegister(store).last_seq()
    same = variant("2026.1", frontline_refund="300.00")  # label and dates of the version in force
    error = refused("duplicate_version", gov.propose, same, TESTS_TEXT, ALICE, "raise the limit")
    assert "2026.1" in str(error)
    relabelled = variant("2026.2", frontline_refund="300.00")  # same dates, new label: a tie
    refused("tied_effective_from", gov.propose, relabelled, TESTS_TEXT, ALICE, "raise the limit")
    nothing_changed(store, before)
    assert [d.policy.version for d in registry.current().versions] == ["2026.1"]


def test_a_book_never_breaks_a_tie_by_comparing_digests(decider):
    from engine.compiled import decider_for_text

    other = decider_for_text(variant("2026.2", frontline_refund="300.00"), "tied.yaml")
    with pytest.raises(TiedVersions, match="both take effect at 2025-01-01T00:00:00\\+08:00"):
        PolicyBook([decider, other])


def test_a_retroactive_raise_never_reaches_october_complaints(production, store, clock):
    registry, service, gov = production
    october = refund_complaint("C-oct", OCTOBER)
    first = service.submit(october, body(october))
    assert first.created and first.record.decision_dict()["route"]["level"] == "supervisor"
    back_dated = dated("2026.2", dt.datetime(2026, 10, 1, tzinfo=START.tzinfo))
    error = refused("effective_in_past", gov.propose, back_dated, TESTS_TEXT, ALICE, "raise the limit")
    assert "2026-10-01T00:00:00+08:00 is before now" in str(error)
    # Even acknowledged, a short notice never reaches back in time.
    refused("effective_in_past", gov.propose, back_dated, TESTS_TEXT, ALICE, "x", short_notice_reason="urgent")
    again = service.submit(october, body(october))
    assert not again.created and again.record.decision_id == first.record.decision_id


def test_a_retry_across_a_publication_returns_the_stored_decision(production, store, clock):
    registry, service, gov = production
    october = refund_complaint("C-oct", OCTOBER)
    first = service.submit(october, body(october))
    raised = gov.propose(dated("2026.2", START + dt.timedelta(days=8)), TESTS_TEXT, ALICE, "raise the limit")
    gov.approve(raised["digest"], BOB, "checked the impact")
    assert [d.policy.version for d in registry.current().versions] == ["2026.1", "2026.2"]
    retry = service.submit(october, body(october))
    assert not retry.created and retry.record.decision_id == first.record.decision_id
    assert retry.record.decision_dict()["route"]["level"] == "supervisor"
    # A complaint received once the new version is in force gets it.
    later = refund_complaint("C-dec", (START + dt.timedelta(days=9)).isoformat())
    made = service.submit(later, body(later)).record
    assert (made.policy_version, made.decision_dict()["route"]["level"]) == ("2026.2", "frontline")


# -- notice ---------------------------------------------------------------------


def test_notice_is_measured_from_scheduling_not_from_the_file_dates(production, store, clock):
    _, _, gov = production
    # The file claims 30 days' notice; scheduling now would give 6 days.
    text = dated("2026.2", START + dt.timedelta(days=6), announced=START - dt.timedelta(days=24))
    error = refused("notice_too_short", gov.propose, text, TESTS_TEXT, ALICE, "raise")
    assert "needs 7 days' notice" in str(error)
    ok = gov.propose(dated("2026.2", START + dt.timedelta(days=7, hours=1)), TESTS_TEXT, ALICE, "raise")
    clock.advance(hours=2)  # approved later: the notice left is now under 7 days
    before = PolicyRegister(store).last_seq()
    refused("notice_too_short", gov.approve, ok["digest"], BOB, "late")
    nothing_changed(store, before)
    assert gov.view(ok["digest"])["state"] == "proposed"


def test_a_major_change_needs_15_days(production, clock):
    _, _, gov = production
    major = dated("2026.3", START + dt.timedelta(days=12)).replace("  major: false", "  major: true")
    refused("notice_too_short", gov.propose, major, TESTS_TEXT, ALICE, "major change")
    later = dated("2026.3", START + dt.timedelta(days=16)).replace("  major: false", "  major: true")
    assert gov.propose(later, TESTS_TEXT, ALICE, "major change")["state"] == "proposed"


def test_a_shorter_notice_needs_a_written_reason_recorded_with_the_version(production, clock):
    registry, _, gov = production
    text = dated("2026.2", START + dt.timedelta(days=2))
    proposed = gov.propose(text, TESTS_TEXT, ALICE, "fix", short_notice_reason="SAMR order of 30 Nov: apply now")
    assert proposed["short_notice"] == {"reason": "SAMR order of 30 Nov: apply now"}
    scheduled = gov.approve(proposed["digest"], BOB, "ok given the order")
    assert scheduled["state"] == "scheduled"
    assert scheduled["notice"]["short"] is True
    assert scheduled["notice"]["acknowledged_reason"] == "SAMR order of 30 Nov: apply now"
    assert scheduled["notice"]["days_given"] == "2.00" and scheduled["notice"]["days_required"] == 7


# -- four eyes ------------------------------------------------------------------


def test_four_eyes_from_proposal_to_superseded(production, store, clock):
    registry, _, gov = production
    text = dated("2026.2", START + dt.timedelta(days=8))
    proposed = gov.propose(text, TESTS_TEXT, ALICE, "raise the frontline refund limit to 300.00")
    digest = proposed["digest"]
    assert proposed["state"] == "proposed" and proposed["proposed_by"] == "Alice (compliance)"
    assert [d.policy.version for d in registry.current().versions] == ["2026.1"]  # not before approval
    before = PolicyRegister(store).last_seq()
    refused("self_approval", gov.approve, digest, ALICE, "looks fine to me")
    refused("self_approval", gov.reject, digest, ALICE, "no")
    refused("operator_cannot_approve", gov.approve, digest, OPERATOR, "ok")
    nothing_changed(store, before)
    scheduled = gov.approve(digest, BOB, "impact checked: 250.00 refunds move to frontline")
    assert [h["event"] for h in scheduled["history"]] == ["proposed", "approved", "scheduled"]
    assert [h["by"] for h in scheduled["history"]] == ["key:alice0000001", "key:bob000000001", "key:bob000000001"]
    assert (
        scheduled["state"] == "scheduled" and scheduled["scheduled_at"] == "2026-12-01T10:00:00.000000+08:00"
    )  # shown in +08:00 (brief §9)
    refused("wrong_state", gov.approve, digest, BOB, "again")
    clock.advance(days=8)
    assert gov.view(digest)["state"] == "in force"
    baseline = next(v for v in gov.versions() if v["version"] == "2026.1")
    assert baseline["state"] == "superseded"
    refused("wrong_state", gov.withdraw, digest, ALICE, "too late")


def test_rejected_and_withdrawn_versions_never_decide(production, clock):
    registry, _, gov = production
    first = gov.propose(dated("2026.2", START + dt.timedelta(days=8)), TESTS_TEXT, ALICE, "raise")
    rejected = gov.reject(first["digest"], BOB, "the impact on refunds is too large")
    assert rejected["state"] == "rejected" and rejected["history"][-1]["reason"].startswith("the impact")
    refused("wrong_state", gov.approve, first["digest"], BOB, "changed my mind")
    second = gov.propose(dated("2026.2", START + dt.timedelta(days=9), "250.00"), TESTS_TEXT, ALICE, "smaller")
    gov.approve(second["digest"], BOB, "ok")
    assert [d.policy.version for d in registry.current().versions] == ["2026.1", "2026.2"]
    withdrawn = gov.withdraw(second["digest"], ALICE, "the regulator asked us to wait")
    assert withdrawn["state"] == "withdrawn"
    assert [d.policy.version for d in registry.current().versions] == ["2026.1"]


def test_rollback_is_the_earlier_text_proposed_again_as_a_new_version(production, clock):
    registry, _, gov = production
    raised = gov.propose(dated("2026.2", START + dt.timedelta(days=8)), TESTS_TEXT, ALICE, "raise")
    gov.approve(raised["digest"], BOB, "ok")
    clock.advance(days=9)
    back = dated("2026.3", clock.now + dt.timedelta(days=7), frontline_refund="200.00")
    rolled = gov.propose(back, TESTS_TEXT, ALICE, "roll back to the 200.00 limit")
    assert "2026.2" in rolled["review_packet"]["diff"]["against"]["version"]
    assert any("300.00 → 200.00" in line for line in rolled["review_packet"]["diff"]["text"])


# -- tests as a gate ------------------------------------------------------------


def test_a_version_whose_own_tests_fail_is_refused(production, store):
    _, _, gov = production
    text = dated("2026.2", START + dt.timedelta(days=8))
    failing = TESTS_TEXT.replace('remedy.components.0.amount: "199.00"', 'remedy.components.0.amount: "198.00"', 1)
    before = PolicyRegister(store).last_seq()
    error = refused("tests_failed", gov.propose, text, failing, ALICE, "raise")
    assert error.details and error.details[0]["failures"][0]["expected"] == "198.00"
    nothing_changed(store, before)


def test_coverage_below_the_threshold_is_refused(store, policy_file, clock):
    PolicyRegistry(str(policy_file), store, poll_seconds=0, governed=True)
    lacking = TESTS_TEXT.replace("goods of unstated condition are not eligible either", "unstated", 1)
    lacking = lacking.replace(
        "      order: {delivered_at: 2026-03-05T15:00:00+08:00}\n",
        "      order: {delivered_at: 2026-03-05T15:00:00+08:00, goods_condition: used}\n",
        1,
    )
    text = dated("2026.2", START + dt.timedelta(days=8))
    error = refused("coverage_below_threshold", governance(store, clock).propose, text, lacking, ALICE, "raise")
    assert "98%" in str(error)
    assert "M03_no_reason_return_goods_not_intact when_any 2" in error.details[0]["not_exercised"]
    assert governance(store, clock, min_coverage=98).propose(text, lacking, ALICE, "raise")["state"] == "proposed"


# -- what the register proves -----------------------------------------------------


def test_the_first_governed_start_adopts_the_version_in_force_and_the_file_is_then_a_draft(
    production, store, policy_file
):
    registry, service, gov = production
    (adopted,) = gov.versions()
    assert (adopted["version"], adopted["state"], adopted["proposed_by"]) == (
        "2026.1",
        "in force",
        "the service (first start under governance)",
    )
    policy_file.write_text(variant("2026.9", frontline_refund="300.00"), encoding="utf-8")
    assert registry.refresh(force=True) is False
    made = service.submit(refund_complaint("C-1", OCTOBER), body(refund_complaint("C-1", OCTOBER))).record
    assert made.policy_version == "2026.1"
    # A second process starting on the same store adopts nothing more.
    PolicyRegistry(str(policy_file), store, poll_seconds=0, governed=True)
    assert len(gov.versions()) == 1


def test_every_transition_is_chained_and_an_edit_shows(production, store, clock):
    _, _, gov = production
    proposed = gov.propose(dated("2026.2", START + dt.timedelta(days=8)), TESTS_TEXT, ALICE, "raise")
    gov.approve(proposed["digest"], BOB, "ok")
    register = PolicyRegister(store)
    count, problems = register.verify()
    assert (count, problems) == (4, [])  # adopted, proposed, approved, scheduled
    with store.engine.begin() as conn:
        conn.execute(update(policy_events).where(policy_events.c.seq == 3).values(actor="key:alice0000001"))
    count, problems = register.verify()
    assert [(p.seq, p.kind) for p in problems] == [(3, "edited")]


@pytest.mark.parametrize("rule", sorted(REFUSALS))
def test_every_refusal_rule_is_documented(rule):
    assert f"| `{rule}` |" in (REPO / "docs" / "compliance.md").read_text(encoding="utf-8")


def test_the_change_notice_in_chinese_and_english_with_its_dates(production, clock):
    _, _, gov = production
    proposed = gov.propose(dated("2026.2", START + dt.timedelta(days=8)), TESTS_TEXT, ALICE, "raise")
    draft = gov.notice(proposed["digest"])
    assert "【草案，待审批：本公示为草稿，不得发布】" in draft["zh"] and "[proposed: this is a draft" in draft["en"]
    clock.advance(hours=1)
    gov.approve(proposed["digest"], BOB, "ok")
    notice = gov.notice(proposed["digest"])
    assert notice["state"] == "scheduled" and notice["notice_days"] == 7
    assert "施行时间：自 2026年12月9日 10:00（Asia/Shanghai） 起收到的投诉适用本版本" in notice["zh"]
    assert "公示时间：2026年12月1日（提前 7 日，电子商务法第三十四条）" in notice["zh"]
    assert "Takes effect: complaints received from 09 December 2026, 10:00 (Asia/Shanghai) on" in notice["en"]
    assert "  审批权限：\n    - refund（与 return_refund 共用）：frontline 限额 200.00 → 300.00" in notice["zh"]
    assert "  Authority:\n    - refund (shared by return_refund): frontline limit 200.00 → 300.00" in notice["en"]
    assert notice["replaces"]["version"] == "2026.1"


def test_verify_names_an_event_whose_place_in_the_decision_chain_was_rewritten(production, store, clock):
    from audit.register_verify import verify_register
    from audit.verify import verify_log
    from store.chain import link_hash
    from store.tables import chain_head, decisions

    _, service, gov = production
    october = refund_complaint("C-oct", OCTOBER)
    service.submit(october, body(october))
    gov.propose(dated("2026.2", START + dt.timedelta(days=8)), TESTS_TEXT, ALICE, "raise")  # after decision 1
    assert verify_register(store).ok
    # Rewrite decision 1 and recompute its link and the head: the decision chain alone looks intact.
    (record,) = list(store.all_decisions())
    row = {**record.as_row(), "fired_rules": '["forged"]'}
    row["chain_hash"] = link_hash(row)
    with store.engine.begin() as conn:
        conn.execute(update(decisions).where(decisions.c.seq == 1).values(**row))
        conn.execute(update(chain_head).where(chain_head.c.id == 1).values(hash=row["chain_hash"]))
    assert verify_log(store).ok
    report = verify_register(store)
    assert [(p.seq, p.kind) for p in report.problems] == [(2, "anchor")]
    assert "2 policy register events: BROKEN" in report.as_text()


def test_four_eyes_compare_persons_not_keys_or_accounts(production, store):
    """Issue 25: one person holding two keys, or a key and a console account, cannot approve their own proposal."""
    from lifecycle.governance import Actor

    _, _, gov = production
    alice_key = Actor.key("alice0000002", "Alice (second key)", person="alice")
    alice_console = Actor.staff("alice", "Alice", person="alice")
    text = dated("2026.2", START + dt.timedelta(days=8))
    digest = gov.propose(text, TESTS_TEXT, alice_key, "raise the frontline refund limit")["digest"]
    before = PolicyRegister(store).last_seq()
    for same in (Actor.key("alice0000003", "Alice (third key)", person="alice"), alice_console):
        error = refused("self_approval", gov.approve, digest, same, "looks fine")
        assert "the same person:alice" in str(error)
    nothing_changed(store, before)
    bob = Actor.key("bob000000002", "Bob", person="bob")
    assert gov.approve(digest, bob, "checked")["state"] == "scheduled"
