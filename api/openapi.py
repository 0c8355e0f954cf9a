"""flask-smorest's Api, with RFC 9457 problem documents as every error response in the spec."""

from __future__ import annotations

import http

from flask_smorest import Api

from api.problems import PROBLEM_JSON
from api.schemas import ProblemSchema

_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer challenge (RFC 6750)", "schema": {"type": "string"}}},
    405: {"Allow": {"description": "the methods this route accepts", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}},
}


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        self.spec.components.schema("Problem", schema=ProblemSchema)
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response = {
                "description": status.phrase,
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
            if status in _HEADERS:
                response["headers"] = _HEADERS[status]
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "Any other error, as an RFC 9457 problem document",
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
            lazy=True,
        )


def errors(blp, *statuses: int):
    """Document the problem responses an operation can give."""

    def decorate(func):
        for status in statuses:
            func = blp.alt_response(status, http.HTTPStatus(status).name)(func)
        return func

    return decorate
