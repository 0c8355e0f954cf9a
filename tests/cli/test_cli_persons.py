"""Four eyes per person on the operator's command line (issue 25): once an approver exists, a new approver key or
console account needs its person and a second person's confirmation, recorded in the staff trail."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import cli
from store import DecisionStore
from store.tables import api_keys, staff_events


def _run(*args: str, db: str):
    return CliRunner().invoke(cli, [*args, "--database-url", db])


def _confirmed(db: str, token: Path, kind: str, who: str, person: str):
    """`keys create --name WHO` or `users create WHO` as a policy approver of PERSON, confirmed by TOKEN."""
    name = ["--name", who] if kind == "keys" else [who]
    return _run(
        kind, "create", *name, "--role", "policy_approver", "--person", person, "--confirmed-by", str(token), db=db
    )


def test_minting_a_second_approver_needs_another_person(tmp_path):
    db = f"sqlite:///{tmp_path / 'd.db'}"
    assert _run("store", "init", db=db).exit_code == 0
    first = _run("keys", "create", "--name", "Alice", "--role", "policy_approver", "--person", "alice", db=db)
    assert first.exit_code == 0, first.output  # the first approver: the bootstrap needs no confirmation
    alice_token = tmp_path / "alice.key"
    alice_token.write_text(first.stdout.splitlines()[0])
    bare = _run("keys", "create", "--name", "Mallory", "--role", "policy_approver", db=db)
    assert bare.exit_code == 2 and "--person" in bare.output
    unconfirmed = _run("keys", "create", "--name", "Mallory", "--role", "policy_approver", "--person", "mal", db=db)
    assert unconfirmed.exit_code == 2 and "second person" in unconfirmed.output
    own = _confirmed(db, alice_token, "keys", "Alice 2", "alice")
    assert own.exit_code == 2 and "belongs to alice" in own.output
    account = _confirmed(db, alice_token, "users", "alice2", "alice")
    assert account.exit_code == 2 and "belongs to alice" in account.output
    bob = _confirmed(db, alice_token, "keys", "Bob", "bob")
    assert bob.exit_code == 0, bob.output
    store = DecisionStore(db)
    with store.engine.connect() as conn:
        persons = sorted(conn.execute(select(api_keys.c.person)).scalars())
        trail = [
            row.detail for row in conn.execute(select(staff_events).where(staff_events.c.action == "approver_minted"))
        ]
    assert persons == ["alice", "bob"]
    assert len(trail) == 2 and '"confirmed_by_person":"alice"' in trail[1] and '"person":"bob"' in trail[1]
    plain = _run("keys", "create", "--name", "Decider", "--role", "decider", db=db)
    assert plain.exit_code == 0  # other roles need nothing
