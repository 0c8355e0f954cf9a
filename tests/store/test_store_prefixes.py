"""Shortened decision ids and digests (store/prefixes.py): a unique prefix of 8 or more characters is the
one stored id it begins; shorter, ambiguous and unknown prefixes are refused, naming the candidates."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from cli.main import cli
from store.prefixes import PrefixError, upper_bound
from store.tables import decisions
from tests.helpers.audit_samples import fill, recompute_chain


@pytest.fixture
def twins(service, store):
    """A store with decisions, two of whose ids share their first 9 characters."""
    fill(service, 6, reevaluate_every=0)
    records = list(store.all_decisions())
    first, second = records[0], records[1]
    twin_a, twin_b = "1f0c2a9e-1aaa-4aaa-8aaa-aaaaaaaaaaaa", "1f0c2a9e-1bbb-4bbb-8bbb-bbbbbbbbbbbb"
    with store.engine.begin() as conn:
        conn.execute(update(decisions).where(decisions.c.seq == first.seq).values(decision_id=twin_a))
        conn.execute(update(decisions).where(decisions.c.seq == second.seq).values(decision_id=twin_b))
    recompute_chain(store)  # ids are chained: link the renamed rows again
    return store, twin_a, twin_b, records[2].decision_id


def test_a_unique_prefix_is_the_decision_it_begins(twins):
    store, twin_a, _, other = twins
    assert store.resolve_decision_id(other) == other
    assert store.resolve_decision_id(other[:8]) == other
    assert store.resolve_decision_id(other[:8].upper() + "…") == other  # as printed, with the ellipsis
    assert store.resolve_decision_id(twin_a[:11]) == twin_a  # "1f0c2a9e-1a"


def test_an_ambiguous_prefix_names_the_candidates(twins):
    store, twin_a, twin_b, _ = twins
    with pytest.raises(PrefixError) as caught:
        store.resolve_decision_id("1f0c2a9e")
    assert not caught.value.unknown and caught.value.candidates == (twin_a, twin_b)
    assert "ambiguous" in str(caught.value) and twin_a in str(caught.value) and twin_b in str(caught.value)


def test_short_and_unknown_prefixes_are_refused(twins):
    store, *_ = twins
    with pytest.raises(PrefixError, match="at least 8 characters") as short:
        store.resolve_decision_id("1f0c")
    assert not short.value.unknown
    with pytest.raises(PrefixError, match="no decision ffffffff") as unknown:
        store.resolve_decision_id("ffffffff")
    assert unknown.value.unknown
    with pytest.raises(PrefixError) as not_an_id:
        store.resolve_decision_id("C-2026'; drop table decisions")
    assert not_an_id.value.unknown


def test_a_digest_prefix_is_the_stored_policy_it_begins(twins):
    store, *_ = twins
    (text,) = store.policy_texts()
    digest = text["digest"]
    assert store.resolve_policy_digest(digest[:12] + "…") == digest
    with pytest.raises(PrefixError, match="no stored policy"):
        store.resolve_policy_digest("0" * 12 if not digest.startswith("0" * 12) else "f" * 12)


def test_the_range_bound_follows_every_text_with_the_prefix():
    assert upper_bound("1f0c") == "1f0d" and "1f0cffff" < upper_bound("1f0c") and upper_bound("1f0-") == "1f0."


def test_the_command_line_takes_prefixes_and_names_candidates(twins):
    store, twin_a, _, other = twins
    url = ["--database-url", store.url.replace("postgresql+psycopg://", "postgresql://")]
    replayed = CliRunner().invoke(cli, ["replay", other[:8], *url])
    assert replayed.exit_code == 0 and f'"decision_id": "{other}"' in replayed.stdout
    ambiguous = CliRunner().invoke(cli, ["replay", "1f0c2a9e", *url])
    assert ambiguous.exit_code == 1 and twin_a in ambiguous.stderr and "give more characters" in ambiguous.stderr
    digest = next(iter(store.policy_texts()))["digest"]
    exported = CliRunner().invoke(cli, ["export-policy", digest[:10] + "…", *url])
    assert exported.exit_code == 0 and exported.stdout == store.policy_text(digest)


def test_the_api_takes_prefixes_404_for_none_422_for_ambiguous(twins, tmp_path):
    from app import create_app
    from tests.helpers.audit_samples import POLICY

    store, twin_a, twin_b, other = twins
    url = store.url.replace("postgresql+psycopg://", "postgresql://")
    client = create_app({"DATABASE_URL": url, "COMPLAINTS_POLICY": str(POLICY)}).test_client()
    found = client.get(f"/v1/decisions/{other[:8]}")
    assert found.status_code == 200 and found.get_json()["decision_id"] == other
    assert client.post(f"/v1/decisions/{other[:9]}/replay").get_json()["result"] == "identical"
    ambiguous = client.get("/v1/decisions/1f0c2a9e")
    assert ambiguous.status_code == 422 and ambiguous.get_json()["code"] == "invalid-parameters"
    assert twin_a in ambiguous.get_json()["detail"] and twin_b in ambiguous.get_json()["detail"]
    assert client.get("/v1/decisions/1f0c").status_code == 422
    assert client.get("/v1/decisions/ffffffff").status_code == 404
    digest = next(iter(store.policy_texts()))["digest"]
    text = client.get(f"/v1/policies/{digest[:8]}/text")
    assert text.status_code == 200 and text.headers["X-Policy-Digest"] == digest
