"""The OpenAPI document: alert rule schemas added, rendered stably so the committed copy diffs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi.openapi.utils import get_openapi
from pydantic import SecretStr, TypeAdapter

import alerts
from bridge._middleware import PUBLIC
from bridge._settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

REF_TEMPLATE = "#/components/schemas/{model}"


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the bearer token and the alert rule schemas.

    The rule routes take and return rules as JSON validated by ``alerts`` itself (so a missing
    ``id`` can be generated); this puts the real schema of every rule kind in the document.
    """

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        rule = TypeAdapter(alerts.Rule).json_schema(ref_template=REF_TEMPLATE)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in rule.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        rule["description"] = "An alert rule; `kind` selects the fields."
        schemas["Rule"] = rule
        # The token is checked by the middleware (before routing); declare it here.
        document["components"]["securitySchemes"] = {
            "BearerToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "The bridge token: BRIDGE_TOKEN, or the file "
                "`bridge token --path` names.",
            }
        }
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if (method.upper(), path) not in PUBLIC:
                    operation["security"] = [{"BearerToken": []}]
        app.openapi_schema = document
        return document

    app.openapi = build  # type: ignore[method-assign]


def render_openapi() -> str:
    """The bridge's OpenAPI document as stable, indented JSON (ends with a newline).

    Built from the application's routes without starting it (no store is opened, no token
    file is written).

    Returns:
        The document text.
    """
    from bridge._app import create_app

    settings = Settings(host="127.0.0.1", token=SecretStr("x" * 32))
    document = create_app(settings, token=SecretStr("x" * 32)).openapi()
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
