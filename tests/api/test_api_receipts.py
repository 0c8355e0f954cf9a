"""Receipts: every decision answer names its leaf in the decisions Merkle tree and where its proof is; once a
signed checkpoint covers it, GET .../receipt gives the inclusion proof, which examples/verify_proof.py (an
auditor's tool importing nothing of ours) checks offline with the public key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from store.signing import write_key_pair
from tests.helpers.api_samples import make_complaint, post_json

VERIFIER = Path(__file__).resolve().parents[2] / "examples" / "verify_proof.py"


def offline(receipt: Path, public_key: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(VERIFIER), str(receipt), "--public-key", str(public_key)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def key_file(tmp_path) -> Path:
    path = tmp_path / "keys" / "signing.pem"
    path.parent.mkdir()
    write_key_pair(path)
    return path


@pytest.fixture
def signing_client(make_app, key_file):
    """Checkpoints every 3 decisions, signed with ``key_file`` (the schedule by time far off)."""
    app = make_app(
        COMPLAINTS_SIGNING_KEY_FILE=str(key_file),
        COMPLAINTS_CHECKPOINT_EVERY="3",
        COMPLAINTS_CHECKPOINT_SECONDS="3600",
    )
    return app.test_client()


def test_every_answer_carries_its_leaf_index_and_the_proof_link(client):
    answers = [post_json(client, "/v1/decisions", make_complaint(n)) for n in (1, 2)]
    assert [a.status_code for a in answers] == [201, 201]
    for index, answer in enumerate(answers):
        decision_id = answer.get_json()["decision_id"]
        expected = {"log": "decisions", "index": index, "proof": f"/v1/decisions/{decision_id}/receipt"}
        assert answer.get_json()["receipt"] == expected
        assert client.get(f"/v1/decisions/{decision_id}").get_json()["receipt"] == expected
    again = post_json(client, "/v1/decisions", make_complaint(1))  # stored before: the same receipt
    assert again.status_code == 200 and again.get_json()["receipt"]["index"] == 0
    complaint_id = make_complaint(2)["complaint_id"]
    listed = client.get(f"/v1/complaints/{complaint_id}/decisions").get_json()["items"]
    assert [item["receipt"]["index"] for item in listed] == [1]
    batch = post_json(client, "/v1/decisions/batch", {"complaints": [make_complaint(3)]}).get_json()
    assert batch["results"][0]["decision"]["receipt"]["index"] == 2


def test_no_proof_before_a_checkpoint_covers_the_decision(client):
    created = post_json(client, "/v1/decisions", make_complaint(1)).get_json()
    pending = client.get(created["receipt"]["proof"])
    problem = pending.get_json()
    assert pending.status_code == 409 and problem["code"] == "proof-unavailable"
    assert "under no signed checkpoint yet" in problem["detail"] and "complaints checkpoint" in problem["detail"]
    missing = client.get("/v1/decisions/0123456789abcdef/receipt")
    assert missing.status_code == 404 and missing.get_json()["code"] == "not-found"


def test_a_receipt_fetched_after_the_checkpoint_verifies_offline(signing_client, key_file, tmp_path):
    first = post_json(signing_client, "/v1/decisions", make_complaint(1)).get_json()
    assert signing_client.get(first["receipt"]["proof"]).status_code == 409  # not signed yet
    for n in (2, 3):  # the third decision is signed by the schedule
        assert post_json(signing_client, "/v1/decisions", make_complaint(n)).status_code == 201
    answer = signing_client.get(first["receipt"]["proof"])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    receipt = answer.get_json()
    assert receipt["index"] == first["receipt"]["index"] == 0 and receipt["tree_size"] == 3
    assert first["decision_id"] in receipt["leaf"] and first["chain_hash"] in receipt["leaf"]
    by_prefix = signing_client.get(f"/v1/decisions/{first['decision_id'][:12]}/receipt")
    assert by_prefix.get_json() == receipt
    saved = tmp_path / "receipt.json"
    saved.write_text(answer.get_data(as_text=True), encoding="utf-8")
    code, output = offline(saved, Path(f"{key_file}.pub"))
    assert code == 0 and f"entry {first['decision_id']}" in output and "leaf 0 of the 3-leaf tree" in output, output
    # A receipt for another decision, or an altered path, does not verify.
    saved.write_text(json.dumps(dict(receipt, index=1)), encoding="utf-8")
    code, output = offline(saved, Path(f"{key_file}.pub"))
    assert code == 1 and "not at index 1" in output, output
    saved.write_text(json.dumps(dict(receipt, path=["00" * 32, *receipt["path"][1:]])), encoding="utf-8")
    assert offline(saved, Path(f"{key_file}.pub"))[0] == 1
    # Another key (not the service's): not verified.
    other = tmp_path / "other.pem"
    write_key_pair(other)
    saved.write_text(json.dumps(receipt), encoding="utf-8")
    assert offline(saved, Path(f"{other}.pub"))[0] == 1


def test_the_receipt_endpoint_needs_a_reading_role(keyed):
    app, tokens = keyed
    client = app.test_client()
    created = post_json(
        client, "/v1/decisions", make_complaint(1), headers={"Authorization": f"Bearer {tokens['decider']}"}
    ).get_json()
    url = created["receipt"]["proof"]
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": f"Bearer {tokens['policy_admin']}"}).status_code == 403
    for role in ("decider", "auditor"):
        assert client.get(url, headers={"Authorization": f"Bearer {tokens[role]}"}).status_code == 409


def test_the_receipt_rests_on_the_newest_signed_head(signing_client, key_file, tmp_path):
    answers = [post_json(signing_client, "/v1/decisions", make_complaint(n)).get_json() for n in range(1, 7)]
    receipt = signing_client.get(answers[1]["receipt"]["proof"]).get_json()  # checkpoints at 3 and 6
    assert (receipt["index"], receipt["tree_size"]) == (1, 6)
    assert json.loads(receipt["statement"]["statement"])["number"] == 2
    saved = tmp_path / "receipt.json"
    saved.write_text(json.dumps(receipt), encoding="utf-8")
    code, output = offline(saved, Path(f"{key_file}.pub"))
    assert code == 0 and "leaf 1 of the 6-leaf tree signed in statement 2" in output, output
