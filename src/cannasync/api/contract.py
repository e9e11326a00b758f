"""The error answers of the API, written into its OpenAPI document once, for every operation they can come from.

FastAPI documents only the success answer and its own 422. Every other error of this API has one shape,
``{"detail": "<what to fix>"}`` (``Problem``), and a domain 422 carries it too, so a 422 is documented as either
that or FastAPI's list of field problems. Which operation can answer which status follows from what it takes:

- 401: it needs a bearer token (its OpenAPI ``security``);
- 404: its path names something (a ``{parameter}``), which may not exist or belong to another organization;
- 400 and 413: it takes a body, which may not be JSON or may be larger than the cap (``api.edge``);
- 409 and 503: it writes, so it can meet the row in another state (an order already cancelled, stock gone,
  points spent) or need a vendor that cannot be reached right now (nothing is lost; try again).

Row ids are bounded as the database bounds them (``api.edge``): the document says so exactly, as an integer (JSON
Schema generators write 2**63 - 1 as a float, which rounds up to 2**63 and so admits ids the API refuses).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from cannasync.api.edge import MAX_ROW_ID

PROBLEM = "Problem"
_PROBLEM_SCHEMA = {
    "title": PROBLEM,
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "What went wrong, and what to change"}},
}
_WRITES = {"post", "put", "patch", "delete"}
_WHY = {
    "400": "The body is not JSON",
    "401": "No bearer token, or one that is not valid",
    "404": "Not found, or not this organization's",
    "409": "The record is in a state that does not allow this (the detail says which)",
    "413": "The body is larger than the cap",
    "503": "A vendor this needs cannot be reached right now; nothing was lost, try again",
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": _ref(PROBLEM)}}}}


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    statuses = []
    if operation.get("security"):
        statuses.append("401")
    if "{" in path:
        statuses.append("404")
    if "requestBody" in operation:
        statuses += ["400", "413"]
    if method in _WRITES:
        statuses += ["409", "503"]
    return statuses


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """The document with every operation's error answers added (in place; also returned)."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas[PROBLEM] = _PROBLEM_SCHEMA
    _exact_row_ids(schema)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "head", *_WRITES}:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
                    parameter["schema"].setdefault("maximum", MAX_ROW_ID)  # what api.edge enforces for every route
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses.setdefault(status, _problem(_WHY[status]))
            if "422" in responses:  # FastAPI's own: every operation that takes parameters or a body has one
                responses["422"] = {
                    "description": "A value to fix: FastAPI's field problems, or a rule of ours with its reason",
                    "content": {
                        "application/json": {
                            "schema": {"anyOf": [{"$ref": _ref("HTTPValidationError")}, {"$ref": _ref(PROBLEM)}]}
                        }
                    },
                }
    return schema


def _exact_row_ids(node: Any) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("maximum"), float) and node["maximum"] >= MAX_ROW_ID:
            node["maximum"] = MAX_ROW_ID
        for value in node.values():
            _exact_row_ids(value)
    elif isinstance(node, list):
        for value in node:
            _exact_row_ids(value)


def documented(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi``: FastAPI's document with the error answers, built once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_errors(schema)
        return app.openapi_schema

    return openapi
