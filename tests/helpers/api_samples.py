"""Helpers for the API tests: valid, varied complaints (made-up ids only) and request shortcuts."""

from __future__ import annotations

import json

from tests.helpers.samples import CATEGORIES, CHANNELS, FLAGS, POLICY, REMEDIES, REPO, make_complaint  # noqa: F401 - re-exported


def post_json(client, url, body, **kwargs):
    return client.post(url, data=json.dumps(body, ensure_ascii=False), content_type="application/json", **kwargs)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
