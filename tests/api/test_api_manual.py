"""The manual is served by the app under /docs/, offline, and the API reference there is interactive."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built_manual(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("manual")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(out)],
        cwd=REPO,
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return out


@pytest.fixture
def manual_client(app, built_manual):
    app.config["MANUAL_FOLDER"] = str(built_manual)
    return app.test_client()


def _external(html: str) -> list[str]:
    """What the browser would fetch from another host: scripts, images, frames, stylesheets, fonts, preloads."""
    fetched = re.findall(r"""\ssrc=["']?((?:https?:)?//[^"' >]+)""", html)
    fetched += [
        url
        for tag in re.findall(r"<link\b[^>]*>", html)
        for url in re.findall(r"""href=["']?((?:https?:)?//[^"' >]+)""", tag)
    ]
    fetched += re.findall(r"""@import\s+url\(["']?((?:https?:)?//[^"')]+)""", html)
    return fetched


def test_the_manual_is_served_with_its_pages_and_assets(manual_client):
    home = manual_client.get("/docs/")
    assert home.status_code == 200 and home.mimetype == "text/html"
    text = home.get_data(as_text=True)
    assert "投诉处理决策服务手册" in text
    assert _external(text) == [], "the manual's home page fetches from another host"
    guide = manual_client.get("/docs/guides/zh/auditors/")
    assert guide.status_code == 200 and "审计人员指南" in guide.get_data(as_text=True)
    assert manual_client.get("/docs/guides/zh/auditors").status_code == 200  # without the slash too
    assert manual_client.get("/docs/reference/codes/").status_code == 200
    css = re.search(r'href="([^"]+\.css)"', text)
    assert css and manual_client.get("/docs/" + css.group(1).lstrip("./")).status_code == 200
    assert manual_client.get("/docs/search/search_index.json").status_code == 200  # search works offline


def test_nothing_outside_the_built_manual_is_served(manual_client):
    assert manual_client.get("/docs/../app.py").status_code == 404
    assert manual_client.get("/docs/%2e%2e/app.py").status_code == 404
    assert manual_client.get("/docs/no-such-page/").status_code == 404


def test_a_manual_never_built_says_how_to_build_it(app, tmp_path):
    app.config["MANUAL_FOLDER"] = str(tmp_path)
    response = app.test_client().get("/docs/")
    assert response.status_code == 404 and "make docs" in response.get_data(as_text=True)


def test_the_interactive_api_reference_is_served_by_the_app(client):
    page = client.get("/docs/api/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _external(html) == []
    for asset in re.findall(r'(?:src|href)="(/docs/api/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset
    init = client.get("/docs/api/init.js").get_data(as_text=True)
    assert '"/openapi.json"' in init and "validatorUrl: null" in init  # no call to the online validator
    assert client.get("/docs/api/../../app.py").status_code == 404


def test_the_plain_api_page_and_the_problem_anchors_stay_at_docs(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "id='problem-not-found'" in page.get_data(as_text=True)


def test_the_console_links_to_the_manual(client):
    page = client.get("/console/sign-in", follow_redirects=True)
    assert 'href="/docs/"' in page.get_data(as_text=True)
