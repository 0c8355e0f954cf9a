"""The console's verify page shows the last signed head each witness (COMPLAINTS_WITNESS_FILES) holds against
the store's statements, and a rollback or a fork found through a witness fails the verification."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import text

from app import create_app
from store.signing import write_key_pair
from tests.console.conftest import PASSWORD, csrf_of, signed_in
from tests.helpers.api_samples import make_complaint, post_json
from tests.helpers.samples import POLICY


@pytest.fixture
def witnessed(tmp_path):
    """An app signing a checkpoint every 2 decisions (its head file beside the key), 4 decisions recorded
    (checkpoints 1 and 2), and four witnesses: the signer's head file, an auditor's copy, an empty file and a
    path with no file."""
    key = tmp_path / "keys" / "signing.pem"
    key.parent.mkdir()
    write_key_pair(key)
    copy, empty, nowhere = tmp_path / "auditor.jsonl", tmp_path / "empty.jsonl", tmp_path / "gone.jsonl"
    empty.write_text("")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
            "COMPLAINTS_POLICY": str(POLICY),
            "COMPLAINTS_ENV": "development",
            "COMPLAINTS_AUTH": "keys",
            "COMPLAINTS_SIGNING_KEY_FILE": str(key),
            "COMPLAINTS_CHECKPOINT_EVERY": "2",
            "COMPLAINTS_CHECKPOINT_SECONDS": "3600",
            "COMPLAINTS_WITNESS_FILES": f"{key}.head, {copy},{empty} ,{nowhere}",
        }
    )
    app.extensions["complaints_staff"].create("olga", "Olga", ["auditor"], PASSWORD, by="operator:test")
    store = app.extensions["complaints"].store
    _, token = store.create_key("test decider", ["decider"])
    api = app.test_client()
    for n in range(1, 5):
        answer = post_json(api, "/v1/decisions", make_complaint(n), headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201
    shutil.copy(f"{key}.head", copy)
    return app, store, {"signer": f"{key}.head", "copy": str(copy), "empty": str(empty), "nowhere": str(nowhere)}


def rows(html: str) -> dict[str, str]:
    """Each witness row's text by its path."""
    found = {}
    for state, body in re.findall(r'<tr class="witness" data-state="([a-z]+)">(.*?)</tr>', html, re.S):
        path = re.search(r"<code>([^<]+)</code>", body)
        assert path
        found[path.group(1)] = state + " " + re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
    return found


def verify(client) -> str:
    token = csrf_of(client.get("/console/verify").text)
    response = client.post("/console/verify", data={"csrf_token": token})
    assert response.status_code == 200
    return response.text


def test_the_page_shows_the_last_head_each_witness_holds(witnessed):
    app, _store, paths = witnessed
    client, _ = signed_in(app, "olga")
    client.post("/console/language", data={"csrf_token": csrf_of(client.get("/console/verify").text), "lang": "en"})
    page = client.get("/console/verify").text
    found = rows(page)
    assert list(found) == [paths["signer"], paths["copy"], paths["empty"], paths["nowhere"]]
    for name in ("signer", "copy"):
        assert found[paths[name]].startswith("same ") and "checkpoint 2" in found[paths[name]]
        assert " 4 " in found[paths[name]]  # the chain seq it signed
        assert "holds what the store holds" in found[paths[name]]
    assert found[paths["empty"]].startswith("empty ") and "holds no signed statement yet" in found[paths["empty"]]
    assert "the store holds 2 later statements" in found[paths["empty"]]
    assert found[paths["nowhere"]].startswith("missing ") and "no such file" in found[paths["nowhere"]]
    result = verify(client)
    assert 'data-ok="false"' in result  # a configured witness whose file is gone fails the check
    assert "checkpoint 2" in rows(result)[paths["copy"]]


def test_a_rollback_is_shown_by_witness_and_fails_the_verification(witnessed):
    app, store, paths = witnessed
    client, _ = signed_in(app, "olga")
    client.post("/console/language", data={"csrf_token": csrf_of(client.get("/console/verify").text), "lang": "en"})
    with store.engine.begin() as conn:  # the operator deletes the newest statement
        conn.execute(text("DELETE FROM signed_statements WHERE id = 2"))
    found = rows(client.get("/console/verify").text)
    for name in ("signer", "copy"):
        assert found[paths[name]].startswith("rollback ") and "ROLLBACK" in found[paths[name]]
        assert "no longer holds statement 2" in found[paths[name]]
    result = verify(client)
    assert 'data-ok="false"' in result and f"witness {paths['copy']}" in result


def test_a_fork_is_shown_and_chinese_labels_by_default(witnessed):
    app, store, paths = witnessed
    client, _ = signed_in(app, "olga")
    with store.engine.begin() as conn:  # a different (unsigned) statement 2 in the store
        conn.execute(text("UPDATE signed_statements SET signature = 'AAAA' WHERE id = 2"))
    page = client.get("/console/verify").text
    assert "见证方" in page and "分叉" in page
    assert rows(page)[paths["copy"]].startswith("fork ")


def test_without_witnesses_the_page_says_how_to_configure_them(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}",
            "COMPLAINTS_POLICY": str(POLICY),
            "COMPLAINTS_ENV": "development",
            "COMPLAINTS_AUTH": "keys",
        }
    )
    app.extensions["complaints_staff"].create("olga", "Olga", ["auditor"], PASSWORD, by="operator:test")
    client, _ = signed_in(app, "olga")
    client.post("/console/language", data={"csrf_token": csrf_of(client.get("/console/verify").text), "lang": "en"})
    page = client.get("/console/verify").text
    assert "No witness is configured" in page and "COMPLAINTS_WITNESS_FILES" in page
    assert 'data-ok="true"' in verify(client)
