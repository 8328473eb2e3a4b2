"""``python -m marketdata.testing``: run the emulators until interrupted.

Prints one JSON line (``{"alphavantage": url, "finnhub": url, "finnhub_ws": url, "env": {...}}``)
to stdout once they listen, then serves until SIGINT/SIGTERM or stdin closes (with
``--until-stdin-closes``).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from marketdata.testing import AlphaVantageEmulator, FinnhubEmulator, FinnhubWebSocketEmulator


def main(argv: list[str] | None = None) -> int:
    """Run the emulators.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``).

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(prog="python -m marketdata.testing")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="Alpha Vantage port (0: any)")
    parser.add_argument("--finnhub-port", type=int, default=0)
    parser.add_argument("--ws-port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per REST answer")
    parser.add_argument("--key", action="append", help="accepted key (repeat); default any")
    parser.add_argument("--until-stdin-closes", action="store_true")
    args = parser.parse_args(argv)
    keys = set(args.key) if args.key else None
    av = AlphaVantageEmulator(latency=args.latency, keys=keys, host=args.host, port=args.port)
    fh = FinnhubEmulator(latency=args.latency, keys=keys, host=args.host, port=args.finnhub_port)
    ws = FinnhubWebSocketEmulator(keys=keys, host=args.host, port=args.ws_port)
    av.start()
    fh.start()
    ws.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    env = {
        "MARKETDATA_ALPHAVANTAGE_URL": av.url,
        "MARKETDATA_FINNHUB_URL": fh.url,
        "MARKETDATA_FINNHUB_WS_URL": ws.url,
    }
    print(
        json.dumps({"alphavantage": av.url, "finnhub": fh.url, "finnhub_ws": ws.url, "env": env}),
        flush=True,
    )
    try:
        if args.until_stdin_closes:

            def wait_for_eof() -> None:
                sys.stdin.read()
                done.set()

            threading.Thread(target=wait_for_eof, daemon=True).start()
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        ws.stop()
        fh.stop()
        av.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
