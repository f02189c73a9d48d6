"""The HTTP API's answers checked against its OpenAPI 3.1 document
(crm_clients/static/api/openapi.json, served at /crm_clients/api/v1/openapi.json), with
openapi-spec-validator's validators. Every HTTP API test calls ``check_answer``."""

import json
from functools import cache
from pathlib import Path

from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

DOCUMENT = Path(__file__).resolve().parent.parent / "crm_clients" / "static" / "api" / "openapi.json"


@cache
def document():
    spec = json.loads(DOCUMENT.read_text())
    validate(spec)  # a valid OpenAPI 3.1 document, or the first check fails
    return spec


def _resolve(spec, item):
    while "$ref" in item:
        node = spec
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        item = node
    return item


def check_answer(path, method, status, body, headers=None):
    """Assert that ``body`` (parsed JSON) is what the document says ``method path``
    answers with ``status``; the headers it lists must be there too."""
    spec = document()
    path_item = spec["paths"][path]
    operation = path_item.get(method.lower())
    if operation is None:
        # A method the path does not take: the 405 its operation documents.
        assert status == 405, f"{method} {path} answered {status}: the path has no {method}"
        operation = next(op for op in path_item.values() if "405" in op.get("responses", {}))
    response = operation["responses"].get(str(status))
    assert response, f"{method} {path} answered {status}, which the OpenAPI document does not list"
    response = _resolve(spec, response)
    schema = response["content"]["application/json"]["schema"]
    validator = OAS31Validator({**schema, "components": spec["components"]})
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{method} {path} {status}: {errors[0].message} in {json.dumps(body)[:500]}"
    for name in response.get("headers", {}):
        assert headers is not None and headers.get(name), f"{method} {path} {status} lacks the {name} header"
