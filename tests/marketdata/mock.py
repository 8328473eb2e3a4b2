"""An ``httpx.MockTransport`` router speaking both providers, with scripted answers."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]

AV_QUOTE = {
    "Global Quote": {
        "01. symbol": "IBM",
        "02. open": "122.6700",
        "03. high": "122.8000",
        "04. low": "121.0600",
        "05. price": "121.7400",
        "06. volume": "2528814",
        "07. latest trading day": "2020-05-08",
        "08. previous close": "121.2300",
        "09. change": "0.5100",
        "10. change percent": "0.4207%",
    }
}
FH_QUOTE = {"c": 162.74, "d": 2.67, "dp": 1.668, "h": 162.85, "l": 152, "o": 152.58,
            "pc": 160.07, "t": 1645736402}  # fmt: skip
FH_ZERO = {"c": 0, "d": None, "dp": None, "h": 0, "l": 0, "o": 0, "pc": 0, "t": 0}
AV_NOTE = {"Note": "Thank you for using Alpha Vantage! Our standard API call frequency is ..."}
AV_INFO = {"Information": "Thank you for using Alpha Vantage! Our standard API rate limit ..."}


def ok(data: Any) -> httpx.Response:
    """HTTP 200 with a JSON body."""
    return httpx.Response(200, content=json.dumps(data).encode())


class Router:
    """Answers per provider from scripted queues, falling back to defaults; counts calls.

    ``script("finnhub", resp1, resp2)`` plays those answers for the next Finnhub calls.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.requests: list[httpx.Request] = []
        self.scripts: dict[str, list[Answer]] = {"alphavantage": [], "finnhub": []}
        self.defaults: dict[str, Answer] = {
            "alphavantage": lambda r: ok(AV_QUOTE),
            "finnhub": lambda r: ok(FH_QUOTE),
        }

    def script(self, provider: str, *answers: Answer) -> None:
        self.scripts[provider].extend(answers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        provider = "alphavantage" if request.url.host == "av.test" else "finnhub"
        self.calls[provider] += 1
        self.requests.append(request)
        queue = self.scripts[provider]
        answer = queue.pop(0) if queue else self.defaults[provider]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)
