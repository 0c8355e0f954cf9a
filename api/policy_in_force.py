"""/v1/policy: the policy in force; /v1/policy-schema: the JSON Schema of the policy format."""

from __future__ import annotations

import json

from flask import Response
from flask_smorest import Blueprint

from api.auth import require
from api.context import services
from api.openapi import errors
from api.schemas import PolicyOutSchema
from engine.version import ENGINE_VERSION
from rules.json_schema import policy_json_schema
from store import ROLES

blp = Blueprint("policy", __name__, url_prefix="/v1", description="The policy in force")


@blp.route("/policy", methods=["GET"])
@blp.doc(
    summary="The policy in force",
    description="Version, digest, announcement and effective dates, and every rule with its plain description "
    "and legal basis. Roles: any (decider, auditor, policy_admin, personal_data).",
)
@blp.response(200, PolicyOutSchema)
@errors(blp, 401, 403)
def get_policy():
    require(*ROLES)  # any role: the policy in force is no secret (README, API table)
    policy = services().decider.policy
    rules = [_rule(r.info, "routing") for r in policy.routing]
    rules += [_rule(r.info, "remedy") for r in policy.remedies]
    rules += [_rule(r.info, "deadline") for r in policy.deadlines]
    rules.append(_rule(policy.approval_floor, "approval"))
    return {
        "name": policy.name,
        "version": policy.version,
        "digest": policy.digest,
        "announced_at": policy.announced_at.isoformat(),
        "effective_from": policy.effective_from.isoformat(),
        "major": policy.major,
        "timezone": policy.timezone,
        "engine_version": ENGINE_VERSION,
        "rules": rules,
    }


def _rule(info, kind: str) -> dict:
    return {"id": info.id, "kind": kind, "description": info.description, "basis": info.basis, "line": info.line}


@blp.route("/policy-schema", methods=["GET"])
@blp.doc(
    summary="The JSON Schema of the policy format",
    description="For editors (VS Code's YAML extension, the console's editor): keys and enum values to "
    "autocomplete, mistakes underlined while typing. The same as `complaints schema`. No role needed: it describes "
    "the file format, not a policy, and an editor fetching it cannot send a key.",
    responses={
        "200": {
            "description": "JSON Schema (draft 2020-12)",
            "content": {"application/schema+json": {"schema": {"type": "object"}}},
        }
    },
    security=[],
)
def get_policy_schema():
    return Response(json.dumps(policy_json_schema(), ensure_ascii=False), mimetype="application/schema+json")
