"""Alert rules evaluated on every event, delivered once to webhooks, chat and e-mail."""

from alerts._version import __version__ as __version__

__all__: list[str] = []
