"""Child process for the crash tests: accept (or start delivering) a notification, then die.

Usage: python -m tests.alerts.crash_child STATE_URL WEBHOOK_URL MODE
MODE ``accept``: the engine accepts a notification into the outbox, then the process is killed.
MODE ``deliver``: a worker claims it and sends it, then the process is killed before the ack.
"""

from __future__ import annotations

import os
import signal
import sys
from decimal import Decimal

from alerts import (
    DeliveryWorker,
    Engine,
    Notification,
    Outbox,
    Tick,
    WebhookChannel,
    rule_from_dict,
)
from statestore import open_store

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class DieAfterSend(WebhookChannel):
    """Sends, then the process dies before the worker can acknowledge."""

    def send(self, notification: Notification) -> None:
        super().send(notification)
        os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    state_url, webhook_url, mode = sys.argv[1:4]
    store = open_store(state_url)
    outbox = Outbox(store)
    if mode == "accept":
        rule = rule_from_dict(
            {
                "id": "ibm",
                "kind": "price_above",
                "symbol": "IBM",
                "threshold": 1,
                "channels": ["hook"],
            }
        )
        engine = Engine([rule], store, outbox=outbox)
        engine.process(Tick("IBM", Decimal(2), id="1-0"))
        os.kill(os.getpid(), signal.SIGKILL)
    worker = DeliveryWorker(outbox, {"hook": DieAfterSend("hook", webhook_url, SECRET)}, lease=0.5)
    worker.run_once()


if __name__ == "__main__":
    main()
