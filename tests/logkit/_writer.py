"""A child process that logs many lines through configure()'s file sink (multi-process test)."""

from __future__ import annotations

import logging
import sys

import logkit


def main() -> None:
    path, worker, count, max_bytes = (
        sys.argv[1],
        sys.argv[2],
        int(sys.argv[3]),
        int(float(sys.argv[4])),
    )
    logkit.configure(fmt="json", file=path, stream=False, max_bytes=max_bytes, backups=50)
    log = logging.getLogger("writer")
    padding = "x" * 300  # long lines make torn writes likely if they were possible
    for i in range(count):
        log.info("line", extra={"worker": worker, "seq": i, "pad": padding})


if __name__ == "__main__":
    main()
