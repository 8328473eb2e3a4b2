"""The OpenAPI document, rendered the same way every time so the committed copy can be diffed."""

from __future__ import annotations

import json

from pydantic import SecretStr

from bridge._settings import Settings


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
