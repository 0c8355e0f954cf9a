"""A self-contained HTML page of the API, rendered from the OpenAPI document (works offline)."""

from __future__ import annotations

import json
from html import escape

from api.problems import PROBLEM_TYPES

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2.5rem}
.op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:bold;font-family:monospace}
.get{color:#1565c0}.post{color:#2e7d32}code,pre{background:#f5f5f5;padding:0 .2rem}
pre{padding:.5rem;overflow-x:auto;font-size:.85rem}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
"""


def render_docs(spec: dict) -> str:
    info = spec.get("info", {})
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(info.get('title', 'API'))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(info.get('title', 'API'))} <small>{escape(info.get('version', ''))}</small></h1>",
        "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a> (OpenAPI "
        f"{escape(spec.get('openapi', ''))}). Authenticate with <code>Authorization: Bearer &lt;key&gt;</code>; "
        "every error is an RFC 9457 <code>application/problem+json</code> document.</p>",
        "<h2>Endpoints</h2>",
    ]
    for path, operations in sorted(spec.get("paths", {}).items()):
        for method, op in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            out.append(f"<div class='op' id='{escape(op.get('operationId', path + method))}'>")
            out.append(f"<span class='m {method}'>{method.upper()}</span> <code>{escape(path)}</code>")
            out.append(f" — <b>{escape(op.get('summary', ''))}</b>")
            if op.get("description"):
                out.append(f"<p>{escape(op['description'])}</p>")
            params = [*operations.get("parameters", []), *op.get("parameters", [])]
            if params:
                out.append(
                    "<p>Parameters: "
                    + ", ".join(f"<code>{escape(p['name'])}</code> ({escape(p['in'])})" for p in params)
                    + "</p>"
                )
            body = op.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                out.append(
                    f"<p>Request body: <code>{escape(media)}</code> {_schema_name(content.get('schema', {}))}</p>"
                )
            out.append("<table><tr><th>status</th><th>meaning</th></tr>")
            for status, response in sorted(op.get("responses", {}).items()):
                response = _resolve(spec, response)
                out.append(f"<tr><td>{escape(status)}</td><td>{escape(response.get('description', ''))}</td></tr>")
            out.append("</table></div>")
    out.append("<h2>Problem types</h2><table><tr><th>type</th><th>status</th><th>title</th><th>meaning</th></tr>")
    for slug, (status, title, meaning) in PROBLEM_TYPES.items():
        out.append(
            f"<tr id='problem-{slug}'><td><code>/docs#problem-{slug}</code></td><td>{status}</td>"
            f"<td>{escape(title)}</td><td>{escape(meaning)}</td></tr>"
        )
    out.append("</table><h2>Schemas</h2>")
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        out.append(f"<h3 id='schema-{escape(name)}'>{escape(name)}</h3>")
        out.append(f"<pre>{escape(json.dumps(schema, indent=2, ensure_ascii=False))}</pre>")
    out.append("</body></html>")
    return "".join(out)


def _schema_name(schema: dict) -> str:
    ref = schema.get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    return f"<a href='#schema-{escape(name)}'>{escape(name)}</a>" if name else ""


def _resolve(spec: dict, response: dict) -> dict:
    ref = response.get("$ref")
    if not ref:
        return response
    return spec.get("components", {}).get("responses", {}).get(ref.rsplit("/", 1)[-1], {})
