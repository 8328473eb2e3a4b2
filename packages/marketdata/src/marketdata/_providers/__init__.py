"""Providers: one module per provider, each implementing :class:`Provider`."""

from marketdata._providers._alphavantage import AlphaVantage
from marketdata._providers._base import Provider, Query, RawResponse, Request, Result
from marketdata._providers._finnhub import Finnhub

__all__ = ["AlphaVantage", "Finnhub", "Provider", "Query", "RawResponse", "Request", "Result"]
