"""OpenAPI details drf-spectacular cannot infer: the error responses every operation may give,
in the one error shape of portal.api_errors, and Retry-After on 429."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error has this shape; `code` is stable, `message` is for people.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "invalid_input"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Messages per request field, when a field is at fault.",
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}

ERRORS = {
    "400": "The request is not valid (see `error.fields`).",
    "401": "No API key, or a key that is not valid, revoked or expired.",
    "403": "The key lacks the scope, or the partner's role does not allow the action here.",
    "404": "Not found, or not in the partner's areas.",
    "409": "Conflicts with the current state, or an Idempotency-Key reused for another request.",
    "429": "Too many requests: wait for `Retry-After` seconds.",
}
# Which errors each method can give (405 and 5xx aside).
BY_METHOD = {
    "get": ("400", "401", "403", "404", "429"),
    "post": ("400", "401", "403", "404", "409", "429"),
    "put": ("400", "401", "403", "404", "409", "429"),
    "patch": ("400", "401", "403", "404", "409", "429"),
    "delete": ("401", "403", "404", "409", "429"),
}


def _error_response(code: str) -> dict:
    response = {
        "description": ERRORS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if code == "429":
        response["headers"] = {
            "Retry-After": {
                "schema": {"type": "integer"},
                "description": "Seconds to wait before the next request.",
            }
        }
    if code == "401":
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def add_error_responses(result, generator, request, public):
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: add the error responses everywhere."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            public_operation = operation.get("security") == [{}] or {} in operation.get(
                "security", []
            )
            for code in BY_METHOD.get(method, ()):
                if public_operation and code in ("401", "403"):
                    continue
                responses.setdefault(code, _error_response(code))
    return result
