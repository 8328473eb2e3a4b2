"""An httpx transport that adds secret query parameters only on the way out."""

from __future__ import annotations

import httpx

SECRET_PARAMS = "marketdata.secret_params"  # noqa: S105 - an extension name, not a secret


class SecretParamsTransport(httpx.AsyncBaseTransport):
    """Adds secret query parameters (Alpha Vantage's ``apikey``) at the last moment.

    httpx logs, and attaches to errors, the request it built; that request never holds the
    key. Only the copy handed to the inner transport does.

    Args:
        inner: The transport that really sends (``httpx.AsyncHTTPTransport``, a mock ...).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Forward a copy of ``request`` with the secret parameters merged into its URL."""
        secret = request.extensions.get(SECRET_PARAMS)
        if secret:
            extensions = {k: v for k, v in request.extensions.items() if k != SECRET_PARAMS}
            request = httpx.Request(
                request.method,
                request.url.copy_merge_params(secret),
                headers=request.headers,
                stream=request.stream,
                extensions=extensions,
            )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self._inner.aclose()
